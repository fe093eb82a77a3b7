/**
 * N connections per backend server, shared by every client of the proxy.
 *
 * The pool does not decide who gets a connection — admission (the QoS gate) does that and hands
 * out slots, one per connection the servers allow. Given a slot, the pool finds a connection of
 * the right *flavour* (backend user and the capability flags that change result shapes, such as
 * CLIENT_FOUND_ROWS and CLIENT_DEPRECATE_EOF): an idle one, a new one while the server has room,
 * or it closes an idle connection of another flavour to make room. So a server never sees more
 * than N connections from this proxy, whatever mix of clients arrives.
 *
 * Pure reads (single SELECTs that change nothing, from clients with nothing pinned) may also be
 * *stacked*: written on a connection that other clients' pure reads are already on, the server
 * answering them in order. A few connections that always have the next statement waiting keep
 * the server's threads running instead of being woken once per statement, and one write and one
 * read then carry many statements. The pool spreads reads over `pipeline.connections`
 * connections before it stacks, stacks at most `pipeline.depth` deep, and stops stacking on a
 * connection that made no progress for `pipeline.stall` ms, moving what waits behind its slow
 * statement elsewhere. A slot still stands for one statement, so a slot holder always finds a
 * connection: stacking only ever packs statements onto fewer.
 */
import { ER_NO_SUCH_THREAD } from '@scalestack/mysql-protocol';
import type { SessionState } from '../session/session-state.js';
import { type BackendConnection, clientReason, LoginRefused } from './backend-connection.js';
import type { BackendServer } from './backend-server.js';

/** Called with a connection ready for a statement, or an error (server down, connect failed). */
export type ConnectionCallback = (err: Error | null, conn: BackendConnection | null) => void;

/**
 * A connection logged in but broke before it was handed out (while the server's probe ran on
 * it or another): nothing of the caller's command went anywhere, and another connection may
 * well work, so the caller may ask again.
 */
export class ConnectionLostBeforeUse extends Error {
  constructor() {
    super('backend connection lost before it was used');
  }
}

/** How pure reads are stacked on shared connections. */
export interface PipelineSettings {
  /** Connections reads are spread over (per flavour) before they stack. */
  connections: number;
  /** Most commands in flight on one connection; 1 turns stacking off. */
  depth: number;
  /** A sharing connection without a completed response for this long (ms) has stalled. */
  stall: number;
}

/** Stacking off: every statement gets a connection of its own. */
export const NO_PIPELINE: PipelineSettings = { connections: 1, depth: 1, stall: 0 };

/** What kind of backend connection a client needs. */
export interface Flavour {
  /** Identity of the flavour: equal keys are interchangeable connections. */
  readonly key: string;
  /**
   * The backend user its connections log in as (a proxy user's `backend_user`); undefined: each
   * server's own service account (the backend's `user` / `password`).
   */
  readonly user: string | undefined;
  /**
   * Its password: a reload that changes a `backend_password` changes it here, so that every
   * session of the flavour opens its next connections with the new one.
   */
  password: string | undefined;
  /** Capability flags the backend connection is negotiated with (client's ∩ server's). */
  readonly capabilities: number;
  /** Collation id sent in the handshake (the client's). */
  readonly collation: number;
  /** MariaDB extended capabilities (extended metadata: another column-definition shape). */
  readonly mariadbCapabilities: number;
}

/** One backend server's pool, as `stats().pools` reports it. */
export interface PoolStats {
  /** The backend's name (its address when it has none). */
  server: string;
  /** Connections the pool may hold (`pool`, this worker's share of it). */
  size: number;
  /** Connections logged in now, busy or idle. */
  open: number;
  /** Connections running a statement or held by a client. */
  busy: number;
  /** Connections ready for the next statement. */
  idle: number;
  /** Connections being opened. */
  opening: number;
  /**
   * Connections the proxy closed (evicted for another flavour, past max_lifetime, broken) that
   * the server has not yet seen close: they still count against `size`, as they do at the server.
   */
  closing: number;
  /**
   * In service: taking statements. False while the server is out of service after failures
   * (for `server_retry_timeout`); true again once that has passed — before a new connection has
   * proved the server back (the next statement's is that test).
   */
  healthy: boolean;
  /**
   * The server's global `read_only` (a replica, typically), null until a connection read it.
   * Backends are taken as equivalent — any statement may go to any of them — so a set that
   * mixes read-only servers with others is logged as a mistake.
   */
  readOnly: boolean | null;
}

