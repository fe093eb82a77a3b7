import { findBinary } from './binaries.js';
import { type RunningServer, startSimpleServer } from './simple-server.js';
import { tcpExchange } from './tcp-exchange.js';

/** Options of {@link startMemcached}. */
export interface MemcachedOptions {
  /** Cache memory in megabytes (`-m`, default 64). */
  memoryMb?: number;
  /** Extra `memcached` arguments, e.g. `['-c', '100']`. */
  args?: readonly string[];
}

/** Starts a private memcached on a free loopback TCP port (UDP off). */
export function startMemcached(opts: MemcachedOptions = {}): Promise<RunningServer> {
  const binary = findBinary('memcached', 'memcached');
  return startSimpleServer({
    kind: 'memcached',
    binary,
    args: (port) => [
      '-l',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      '0',
      '-u',
      'root',
      '-m',
      String(opts.memoryMb ?? 64),
      ...(opts.args ?? []),
    ],
    ready: async (port) =>
      (await tcpExchange(port, 'version\r\n', (r) => r.endsWith('\r\n'))).startsWith('VERSION'),
  });
}
