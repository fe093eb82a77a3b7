import { performance } from 'node:perf_hooks';
import type { Address, ModuleContext } from '@scalestack/kernel';
import {
  type AddressLike,
  type Connection,
  type ConnectOptions,
  ReadBuffer,
  toAddress,
} from '@scalestack/socket';
import { type BalancePolicy, type Upstream, UpstreamSet, type UpstreamStats } from './upstreams.js';

/** The settings of a {@link TcpProxy} (the module's options, parsed). */
export interface TcpProxySettings {
  /** `host:port`, Unix socket paths or `Address` objects; at least one. */
  upstreams: readonly AddressLike[];
  /** Default `round_robin`. */
  balance?: BalancePolicy;
  /** Milliseconds one upstream gets to accept a connection before the next is tried (default 5 000). */
  connectTimeout?: number;
  /** Milliseconds an upstream is tried last after a failed connect (default 10 000). */
  retryAfter?: number;
  /** Close a client connection (and its upstream one) idle this long; 0: never (the default). */
  idleTimeout?: number;
}

/** The settings with every default filled in. */
type Resolved = Required<Omit<TcpProxySettings, 'upstreams'>> & { upstreams: Address[] };

function resolve(settings: TcpProxySettings): Resolved {
  return {
    upstreams: settings.upstreams.map(toAddress),
    balance: settings.balance ?? 'round_robin',
    connectTimeout: settings.connectTimeout ?? 5_000,
    retryAfter: settings.retryAfter ?? 10_000,
    idleTimeout: settings.idleTimeout ?? 0,
  };
}

/** What a {@link TcpProxy} reports of itself. */
export interface TcpProxyStats {
  /** Client connections piped to an upstream now. */
  connections: number;
  /** Client connections waiting for an upstream to accept. */
  connecting: number;
  /** Client connections closed because no upstream accepted them. */
  unrouted: number;
  upstreams: UpstreamStats[];
}

/** How the proxy opens upstream connections (the socket module's `connect`, or the library's). */
export type ConnectFunction = (address: Address, options: ConnectOptions) => Promise<Connection>;

/**
 * A layer-4 proxy: each client connection is piped, byte for byte and with backpressure both
 * ways, to a connection of its own to one upstream. Upstreams are tried in the balance
 * policy's order; one that refuses or does not answer in `connectTimeout` is skipped by later
 * clients for `retryAfter`, and this client tries the next. Give {@link handle} to a listener.
 */
export class TcpProxy {
  readonly #connect: ConnectFunction;
  readonly #log: ModuleContext['log'];
  readonly #set: UpstreamSet;
  #settings: Resolved;
  /** Upstream sockets of this proxy read into one buffer (no stream layer per read). */
  readonly #readBuffer = new ReadBuffer();
  /** Piped pairs: each client and its upstream connection. */
  readonly #pairs = new Map<Connection, Connection>();
  #connecting = 0;
  #unrouted = 0;

  /**
   * @param connect opens upstream connections: `connect` from `@scalestack/socket`, or the
   *   socket module's
   * @param log a pino logger (the module's child logger under the kernel)
   * @throws Error when `settings.upstreams` is empty or holds a malformed address
   */
  constructor(settings: TcpProxySettings, connect: ConnectFunction, log: ModuleContext['log']) {
    this.#settings = resolve(settings);
    this.#set = new UpstreamSet(this.#settings.upstreams, this.#settings.balance, this.#settings.retryAfter);
    this.#connect = connect;
    this.#log = log;
  }