/** A caller holding an admission slot, waiting for a connection to come free. */
interface PoolWaiter {
  flavour: Flavour;
  hasSchema: boolean;
  cb: ConnectionCallback;
  timer: NodeJS.Timeout;
  /** When its wait ends (performance.now()), whatever it tries meanwhile (see OpenAttempt). */
  deadline: number;
}

/** One caller's connects, from a call of tryAcquire. */
interface OpenAttempt {
  tried: Set<BackendServer>;
  evicted: boolean;
  /**
   * When a caller that has waited must stop (performance.now()): a connect it tries when woken
   * that fails sends it back to wait for the rest of its time only — not for a whole waitTimeout
   * again, which a server retried (and failing) every server_retry_timeout renewed for ever.
   */
  deadline: number | undefined;
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
    private readonly pipeline: PipelineSettings = NO_PIPELINE,
  ) {
    for (const s of servers)
      s.onServiceChange = () => {
        this.capacityListener?.();
        // Waiters are served too: a server back in service at its retry time may open the
        // connection they wait for (nothing else wakes them: they waited for a busy one to come
        // free, up to connect_timeout, then got ERR 9004 from a server that was back); one gone
        // out of service leaves those of a flavour it has no connection of nothing to wait for.
        // After this turn: a successful connect tells the change before its connection counts.
        queueMicrotask(this.notify);
      };
  }

  /** Told when a server goes out of service or comes back (see onCapacityChange). */
  private capacityListener: (() => void) | undefined;

  /** Calls `listener` whenever a server goes out of service or comes back ({@link capacity} may change). */
  onCapacityChange(listener: () => void): void {
    this.capacityListener = listener;
  }

  /** Slot holders whose connection is being opened (or waits for room made by closing an idle one). */
  private opening = 0;

  /** Slot holders waiting for a connection to come free (or be opened). */
  get waiting(): number {
    return this.waiters.length + this.opening;
  }

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
    if (!this.mayComeFree(flavour)) {
      cb(new Error('no backend server in service'), null);
      return;
    }
    // Slots match connections one to one, so one is about to come free (a health ping, a
    // connection closing to make room, a statement ending on a server out of service).
    this.wait(flavour, hasSchema, cb, 'every backend connection is busy');
  }

  /**
   * Waits for a connection to come free (see notify), but not for longer than waitTimeout — in
   * all: until `deadline` for a caller that waited before.
   */
  private wait(
    flavour: Flavour,
    hasSchema: boolean,
    cb: ConnectionCallback,
    timeoutMessage: string,
    deadline = performance.now() + this.waitTimeout,
  ): void {
    const waiter: PoolWaiter = {
      flavour,
      hasSchema,
      cb,
      deadline,
      timer: setTimeout(
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          cb(new Error(timeoutMessage), null);
        },
        Math.max(0, deadline - performance.now()),
      ),
    };
    this.waiters.push(waiter);
  }

  /** @param deadline a waiter's (see OpenAttempt) */
  private tryAcquire(
    flavour: Flavour,
    hasSchema: boolean,
    cb: ConnectionCallback,
    deadline?: number,
  ): boolean {
    // 1. An idle connection of the right flavour on any server in service (most recently used
    //    first: its buffers and the server's thread are warm).
    const idle = this.takeIdle(flavour, hasSchema, true);
    if (idle !== undefined) {
      cb(null, idle);
      return true;
    }
    const n = this.servers.length;
    // 2. Room for a new connection, or room made by closing an idle one of another flavour.
    for (let i = 0; i < n; i++) {
      const s = this.servers[(this.next + i) % n]!;
      if (!s.inService) continue;
      if (s.hasRoom()) {
        this.next = (this.next + i + 1) % n;
        this.open(s, flavour, hasSchema, cb, { tried: new Set(), evicted: false, deadline });
        return true;
      }
      if (this.openAfterEviction(s, flavour, hasSchema, cb, { tried: new Set(), evicted: false, deadline })) {
        this.next = (this.next + i + 1) % n;
        return true;
      }
    }
    // 3. An idle connection on a server out of service: being out stops new connects only (a
    //    server at its max_connections refuses more but serves those it gave).
    const kept = this.takeIdle(flavour, hasSchema, false);
    if (kept !== undefined) {
      cb(null, kept);
      return true;
    }
    return false;
  }

  /** An idle connection of `flavour` on a server in service (or out of it), from `next` on. */
  private takeIdle(flavour: Flavour, hasSchema: boolean, inService: boolean): BackendConnection | undefined {
    const n = this.servers.length;
    for (let i = 0; i < n; i++) {
      const s = this.servers[(this.next + i) % n]!;
      if (s.inService !== inService) continue;
      const conn = s.takeIdle(flavour.key, hasSchema);
      if (conn !== undefined) return conn;
    }
    return undefined;
  }

  /**
   * Opens a connection on `s`; nothing is sent on a connection that failed, so on failure it
   * tries another server in service, then (a server at its connection limit) room made on `s` by
   * closing an idle connection of another flavour, then waits for a connection open to any
   * server to come free; with none open, `cb` gets the error.
   */
  private open(
    s: BackendServer,
    flavour: Flavour,
    hasSchema: boolean,
    cb: ConnectionCallback,
    attempt: OpenAttempt = { tried: new Set(), evicted: false, deadline: undefined },
  ): void {
    const { tried } = attempt;
    tried.add(s);
    this.opening++;
    s.open(flavour, (err, conn) => {
      this.opening--;
      if (err === null) {
        cb(null, conn);
        return;
      }
      // The session asks again itself (see ConnectionLostBeforeUse).
      if (err instanceof ConnectionLostBeforeUse) {
        cb(err, null);
        return;
      }
      const other = this.servers.find((o) => !tried.has(o) && o.inService && o.hasRoom());
      if (other !== undefined) {
        this.open(other, flavour, hasSchema, cb, attempt);
        return;
      }
      // At its connection limit the server takes one more once an idle one of another flavour
      // is closed (only then: a server refusing for other reasons keeps its idle connections).
      if (err instanceof LoginRefused && err.atConnectionLimit && !attempt.evicted) {
        attempt.evicted = true;
        if (this.openAfterEviction(s, flavour, hasSchema, cb, attempt)) return;
      }
      if (this.servers.some((o) => o.hasConnectionOf(flavour.key))) {
        this.wait(
          flavour,
          hasSchema,
          cb,
          `every backend connection is busy, and no other could be opened: ${clientReason(err)}`,
          attempt.deadline,
        );
      } else {
        cb(err, null);
        this.failHopelessWaiters();
      }
    });
  }

  /**
   * Closes an idle connection of another flavour on `s` to make room, then opens one of
   * `flavour` there (counted in {@link waiting} meanwhile). False when `s` has none idle.
   */
  private openAfterEviction(
    s: BackendServer,
    flavour: Flavour,
    hasSchema: boolean,
    cb: ConnectionCallback,
    attempt?: OpenAttempt,
  ): boolean {
    // Counted before: the close may be over (and the open begun) before evictIdle returns.
    this.opening++;
    const evicted = s.evictIdle(() => {
      this.opening--;
      this.open(s, flavour, hasSchema, cb, attempt);
    });
    if (!evicted) this.opening--;
    return evicted;
  }

  /** A connection came free or room was made: serve waiters in order. */
  readonly notify = (): void => {
    while (this.waiters.length > 0) {
      // Out of the queue before its callback runs: that may give the connection straight back
      // (a client gone meanwhile), which notifies again.
      const w = this.waiters.shift()!;
      if (!this.tryAcquire(w.flavour, w.hasSchema, w.cb, w.deadline)) {
        this.waiters.unshift(w);
        break;
      }
      clearTimeout(w.timer);
    }
    this.failHopelessWaiters();
  };

  /**
   * Whether a connection of `flavour` may still come free: a server in service (it opens one or
   * makes room), or one out of service with such a connection logged in (being out stops new
   * connects only).
   */
  private mayComeFree(flavour: Flavour): boolean {
    return this.servers.some((s) => s.inService || s.hasConnectionOf(flavour.key));
  }

  /** Fails the waiters nothing can serve any more (see mayComeFree): waiting helps no one. */
  private failHopelessWaiters(): void {
    if (this.waiters.length === 0) return;
    for (const w of this.waiters.filter((x) => !this.mayComeFree(x.flavour))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      clearTimeout(w.timer);
      w.cb(new Error('no backend server in service'), null);
    }
  }

  /**
   * Returns a connection after a statement; it must be clean (no transaction, no pins).
   * `keptFor`: that quiet client's previous results are on it — it is taken last, so that the
   * client may {@link takeBack} it while others find other idle connections.
   */
  release(conn: BackendConnection, keptFor?: object): void {
    conn.holder = undefined;
    conn.server.putIdle(conn, keptFor);
  }

  /** Whether `conn` is idle with `owner`'s previous results, untouched since (see takeBack). */
  keepsResultsFor(conn: BackendConnection, owner: object): boolean {
    return conn.server.keepsIdleFor(conn, owner);
  }

  /**
   * Takes back the idle connection `owner` left its previous results on, for its statement that
   * reads them (the caller holds an admission slot); false when anything else has used it since.
   */
  takeBack(conn: BackendConnection, owner: object): boolean {
    return conn.server.reclaimIdle(conn, owner);
  }

  /**
   * Interrupts the statement running on `conn` with KILL QUERY sent on another connection to
   * its server, as the same backend user (see BackendServer.runAside). Until that KILL is
   * answered nothing new goes onto `conn`: reads stacked behind the running one go elsewhere,
   * none are stacked, if the statement ends first `conn` is held out of the pool, and a client
   * that keeps it (a transaction) sends its next statement only then (see
   * BackendConnection.whenKillsAnswered). A KILL that arrives late thus finds the statement it
   * was for or nothing. The server answering that the thread is gone (ER 1094: the connection
   * was closed meanwhile) is no failure: the statement is over.
   */
  killQuery(conn: BackendConnection, cb: (err: Error | null, sent: boolean) => void): void {
    conn.killsInFlight++;
    if (conn.sharing) {
      conn.stackable = false;
      this.pipelineCounts.diverted += conn.divert();
    }
    conn.server.runAside(
      conn.flavour,
      `KILL QUERY ${conn.connectionId}`,
      this.waitTimeout,
      (err, serverError, sent) => {
        // Sent but not known to have arrived (no answer in time, the connection it went on
        // lost): it may still land, so this connection is closed when it comes back rather than
        // reused. One that never went out (no connection for it) changes nothing here.
        if (err !== null && serverError === undefined && sent === true) {
          conn.broken = true;
          // A quiet client keeping it (its statement ended before the KILL timed out) would
          // otherwise go on holding it, and its place, until it spoke again.
          const holder = conn.holder;
          conn.holder = undefined;
          holder?.onHeldBackendLost(conn);
        }
        // Its holder's next statement, or its way back into the pool, waited for this.
        if (--conn.killsInFlight === 0) conn.killsAnswered();
        cb(serverError?.errno === ER_NO_SUCH_THREAD ? null : err, sent === true);
      },
    );
  }

  /** Closes a connection whose state cannot be trusted (lost, or a reset failed). */
  discard(conn: BackendConnection): void {
    this.unshare(conn);
    conn.server.remove(conn);
    conn.destroy();
  }

  /** Pure reads stacked since start, and reads moved off a stalled connection. */
  readonly pipelineCounts = { stacked: 0, diverted: 0, stalls: 0 };
  private readonly sharing: BackendConnection[] = [];
  private stallTimer: NodeJS.Timeout | undefined;

  /**
   * A sharing connection a pure read may be stacked on (see the class comment): of the flavour,
   * with room, its session equal to `state` — once `pipeline.connections` of them are in use
   * (or no connection is to be had at once). Undefined: {@link acquire} one, then
   * {@link share} it after writing the read.
   *
   * Only the first `pipeline.connections` connections with room, oldest sharing first, are
   * candidates; the least loaded of them takes the read. Reads thus pack onto as few
   * connections as the load needs: the ones further down the list take nothing new, drain and
   * go back to the pool. (Spreading over every sharing connection kept the hundred-odd that a
   * burst of clients opened at once sharing one read each, for seconds: no stacking, and an
   * ever longer scan.)
   */
  takeStackable(flavour: Flavour, state: SessionState, hasSchema: boolean): BackendConnection | undefined {
    const p = this.pipeline;
    if (p.depth <= 1) return undefined;
    let best: BackendConnection | undefined;
    let spread = 0;
    let candidates = 0;
    const now = Date.now();
    for (const c of this.sharing) {
      if (!c.stackable || (c.flavour !== flavour && c.flavour.key !== flavour.key)) continue;
      if (c.server.isExpired(c, now)) {
        // A connection that always has a read in flight never comes back idle, where
        // max_lifetime is checked: it takes no more, drains, and is replaced then.
        c.stackable = false;
        continue;
      }
      spread++;
      if (c.depth >= p.depth || !c.state.equals(state)) continue;
      if (best === undefined || c.depth < best.depth) best = c;
      if (++candidates >= p.connections) break;
    }
    if (best === undefined || (spread < p.connections && this.canServeAtOnce(flavour, hasSchema)))
      return undefined;
    this.pipelineCounts.stacked++;
    return best;
  }

  /**
   * A held connection now carries a pure read: others' reads may stack on it, and it returns
   * to the idle list when its last response ends. False when stacking is off (keep holding it).
   */
  share(conn: BackendConnection): boolean {
    if (this.pipeline.depth <= 1) return false;
    if (conn.sharing) return true;
    conn.sharing = true;
    conn.stackable = true;
    conn.completedAtCheck = -1;
    conn.onDrained = this.onSharedDrained;
    this.sharing.push(conn);
    if (this.stallTimer === undefined && this.pipeline.stall > 0) {
      this.stallTimer = setInterval(this.checkStalls, this.pipeline.stall);
      this.stallTimer.unref();
    }
    return true;
  }

  /**
   * Stops sharing a connection: no more reads stack on it, and it no longer goes back to the
   * idle list by itself — the caller now holds it (a read changed the session state).
   */
  unshare(conn: BackendConnection): void {
    if (!conn.sharing) return;
    conn.sharing = false;
    conn.stackable = false;
    conn.onDrained = undefined;
    const i = this.sharing.indexOf(conn);
    if (i >= 0) this.sharing.splice(i, 1);
  }

  private readonly onSharedDrained = (conn: BackendConnection): void => {
    this.unshare(conn);
    this.release(conn);
  };

  /**
   * Runs every `stall` ms: a sharing connection that completed nothing since the last run has
   * stalled (a slow statement, a slow client): it takes no more reads and those behind its first
   * go elsewhere (they are pure, so running them twice is harmless).
   */
  private readonly checkStalls = (): void => {
    if (this.sharing.length === 0) {
      clearInterval(this.stallTimer);
      this.stallTimer = undefined;
      return;
    }
    for (const c of [...this.sharing]) {
      const before = c.completedAtCheck;
      c.completedAtCheck = c.completed;
      if (before !== c.completed) continue;
      // Slow or held up: nothing more goes behind it, and what waits there goes elsewhere —
      // also on one that took no more reads already (past max_lifetime): those it has wait too.
      const first = c.stackable;
      c.stackable = false;
      const moved = c.divert();
      if (first || moved > 0) this.pipelineCounts.stalls++;
      this.pipelineCounts.diverted += moved;
    }
  };

  /** An idle connection is there, or room to open one. */
  private canServeAtOnce(flavour: Flavour, hasSchema: boolean): boolean {
    for (const s of this.servers)
      if (s.inService && (s.hasIdle(flavour.key, hasSchema) || s.hasRoom())) return true;
    return false;
  }

  /** How reads stack on this pool (this worker's part of `pipeline_connections`). */
  get pipelineSettings(): Readonly<PipelineSettings> {
    return this.pipeline;
  }

  /** Sharing connections and the statements on them. */
  pipelineStats(): { sharedConnections: number; inFlight: number } {
    let inFlight = 0;
    for (const c of this.sharing) inFlight += c.depth;
    return { sharedConnections: this.sharing.length, inFlight };
  }

  stats(): PoolStats[] {
    return this.servers.map((s) => s.stats());
  }

  /** Closes idle connections and stops health checks; busy ones close as they come back. */
  close(): void {
    clearInterval(this.stallTimer);
    this.stallTimer = undefined;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.cb(new Error('backend pool is closed'), null);
    }
    for (const s of this.servers) s.close();
  }
}
