import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { type Limits, resolveLimits } from '@scalestack/memcached-protocol';
import type { Backend } from './backend.js';
import { ClientSession, type SessionContext } from './client-session.js';

/** Options of {@link MemcachedProxy}. */
export interface ProxyOptions {
  /** The backend that serves the requests. */
  backend: Backend;
  /** Key, value and line limits enforced on clients. */
  limits?: Partial<Limits>;
  /** Replies one client may have outstanding before reading from it pauses (default 1024). */
  maxPending?: number;
  /** Client connections accepted at once (default 10 000); more are closed on accept. */
  maxConnections?: number;
}

/** The version string the proxy answers `version` with. */
export const PROXY_VERSION = '1.6.0-scalestack';

/**
 * A memcached-protocol front end over a {@link Backend}. Usable without the kernel:
 * `const proxy = new MemcachedProxy({ backend }); await proxy.listen(11311)`.
 */
export class MemcachedProxy {
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly context: SessionContext;
  private readonly started = Date.now();
  private totalConnections = 0;
  private paused = 0;

  constructor(private readonly options: ProxyOptions) {
    const maxConnections = options.maxConnections ?? 10_000;
    this.context = {
      backend: options.backend,
      limits: resolveLimits(options.limits),
      maxPending: options.maxPending ?? 1024,
      version: PROXY_VERSION,
      stats: () => ({
        pid: process.pid,
        uptime: Math.floor((Date.now() - this.started) / 1000),
        time: Math.floor(Date.now() / 1000),
        version: PROXY_VERSION,
        curr_connections: this.sockets.size,
        total_connections: this.totalConnections,
        clients_paused: this.paused,
      }),
      pausedClients: (delta) => {
        this.paused += delta;
      },
    };
    // node:net directly: @scalestack/socket is not available yet; this is the only seam to swap.
    this.server = createServer((socket) => {
      if (this.sockets.size >= maxConnections) {
        socket.end('SERVER_ERROR too many open connections\r\n');
        return;
      }
      this.totalConnections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      new ClientSession(socket, this.context);
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Connected clients. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stops accepting, closes every client connection and the backend. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await this.options.backend.close();
  }
}
