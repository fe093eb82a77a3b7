import { createServer, type Server, type Socket } from 'node:net';
import type { Address } from '@scalestack/kernel';

/** A listening socket; the seam between the HTTP server and the network. */
export interface Listener {
  /** The bound address (with the real port when port 0 was asked for). */
  readonly address: Address;
  /** Stops accepting; existing connections are untouched. */
  close(): Promise<void>;
}

/**
 * Listens on a TCP or Unix address with node:net (moving onto `@scalestack/socket`, for its TLS
 * listeners, happens here). Sockets are half-open capable: the server decides when to close.
 */
export function listenNet(address: Address, onSocket: (socket: Socket) => void): Promise<Listener> {
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const bound = () => {
      server.off('error', reject);
      const info = server.address();
      const actual: Address =
        typeof info === 'object' && info !== null
          ? { kind: 'tcp', host: info.address, port: info.port }
          : { kind: 'unix', path: (address as { path: string }).path };
      resolve({
        address: actual,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    };
    if (address.kind === 'tcp')
      server.listen({ host: address.host, port: address.port, backlog: 1024 }, bound);
    else server.listen({ path: address.path, backlog: 1024 }, bound);
  });
}
