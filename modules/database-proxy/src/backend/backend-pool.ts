/**
 * N connections per backend server, shared by every client of the proxy.
 *
 * The pool does not decide who gets a connection — admission (the QoS gate) does that and hands
 * out slots, one per connection the servers allow. Given a slot, the pool finds a connection of
 * the right *flavour* (backend user and the capability flags that change result shapes, such as
 * CLIENT_FOUND_ROWS and CLIENT_DEPRECATE_EOF): an idle one, a new one while the server has room,
 * or it closes an idle connection of another flavour to make room. So a server never sees more
 * than N connections from this proxy, whatever mix of clients arrives.
 */
import type { BackendConnection } from './backend-connection.js';
import type { BackendServer } from './backend-server.js';

/** Called with a connection ready for a statement, or an error (server down, connect failed). */
export type ConnectionCallback = (err: Error | null, conn: BackendConnection | null) => void;

/** What kind of backend connection a client needs. */
export interface Flavour {
  /** Identity of the flavour: equal keys are interchangeable connections. */
  readonly key: string;
  readonly user: string;
  readonly password: string;
  /** Capability flags the backend connection is negotiated with (client's ∩ server's). */
  readonly capabilities: number;
  /** Collation id sent in the handshake (the client's). */
  readonly collation: number;
}

export interface PoolStats {
  server: string;
  size: number;
  open: number;
  busy: number;
  idle: number;
  opening: number;
  healthy: boolean;
}

/** A caller holding an admission slot, waiting for a connection to come free. */
interface PoolWaiter {
  flavour: Flavour;
  hasSchema: boolean;
  cb: ConnectionCallback;
  timer: NodeJS.Timeout;
}

export class BackendPool {
  /** Round-robin start for spreading new connections over servers. */
  private next = 0;
  private readonly waiters: PoolWaiter[] = [];

  /**
   * @param waitTimeout how long a slot holder waits when every connection is momentarily taken
   *   (being pinged, closing to make room) before it gets an error
   */
  constructor(
    readonly servers: readonly BackendServer[],
    private readonly waitTimeout = 5_000,
  ) {}

  /** Slots the servers allow right now: the sum of N over servers that are in service. */
  get capacity(): number {
    let n = 0;
    for (const s of this.servers) if (s.inService) n += s.size;
    return n;
  }

  /**
   * Gets a connection of `flavour` for a caller that holds an admission slot. Synchronous when
   * an idle connection is there (the common case); otherwise opens one, or waits for one.
   * @param hasSchema whether the client has a default schema (see BackendServer.takeIdle)
   */
  acquire(flavour: Flavour, hasSchema: boolean, cb: ConnectionCallback): void {
    if (this.tryAcquire(flavour, hasSchema, cb)) return;
    if (!this.servers.some((s) => s.inService)) {
      cb(new Error('no backend server in service'), null);
      return;
    }
    // Slots match connections one to one, so one is about to come free (a health ping, a
    // connection closing to make room): wait for it, but not forever.
    const waiter: PoolWaiter = {
      flavour,
      hasSchema,
      cb,
      timer: setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        cb(new Error('every backend connection is busy'), null);
      }, this.waitTimeout),
    };
    this.waiters.push(waiter);
  }

  private tryAcquire(flavour: Flavour, hasSchema: boolean, cb: ConnectionCallback): boolean {
    const n = this.servers.length;
    // 1. An idle connection of the right flavour on any server in service (most recently used
    //    first: its buffers and the server's thread are warm).
    for (let i = 0; i < n; i++) {
      const s = this.servers[(this.next + i) % n]!;
      if (!s.inService) continue;
      const conn = s.takeIdle(flavour.key, hasSchema);
      if (conn !== undefined) {
        cb(null, conn);
        return true;
      }
    }
    // 2. Room for a new connection, or room made by closing an idle one of another flavour.
    for (let i = 0; i < n; i++) {
      const s = this.servers[(this.next + i) % n]!;
      if (!s.inService) continue;
      const open = () => this.open(s, flavour, cb);
      if (s.hasRoom()) {
        this.next = (this.next + i + 1) % n;
        open();
        return true;
      }
      if (s.evictIdle(open)) {
        this.next = (this.next + i + 1) % n;
        return true;
      }
    }
    return false;
  }

  private open(s: BackendServer, flavour: Flavour, cb: ConnectionCallback): void {
    s.open(flavour, (err, conn) => {
      if (err === null) {
        cb(null, conn);
        return;
      }
      // Nothing was sent on this connection: try another server if one is in service.
      const other = this.servers.find((o) => o !== s && o.inService && o.hasRoom());
      if (other === undefined) cb(err, null);
      else other.open(flavour, cb);
    });
  }

  /** A connection came free or room was made: serve waiters in order. */
  readonly notify = (): void => {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (!this.tryAcquire(w.flavour, w.hasSchema, w.cb)) return;
      this.waiters.shift();
      clearTimeout(w.timer);
    }
  };

  /** Returns a connection after a statement; it must be clean (no transaction, no pins). */
  release(conn: BackendConnection): void {
    conn.server.putIdle(conn);
  }

  /** Closes a connection whose state cannot be trusted (lost, or a reset failed). */
  discard(conn: BackendConnection): void {
    conn.server.remove(conn);
    conn.destroy();
  }

  stats(): PoolStats[] {
    return this.servers.map((s) => s.stats());
  }

  /** Closes idle connections and stops health checks; busy ones close as they come back. */
  close(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.cb(new Error('backend pool is closed'), null);
    }
    for (const s of this.servers) s.close();
  }
}
