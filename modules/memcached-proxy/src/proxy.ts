import type { Address } from '@scalestack/kernel';
import { type Limits, resolveLimits } from '@scalestack/memcached-protocol';
import {
  type AddressLike,
  type ConnectionHandler,
  type Listener,
  type ListenOptions,
  listen,
} from '@scalestack/socket';
import type { Backend } from './backend.js';
import { ClientSession, type SessionContext } from './client-session.js';

/** How the proxy opens its listener: `listen` from `@scalestack/socket`, or the socket module's. */
export type ListenFunction = (
  address: AddressLike,
  onConnection: ConnectionHandler,
  options?: ListenOptions,
) => Promise<Listener>;

/** Options of {@link MemcachedProxy}. */
export interface ProxyOptions {
  /** The backend that serves the requests. */
  backend: Backend;
  /** Key, value and line limits enforced on clients. */
  limits?: Partial<Limits>;
  /** Replies one client may have outstanding before reading from it pauses (default 1024). */
  maxPending?: number;
  /**
   * Bytes of values the proxy holds for one client — kept for replies, or written and not yet
   * taken by its socket (default 64 MiB). A read reply that would go past it is answered
   * `SERVER_ERROR out of memory writing get response`. At least one value of `maxValueSize`.
   */
  maxReplyBytes?: number;
  /** Client connections served at once (default 10 000); more get `SERVER_ERROR` and are closed. */
  maxConnections?: number;
  /** Listener options passed through (TLS, idle timeout, reusePort, ...). */
  listenOptions?: Omit<ListenOptions, 'maxConnections' | 'onRefused'>;
  /** Defaults to `listen` from `@scalestack/socket`; the kernel module passes the socket service's. */
  listen?: ListenFunction;
}

/** The version string the proxy answers `version` with. */
export const PROXY_VERSION = '1.6.0-scalestack';
const TOO_MANY = 'SERVER_ERROR too many open connections\r\n';
/** Room for the line in front of a value (VALUE or VA, with a 250-byte key and every flag). */
const VALUE_HEADER_BYTES = 4096;

/**
 * A memcached-protocol front end over a {@link Backend}. Usable without the kernel:
 * `const proxy = new MemcachedProxy({ backend }); await proxy.listen('127.0.0.1:11311')`.
 */
export class MemcachedProxy {
  private listener: Listener | undefined;
  private readonly sessions = new Set<ClientSession>();
  private readonly context: SessionContext;
  private readonly started = Date.now();
  private totalConnections = 0;
  private paused = 0;

  constructor(private readonly options: ProxyOptions) {
    const limits = resolveLimits(options.limits);
    const maxReplyBytes = options.maxReplyBytes ?? 64 << 20;
    if (maxReplyBytes < limits.maxValueSize + VALUE_HEADER_BYTES) {
      throw new Error(
        `memcached-proxy: client_max_reply_bytes (${maxReplyBytes}) must hold one value of max_value_size (${limits.maxValueSize}) and its header: at least ${limits.maxValueSize + VALUE_HEADER_BYTES}`,
      );
    }
    this.context = {
      backend: options.backend,
      limits,
      maxPending: options.maxPending ?? 1024,
      maxReplyBytes,
      version: PROXY_VERSION,
      stats: () => ({
        pid: process.pid,
        uptime: Math.floor((Date.now() - this.started) / 1000),
        time: Math.floor(Date.now() / 1000),
        version: PROXY_VERSION,
        curr_connections: this.connections,
        total_connections: this.totalConnections,
        clients_paused: this.paused,
        client_reply_bytes: this.replyBytes(),
      }),
      pausedClients: (delta) => {
        this.paused += delta;
      },
    };
  }

  /**
   * Starts listening on `host:port`, a Unix socket path, or (a number) a port on 127.0.0.1;
   * port 0 picks a free one. Resolves with the bound TCP port (0 for a Unix socket).
   */
  async listen(address: AddressLike | number): Promise<number> {
    const where = typeof address === 'number' ? `127.0.0.1:${address}` : address;
    const open = this.options.listen ?? listen;
    this.listener = await open(
      where,
      (conn) => {
        this.totalConnections++;
        const session = new ClientSession(conn, this.context);
        this.sessions.add(session);
        void session.closed.then(() => this.sessions.delete(session));
      },
      {
        ...this.options.listenOptions,
        maxConnections: this.options.maxConnections ?? 10_000,
        onRefused: (conn) => conn.write(TOO_MANY),
      },
    );
    const bound = this.listener.address;
    return bound.kind === 'tcp' ? bound.port : 0;
  }

  /** Bytes of replies held for every client (ClientSession.replyBytes). */
  private replyBytes(): number {
    let bytes = 0;
    for (const session of this.sessions) bytes += session.replyBytes;
    return bytes;
  }

  /** Where the proxy listens (after {@link listen}). */
  get address(): Address | undefined {
    return this.listener?.address;
  }

  /** Connected clients. */
  get connections(): number {
    return this.listener?.connectionCount ?? 0;
  }

  /**
   * Stops accepting; every client gets the replies it is owed for what it sent so far, then
   * its connection ends. Resolves once they are all closed (bound it: a client that never
   * closes its side is destroyed after a grace period of 5 s).
   */
  async drain(): Promise<void> {
    await this.listener?.close();
    const sessions = [...this.sessions];
    for (const s of sessions) s.finish();
    await Promise.all(sessions.map((s) => s.closed));
  }

  /** Stops accepting, closes every client connection and the backend. */
  async close(): Promise<void> {
    await this.listener?.closeAll();
    await this.options.backend.close();
  }
}
