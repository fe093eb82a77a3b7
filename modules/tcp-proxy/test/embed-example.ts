import { connect, listen } from '@scalestack/socket';
import { TcpProxy } from '@scalestack/tcp-proxy';
import { pino } from 'pino';

/** A relay inside an existing application: no kernel, just the library pieces. */
export async function startRelay(upstreams: string[]) {
  const proxy = new TcpProxy({ upstreams, balance: 'least_connections' }, connect, pino({ level: 'warn' }));
  // allowHalfOpen: a client that ends its side still gets the upstream's answer.
  const listener = await listen('127.0.0.1:0', proxy.handle, { allowHalfOpen: true });
  return {
    address: listener.address,
    stats: () => proxy.stats(),
    close: async () => {
      proxy.destroyAll();
      await listener.closeAll();
    },
  };
}
