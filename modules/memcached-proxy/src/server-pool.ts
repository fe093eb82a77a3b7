import { BackendConnection, type BackendConnectionOptions } from './backend-connection.js';
import { KetamaRing, ketamaServerName } from './ketama.js';

/** A memcached server address. */
export interface ServerAddress {
  host: string;
  port: number;
}

/** How the pool reacts to failing servers (twemproxy's auto-eject semantics). */
export interface EjectionPolicy {
  /** Consecutive failures that eject a server from the ring; 0 never ejects. */
  serverFailureLimit: number;
  /** Milliseconds an ejected server stays out before it is tried again. */
  serverRetryTimeout: number;
}

/** One server's state. */
export class Server {
  connection: BackendConnection | undefined;
  failures = 0;
  /** When ejected: the time (ms) it may rejoin the ring; 0 while on the ring. */
  ejectedUntil = 0;
  /**
   * A flush_all it missed while ejected (when it was asked for, with its delay in seconds): it
   * comes back with the items the others dropped, so it is flushed before it serves again.
   */
  flushOwed: { at: number; delay: number } | undefined;
  /** That flush is on its way. */
  flushSending = false;
  readonly name: string;
  readonly label: string;

  constructor(readonly address: ServerAddress) {
    this.name = ketamaServerName(address.host, address.port);
    this.label = `${address.host}:${address.port}`;
  }
}

/**
 * The memcached servers behind the proxy: the ketama ring over the servers currently on it, one
 * pipelined connection per server (made on first use, remade after a failure), and ejection of
 * servers that keep failing until their retry time.
 */
export class ServerPool {
  readonly servers: Server[];
  private ring: KetamaRing;
  /** Ring index → server, for the servers currently on the ring. */
  private live: Server[];
  /** Earliest time an ejected server may rejoin; Infinity when none is ejected. */
  private nextRetry = Number.POSITIVE_INFINITY;

  constructor(
    addresses: readonly ServerAddress[],
    private readonly policy: EjectionPolicy,
    private readonly connectionOptions: BackendConnectionOptions,
    private readonly onEvent: (
      event: 'ejected' | 'restored',
      server: Server,
      reason?: string,
    ) => void = () => {},
  ) {
    this.servers = addresses.map((a) => new Server(a));
    this.live = this.servers;
    this.ring = new KetamaRing(this.servers.map((s) => s.name));
  }

  /** The server for a key, or undefined when every server is ejected. */
  pick(key: string): Server | undefined {
    if (this.nextRetry !== Number.POSITIVE_INFINITY && Date.now() >= this.nextRetry) this.restoreDue();
    if (this.live.length === 1) return this.live[0];
    const index = this.ring.pick(key);
    return index === -1 ? undefined : this.live[index];
  }

  /** The servers currently on the ring. */
  liveServers(): readonly Server[] {
    if (this.nextRetry !== Number.POSITIVE_INFINITY && Date.now() >= this.nextRetry) this.restoreDue();
    return this.live;
  }

  /** The server's connection, connecting if needed. */
  connection(server: Server): BackendConnection {
    const existing = server.connection;
    if (existing?.usable) return existing;
    const connection = new BackendConnection(
      server.address.host,
      server.address.port,
      this.connectionOptions,
      (reason) => this.failed(server, reason),
      () => {
        server.failures = 0;
      },
    );
    server.connection = connection;
    return connection;
  }

  /**
   * Takes over what `old` knew of the servers both list (a reload): failures, ejection and an
   * owed flush_all stay with the server, not with the configuration that named it.
   */
  adopt(old: ServerPool): void {
    const before = new Map(old.servers.map((s) => [s.name, s]));
    for (const server of this.servers) {
      const was = before.get(server.name);
      if (was === undefined) continue;
      server.failures = was.failures;
      server.ejectedUntil = was.ejectedUntil;
      server.flushOwed = was.flushOwed;
    }
    // Back on the ring those whose time came during the reload; the ring of the rest.
    this.restoreDue();
  }

  close(): void {
    for (const server of this.servers) server.connection?.close();
  }

  /** Stops using this pool: each connection closes once its outstanding replies are in. */
  retire(): void {
    for (const server of this.servers) server.connection?.closeWhenIdle();
  }

  private failed(server: Server, reason: string): void {
    server.failures++;
    const limit = this.policy.serverFailureLimit;
    if (limit === 0 || server.failures < limit || server.ejectedUntil !== 0) return;
    server.ejectedUntil = Date.now() + this.policy.serverRetryTimeout;
    this.nextRetry = Math.min(this.nextRetry, server.ejectedUntil);
    this.rebuild();
    this.onEvent('ejected', server, reason);
  }

  /** Puts servers whose retry time has come back on the ring; a new failure ejects them again. */
  private restoreDue(): void {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const server of this.servers) {
      if (server.ejectedUntil === 0) continue;
      if (server.ejectedUntil <= now) {
        server.ejectedUntil = 0;
        // One more failure ejects it again (twemproxy does the same).
        server.failures = Math.max(0, this.policy.serverFailureLimit - 1);
        this.onEvent('restored', server);
      } else next = Math.min(next, server.ejectedUntil);
    }
    this.nextRetry = next;
    this.rebuild();
  }

  private rebuild(): void {
    this.live = this.servers.filter((s) => s.ejectedUntil === 0);
    this.ring = new KetamaRing(this.live.map((s) => s.name));
  }
}
