import type { Socket } from 'node:net';
import { errorResponse } from '@scalestack/http-protocol';
import type { Address } from '@scalestack/kernel';
import { type ConnectionHost, HttpConnection } from './connection.js';
import { type Listener, listenNet } from './listener.js';
import type { HttpRequest } from './request.js';
import { Router } from './router.js';
import { DEFAULT_SETTINGS, type ServerSettings } from './settings.js';
import { ServerStats } from './stats.js';

/** Where the server reports handler failures; a pino logger fits. */
export interface ServerLog {
  error(obj: object, msg: string): void;
}

export interface HttpServerOptions extends Partial<ServerSettings> {
  /** The route table; a new empty one by default. */
  router?: Router;
  log?: ServerLog;
}

/**
 * An HTTP/1.1 server over {@link Router}: usable on its own (no kernel needed) and wrapped by
 * the `http-server` module. One timer per server sweeps connection deadlines and refreshes the
 * Date header, so requests arm no timers of their own.
 */
export class HttpServer implements ConnectionHost {
  readonly router: Router;
  readonly settings: ServerSettings;
  readonly stats = new ServerStats();
  date = new Date().toUTCString();
  draining = false;
  private readonly connections = new Set<HttpConnection>();
  private listener: Listener | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private readonly log: ServerLog | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: HttpServerOptions = {}) {
    const { router, log, ...settings } = options;
    this.router = router ?? new Router();
    this.log = log;
    this.settings = { ...DEFAULT_SETTINGS, ...stripUndefined(settings) };
  }

  /** The bound address, once listening. */
  get address(): Address | undefined {
    return this.listener?.address;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts accepting connections on `address` (port 0 picks a free port). */
  async listen(address: Address): Promise<Address> {
    if (this.listener) throw new Error('already listening');
    this.listener = await listenNet(address, (socket) => this.accept(socket));
    const s = this.settings;
    const smallest = Math.min(
      s.headersTimeout,
      s.keepAliveTimeout,
      s.sendTimeout,
      s.requestTimeout || Infinity,
    );
    // Deadlines are checked at a quarter of the shortest timeout (10ms..1s): coarse but cheap.
    const period = Math.max(10, Math.min(1000, Math.floor(smallest / 4)));
    let lastDate = 0;
    this.sweep = setInterval(() => {
      const now = Date.now();
      if (now - lastDate >= 1000) {
        lastDate = now;
        this.date = new Date(now).toUTCString();
      }
      for (const conn of this.connections) conn.checkDeadline(now);
    }, period);
    this.sweep.unref();
    return this.listener.address;
  }

  /**
   * Stops accepting, closes idle connections and lets busy ones finish their current response
   * (with `Connection: close`). Resolves when all connections are gone; bound it with a timeout
   * and call {@link close} after.
   */
  async drain(): Promise<void> {
    this.draining = true;
    // net.Server#close resolves only once every connection is gone, so drain them meanwhile.
    const closed = this.listener?.close();
    for (const conn of this.connections) conn.drain();
    if (this.connections.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await closed;
  }

  /** Stops accepting and destroys every connection. */
  async close(): Promise<void> {
    this.draining = true;
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    const closing = this.listener?.close();
    for (const conn of this.connections) conn.destroy();
    await closing;
  }

  reportError(error: unknown, req: HttpRequest): void {
    this.log?.error({ err: error, method: req.method, path: req.path }, 'route handler failed');
  }

  connectionClosed(conn: HttpConnection): void {
    if (!this.connections.delete(conn)) return;
    this.stats.connectionsOpen--;
    if (this.connections.size === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private accept(socket: Socket): void {
    if (this.draining || this.connections.size >= this.settings.maxConnections) {
      this.stats.connectionsRejected++;
      socket.on('error', () => {});
      socket.end(errorResponse({ status: 503, message: 'too many connections' }));
      // Do not wait on a client that never reads.
      socket.setTimeout(this.settings.headersTimeout, () => socket.destroy());
      return;
    }
    this.stats.connectionsTotal++;
    this.stats.connectionsOpen++;
    this.connections.add(new HttpConnection(socket, this));
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}