  /** Takes a new settings object (a reload): new connections use it, open ones carry on. */
  update(settings: TcpProxySettings): void {
    const next = resolve(settings);
    this.#set.update(next.upstreams, next.balance, next.retryAfter);
    this.#settings = next;
    for (const client of this.#pairs.keys()) client.setIdleTimeout(next.idleTimeout);
  }

  /**
   * The connection handler for a listener. Open the listener with `allowHalfOpen: true` so that
   * a client that ends its side still gets the upstream's answer (the module does).
   */
  readonly handle = (client: Connection): void => {
    this.#connecting++;
    void this.#route(client).finally(() => this.#connecting--);
  };

  stats(): TcpProxyStats {
    return {
      connections: this.#pairs.size,
      connecting: this.#connecting,
      unrouted: this.#unrouted,
      upstreams: this.#set.stats(performance.now()),
    };
  }

  /** Destroys every piped pair, both sides; for a stop after the listener closed. */
  destroyAll(): void {
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  async #route(client: Connection): Promise<void> {
    const early = new EarlyInput(client);
    const abort = new AbortController();
    void client.closed.then(() => abort.abort(new Error('the client closed first')));
    const tried: string[] = [];
    for (const upstream of this.#set.order(performance.now())) {
      if (client.isClosed) break;
      // A reload while an earlier one was tried took this one out: it gets no new connections
      // (and, idle, may be forgotten already).
      if (!this.#set.upstreams.includes(upstream)) continue;
      const conn = await this.#tryConnect(upstream, abort.signal, tried);
      if (conn === undefined) continue;
      if (client.isClosed) {
        conn.destroy();
        break;
      }
      early.handOver(conn);
      this.#pipe(client, conn, upstream, early.ended);
      // Reading paused at the limit: pipe()'s handler takes over from here.
      if (early.paused) client.resume();
      return;
    }
    early.stop();
    if (client.isClosed) return;
    this.#unrouted++;
    this.#log.warn({ client: client.peer, tried }, 'no upstream accepted the connection; closing it');
    client.destroy();
  }

  async #tryConnect(
    upstream: Upstream,
    signal: AbortSignal,
    tried: string[],
  ): Promise<Connection | undefined> {
    upstream.connecting++;
    try {
      const conn = await this.#connect(upstream.address, {
        timeout: this.#settings.connectTimeout,
        signal,
        readBuffer: this.#readBuffer,
        allowHalfOpen: true,
      });
      if (this.#set.markConnected(upstream))
        this.#log.info({ upstream: upstream.name }, 'upstream accepts connections again');
      return conn;
    } catch (err) {
      if (signal.aborted) return undefined;
      tried.push(upstream.name);
      const reason = err instanceof Error ? err.message : String(err);
      // One warning per outage: the first failure after a success.
      if (this.#set.markFailed(upstream, performance.now()))
        this.#log.warn(
          { upstream: upstream.name, reason, retryAfterMs: this.#settings.retryAfter },
          'upstream connect failed; trying it last for retry_after',
        );
      else this.#log.debug({ upstream: upstream.name, reason }, 'upstream still failing');
      return undefined;
    } finally {
      upstream.connecting--;
    }
  }

  #pipe(client: Connection, conn: Connection, upstream: Upstream, clientEnded: boolean): void {
    upstream.active++;
    this.#pairs.set(client, conn);
    if (this.#settings.idleTimeout > 0) client.setIdleTimeout(this.#settings.idleTimeout);
    // pipe() passes an end on as an end (half-close works) and a close with an error as a
    // destroy, so each side's close brings the other down; count down once both are closed.
    client.pipe(conn);
    // An end read while the upstream connected has been and gone: pass it on now.
    if (clientEnded) conn.end();
    void Promise.all([client.closed, conn.closed]).then(() => {
      upstream.active--;
      this.#pairs.delete(client);
    });
  }
}

/** What a client may send before its upstream accepts: read, so that a reset is seen. */
const EARLY_INPUT_LIMIT = 64 * 1024;

/**
 * Reads a client while its upstream connects: a client that resets or closes is seen (and its
 * connect abandoned), bytes it sends are kept (up to {@link EARLY_INPUT_LIMIT}; then reading
 * pauses and the rest waits in the kernel) and so is its end — a request sent with a FIN
 * (`printf … | nc -N`) is a complete exchange, not a client gone.
 */
class EarlyInput {
  readonly #client: Connection;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  ended = false;
  /** Reading was paused at {@link EARLY_INPUT_LIMIT}. */
  paused = false;

  constructor(client: Connection) {
    this.#client = client;
    client.onData((chunk) => {
      this.#chunks.push(chunk);
      this.#bytes += chunk.length;
      if (this.#bytes >= EARLY_INPUT_LIMIT && !this.paused) {
        this.paused = true;
        client.pause();
      }
    });
    client.onEnd(() => {
      this.ended = true;
    });
  }

  /** Writes what was read to the upstream and lets go of the client (pipe() takes it next). */
  handOver(upstream: Connection): void {
    this.stop();
    for (const chunk of this.#chunks) upstream.write(chunk);
    this.#chunks.length = 0;
  }

  /** Stops reading: the handlers are removed (reading pauses until the next handler). */
  stop(): void {
    this.#client.onData(undefined);
    this.#client.onEnd(undefined);
  }
}
