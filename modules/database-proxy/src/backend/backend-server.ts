/**
 * One backend server and the connections the proxy holds to it: at most `size`, idle ones kept
 * per flavour, health checked by ping while idle, replaced when they pass their maximum lifetime,
 * and the whole server taken out of service after repeated connect failures and probed back in.
 */
import type { Address } from '@scalestack/kernel';
import { ReadBuffer } from '@scalestack/socket';
import type { Logger } from 'pino';
import { BackendConnection, type BackendConnectionOptions, LoginRefused } from './backend-connection.js';
import {
  type ConnectionCallback,
  ConnectionLostBeforeUse,
  type Flavour,
  type PoolStats,
} from './backend-pool.js';
import { STOCK_DEFAULTS } from './server-defaults.js';

export interface BackendServerOptions {
  name: string;
  address: Address;
  /** The service account its connections log in as, unless their flavour names another user. */
  account: { user: string; password: string };
  /** N: the most connections this proxy opens to the server. */
  size: number;
  connectTimeout: number;
  /** TCP keepalive of its connections, ms before the first probe (0: off). */
  keepAlive: number;
  /** Connections older than this are closed when they come back idle (0: never). */
  maxLifetime: number;
  /** How often idle connections are pinged (0: never). */
  healthCheckInterval: number;
  /** Consecutive connect failures that take the server out of service. */
  failureLimit: number;
  /** How long a server stays out of service before it is tried again. */
  retryAfter: number;
  tls?: BackendConnectionOptions['tls'];
  log: Logger;
  /** Called when a connection became idle or room was freed (waiting acquirers may go on). */
  onAvailable?: () => void;
  /**
   * Learns the server's settings on the first connection that logs in — at start, or whenever
   * the server is first reached — before anyone is given that connection or any other opened
   * meanwhile. `done(false)` (the connection failed, or gave no answer within the connect
   * timeout and was closed) leaves it to the next connection that logged in.
   */
  probe?: (server: BackendServer, conn: BackendConnection, done: (learnt: boolean) => void) => void;
  /** Called when a login saw the server greet with other capabilities than it knew (see learnGreeting). */
  onGreetingChanged?: () => void;
}

/**
 * Idle connections of one flavour, kept apart by whether their session has a default schema:
 * MySQL cannot unset one, so a client without a schema only takes connections that have none,
 * while a client with one takes either (its schema is applied before its statement).
 */
interface IdleStacks {
  readonly withSchema: BackendConnection[];
  readonly withoutSchema: BackendConnection[];
}

/** A connection that logged in while its server's probe ran, and how to hand it out. */
interface ProbeWaiter {
  conn: BackendConnection;
  deliver: () => void;
}

/** The connection runAside opened for statements no pooled connection can take at once. */
interface AsideConnection {
  conn: BackendConnection;
  /** Logged in: statements go out at once. */
  ready: boolean;
  /** Statements waiting for the login (called with its error, or null). */
  waiting: ((err: Error | null) => void)[];
  /** Statements in flight or waiting: it closes when this drops to 0. */
  users: number;
}

export class BackendServer {
  readonly name: string;
  readonly size: number;
  private readonly all = new Set<BackendConnection>();
  /** What this thread's connections to the server read into (one read is handled at a time). */
  private readonly readBuffer = new ReadBuffer();
  /**
   * Idle stacks by flavour key. Looked up once per statement with the flavour's own key string
   * (whose hash V8 keeps), not a key built per lookup.
   */
  private readonly idle = new Map<string, IdleStacks>();
  /** Every idle stack, for the scans that visit them all (eviction, health checks, close). */
  private readonly stacks: BackendConnection[][] = [];
  private idleCount = 0;
  private opening = 0;
  /** Connections closed here that the server has not yet seen close: their places stay taken. */
  private closing = 0;
  private failures = 0;
  private outUntil = 0;
  /** Fires when the retry time of a server out of service comes (it is in service again). */
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The extra connection per flavour key that runAside uses when no idle one is there. */
  private readonly asides = new Map<string, AsideConnection>();
  private probed = false;
  /**
   * Connections that logged in while the probe ran, handed out once it learnt the server (a
   * failed probe goes on with the first of them).
   */
  private afterProbe: ProbeWaiter[] | undefined;
  /**
   * The server's global completion_type as its first connection read it (NO_CHAIN, CHAIN or
   * RELEASE): under RELEASE a plain COMMIT / ROLLBACK ends the session there.
   */
  completionType = STOCK_DEFAULTS.completionType;
  /** The server's global read_only as its first connection read it (undefined until then). */
  readOnly: boolean | undefined;
  /** Capability flags the server offered in its greeting, once one connection got that far. */
  serverCapabilities = -1;
  /** The MariaDB extended capabilities its greeting offered (0 for MySQL and others). */
  serverMariadbCapabilities = 0;
  serverVersion = '';

  /**
   * Records what a login's greeting offered. A change (the server first reached, or upgraded
   * behind the proxy) is told at once — before the connection is checked against its flavour
   * — so that clients logging in from then on are offered only what every server has.
   */
  learnGreeting(capabilities: number, mariadbCapabilities: number, version: string): void {
    const changed =
      capabilities !== this.serverCapabilities || mariadbCapabilities !== this.serverMariadbCapabilities;
    this.serverCapabilities = capabilities;
    this.serverMariadbCapabilities = mariadbCapabilities;
    this.serverVersion = version;
    if (changed) this.options.onGreetingChanged?.();
  }
  /**
   * Told whenever {@link inService} changes: taken out after failures, in again at its retry
   * time or on a successful connect (the pool's capacity follows).
   */
  onServiceChange: (() => void) | undefined;

  constructor(readonly options: BackendServerOptions) {
    this.name = options.name;
    this.size = options.size;
    if (options.healthCheckInterval > 0) {
      this.healthTimer = setInterval(() => this.checkHealth(), options.healthCheckInterval);
      this.healthTimer.unref();
    }
  }

  /** False while the server is out of service after failures (until its retry time). */
  get inService(): boolean {
    return !this.closed && (this.outUntil === 0 || Date.now() >= this.outUntil);
  }

  get openCount(): number {
    return this.all.size + this.opening + this.closing;
  }

  /** Whether a connection of `flavourKey` is logged in here (busy or idle): one may come free. */
  hasConnectionOf(flavourKey: string): boolean {
    for (const conn of this.all) if (conn.flavour.key === flavourKey) return true;
    return false;
  }

  hasRoom(): boolean {
    return this.openCount < this.size;
  }

  /** An idle connection of `flavourKey` for a client with (or without) a default schema. */
  takeIdle(flavourKey: string, clientHasSchema: boolean): BackendConnection | undefined {
    for (;;) {
      const conn = this.idleStackFor(flavourKey, clientHasSchema)?.pop();
      if (conn === undefined) return undefined;
      this.idleCount--;
      if (!conn.broken && !this.isExpired(conn)) return conn;
      // Past max_lifetime while it waited, or no longer trusted (a fault of the proxy's own
      // after its client gave it back): replaced rather than handed out.
      this.retire(conn);
    }
  }

  /**
   * Any idle connection, for the proxy's own query (see ImpureViewCheck); the caller gives it
   * back with putIdle.
   */
  borrowIdle(): BackendConnection | undefined {
    for (const stack of this.stacks) {
      const conn = stack.pop();
      if (conn === undefined) continue;
      this.idleCount--;
      return conn;
    }
    return undefined;
  }

  /**
   * Whether `conn` is idle here with `owner`'s previous results (see putIdle's `keptFor`) —
   * untouched since: whatever takes a connection out of the idle stacks (a statement, a health
   * ping, the view check, a KILL) gives it back through putIdle, which forgets the owner.
   */
  keepsIdleFor(conn: BackendConnection, owner: object): boolean {
    return (
      conn.keptResultsOf === owner &&
      !conn.broken &&
      !this.isExpired(conn) &&
      (this.stackOf(conn, false)?.includes(conn) ?? false)
    );
  }

  /** Takes `conn` out of the idle stacks for `owner`, if it {@link keepsIdleFor} it. */
  reclaimIdle(conn: BackendConnection, owner: object): boolean {
    if (!this.keepsIdleFor(conn, owner)) return false;
    const stack = this.stackOf(conn, false)!;
    stack.splice(stack.indexOf(conn), 1);
    this.idleCount--;
    conn.keptResultsOf = undefined;
    return true;
  }

  /** Whether takeIdle would find a connection. */
  hasIdle(flavourKey: string, clientHasSchema: boolean): boolean {
    return this.idleStackFor(flavourKey, clientHasSchema) !== undefined;
  }

  /** The non-empty idle stack takeIdle takes from: with a schema first, if the client has one. */
  private idleStackFor(flavourKey: string, clientHasSchema: boolean): BackendConnection[] | undefined {
    const stacks = this.idle.get(flavourKey);
    if (stacks === undefined) return undefined;
    if (clientHasSchema && stacks.withSchema.length > 0) return stacks.withSchema;
    return stacks.withoutSchema.length > 0 ? stacks.withoutSchema : undefined;
  }

  /** The idle stack `conn` belongs on; created on first use when `create` is set. */
  private stackOf(conn: BackendConnection, create: boolean): BackendConnection[] | undefined {
    let stacks = this.idle.get(conn.flavour.key);
    if (stacks === undefined) {
      if (!create) return undefined;
      stacks = { withSchema: [], withoutSchema: [] };
      this.idle.set(conn.flavour.key, stacks);
      this.stacks.push(stacks.withSchema, stacks.withoutSchema);
    }
    return conn.state.schema === null ? stacks.withoutSchema : stacks.withSchema;
  }

  /**
   * Closes one idle connection (the least recently used of some flavour) to make room, and
   * calls `then` once the server has seen it close — so the server never counts N + 1.
   * Returns false if none is idle.
   */
  evictIdle(then: () => void): boolean {
    for (const stack of this.stacks) {
      const conn = stack.shift();
      if (conn === undefined) continue;
      this.idleCount--;
      this.retire(conn, then);
      return true;
    }
    return false;
  }

  /**
   * Closes `conn` (out of the idle stacks already, or never back in them) and keeps its place
   * taken until the server has seen it close — so the server never counts N + 1 — then frees
   * it: for `then`, else for whoever waits for a place.
   */
  private retire(conn: BackendConnection, then?: () => void): void {
    this.remove(conn);
    this.closing++;
    conn.close();
    // A server that never closes its side (frozen, partitioned) must not hold the place.
    const answered = conn.destroyUnlessDone(this.options.connectTimeout);
    conn.whenClosed(() => {
      answered();
      this.closing--;
      if (then !== undefined) then();
      else this.options.onAvailable?.();
    });
  }

  /** Whether `conn` has lived past `max_lifetime` (it is replaced once nobody uses it). */
  isExpired(conn: BackendConnection, now = Date.now()): boolean {
    return this.options.maxLifetime > 0 && now - conn.createdAt > this.options.maxLifetime;
  }

  /**
   * Gives a connection back to the idle stacks: on top, taken first (its buffers and the
   * server's thread are warm) — or, with `keptFor`, at the bottom, taken last: that quiet
   * client's previous results are still there (see ClientSession.keptResults), and stay its
   * own for as long as the other idle connections are enough for everyone else.
   */
  putIdle(conn: BackendConnection, keptFor?: object): void {
    conn.keptResultsOf = keptFor;
    if (this.closed) {
      this.remove(conn);
      conn.close();
      return;
    }
    if (conn.broken || conn.keepsHistory || this.isExpired(conn)) {
      this.retire(conn);
      return;
    }
    if (conn.killsInFlight > 0) {
      // Held out of the pool until the KILL QUERY naming its thread is answered.
      conn.whenKillsAnswered(() => this.putIdle(conn));
      return;
    }
    conn.idleSince = Date.now();
    if (keptFor !== undefined) this.stackOf(conn, true)!.unshift(conn);
    else this.stackOf(conn, true)!.push(conn);
    this.idleCount++;
    this.options.onAvailable?.();
  }

  remove(conn: BackendConnection): void {
    if (!this.all.delete(conn)) return;
    queueMicrotask(() => this.options.onAvailable?.());
    const stack = this.stackOf(conn, false);
    const i = stack === undefined ? -1 : stack.indexOf(conn);
    if (i >= 0) {
      stack!.splice(i, 1);
      this.idleCount--;
    }
  }

  /**
   * Runs one statement for the proxy on a connection of `flavour` that no client holds: an idle
   * one (even while the server is out of service: that only says new connections fail), or
   * else the one extra connection of that flavour this server keeps for such statements —
   * opened on demand, shared by the statements in flight (pipelined), closed when the last is
   * answered. So while any is in flight the server may see N + 1 connections (one more per
   * backend user). For KILL QUERY, which must not wait behind the statements it is for.
   * Not answered within `timeout` ms: the connection it went on is closed and `cb` gets an
   * error. `serverError` is set when the server answered ERR; `sent`, whether the statement
   * went out on a connection at all (false: none could be had, it cannot land later).
   */
  runAside(
    flavour: Flavour,
    sql: string,
    timeout: number,
    cb: (err: Error | null, serverError?: { errno: number; message: string }, sent?: boolean) => void,
  ): void {
    let settled = false;
    let carrier: BackendConnection | undefined;
    const timer = setTimeout(() => {
      finish(new Error(`no answer to ${sql} within ${timeout} ms`));
      // It may be stuck behind something: nothing more goes on it.
      carrier?.destroy();
    }, timeout);
    const finish = (err: Error | null, serverError?: { errno: number; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whether the statement went out on a connection (it may have run, or may still).
      cb(err, serverError, carrier !== undefined);
    };
    const answered = (err: Error | null, t: { error?: { errno: number; message: string } }) => {
      if (err !== null) finish(err);
      else if (t.error !== undefined) finish(new Error(`${t.error.errno} ${t.error.message}`), t.error);
      else finish(null);
    };
    const idle = this.closed ? undefined : this.takeIdle(flavour.key, true);
    if (idle !== undefined) {
      carrier = idle;
      idle.ranForProxy();
      idle.query(sql, undefined, (err, t) => {
        // Read first: putIdle may hand the connection to a waiting statement, whose start
        // clears the tracker's error.
        const serverError = t.error;
        this.putIdle(idle);
        answered(err, { error: serverError });
      });
      return;
    }
    if (this.closed) {
      finish(new Error('backend pool is closed'));
      return;
    }
    let aside = this.asides.get(flavour.key);
    if (aside === undefined) aside = this.openAside(flavour);
    const a = aside;
    a.users++;
    const release = () => {
      if (--a.users === 0 && this.asides.get(flavour.key) === a) {
        this.asides.delete(flavour.key);
        a.conn.close();
      }
    };
    const run = (err: Error | null) => {
      if (err !== null || settled) {
        // Given up on while the connection was still opening (a slow TCP connect, then a login
        // within its own timeout): the caller was told it was not sent, and acted on that — a
        // KILL QUERY sent now would hit whatever runs on that thread by then.
        release();
        finish(err);
        return;
      }
      carrier = a.conn;
      a.conn.query(sql, undefined, (e, t) => {
        release();
        answered(e, t);
      });
    };
    if (a.ready) run(null);
    else a.waiting.push(run);
  }

  /** Opens this server's extra connection of `flavour` (see runAside). */
  private openAside(flavour: Flavour): AsideConnection {
    // Only KILL QUERY goes on it: no session to track.
    const conn = this.newConnection(flavour, false);
    const a: AsideConnection = { conn, ready: false, waiting: [], users: 0 };
    this.asides.set(flavour.key, a);
    conn.connect((err) => {
      if (err === null && this.closed) {
        // Stopped while it was connecting.
        conn.destroy();
        err = new Error('backend pool is closed');
      }
      if (err !== null && this.asides.get(flavour.key) === a) this.asides.delete(flavour.key);
      a.ready = err === null;
      for (const run of a.waiting.splice(0)) run(err);
    });
    return a;
  }

  /** @param sessionTracking false for a connection that never serves a client (see runAside) */
  private newConnection(flavour: Flavour, sessionTracking = true): BackendConnection {
    return new BackendConnection(this, flavour, {
      address: this.options.address,
      connectTimeout: this.options.connectTimeout,
      keepAlive: this.options.keepAlive,
      tls: this.options.tls,
      log: this.options.log,
      readBuffer: this.readBuffer,
      sessionTracking,
    });
  }

  /**
   * A login this server refused, on any of its connections (pooled, KILL, probe): the server's
   * words (which account, from where) go to the log — a client is told only that it was refused
   * (LoginRefused.clientMessage) — once a minute per message, since every statement of a client
   * with a stale backend_password meets it again.
   */
  logRefusal(err: LoginRefused): void {
    const now = Date.now();
    const last = this.refusalsLogged.get(err.message);
    if (last !== undefined && now - last < 60_000) return;
    if (this.refusalsLogged.size >= 64) this.refusalsLogged.clear();
    this.refusalsLogged.set(err.message, now);
    this.options.log.warn({ server: this.name, err: err.message }, 'backend server refused a login');
  }

  /** When each refused login's message was last logged (see logRefusal). */
  private readonly refusalsLogged = new Map<string, number>();

  /** Opens a new connection of `flavour`; the caller made sure there is room. */
  open(flavour: Flavour, cb: ConnectionCallback): void {
    this.opening++;
    const conn = this.newConnection(flavour);
    conn.connect((err) => {
      this.opening--;
      if (err !== null) {
        if (err instanceof LoginRefused && !err.atConnectionLimit) {
          // Refused for the account itself (a wrong or rotated backend_password, a locked or
          // expired account): the server answered, so it is up, for every other account too.
          // Connection limits count below: more connects would only be refused again, and
          // statements wait for the connections the server did give.
          if (this.outUntil !== 0)
            this.options.log.info({ server: this.name }, 'backend server back in service');
          this.failures = 0;
          this.setOutUntil(0);
          cb(err, null);
          return;
        }
        this.failures++;
        if (this.failures >= this.options.failureLimit) {
          // Taken out, or a retry after retryAfter failed again: out for another retryAfter
          // (else, once retried, every statement would try its own connect while it is down).
          if (this.outUntil === 0) {
            this.options.log.warn(
              {
                server: this.name,
                failures: this.failures,
                retryInMs: this.options.retryAfter,
                err: err.message,
              },
              'backend server taken out of service',
            );
          }
          this.setOutUntil(Date.now() + this.options.retryAfter);
        }
        cb(err, null);
        return;
      }
      if (this.outUntil !== 0) this.options.log.info({ server: this.name }, 'backend server back in service');
      this.failures = 0;
      this.setOutUntil(0);
      if (this.closed) {
        conn.close();
        cb(new Error('backend pool is closed'), null);
        return;
      }
      this.all.add(conn);
      const deliver = () => {
        if (conn.broken || this.closed) {
          this.remove(conn);
          conn.destroy();
          cb(this.closed ? new Error('backend pool is closed') : new ConnectionLostBeforeUse(), null);
        } else {
          cb(null, conn);
        }
      };
      if (this.afterProbe !== undefined) this.afterProbe.push({ conn, deliver });
      else if (this.probed || this.options.probe === undefined) cb(null, conn);
      else {
        this.afterProbe = [];
        this.runProbe(conn, deliver);
      }
    });
  }

  /** Out of service until `until` (0: in service), telling {@link onServiceChange} of a change. */
  private setOutUntil(until: number): void {
    const was = this.inService;
    this.outUntil = until;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (until !== 0 && !this.closed) {
      // In service again at the retry time, with no event of its own: the next connect is the retry.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.onServiceChange?.();
      }, until - Date.now());
      this.retryTimer.unref();
    }
    if (this.inService !== was) this.onServiceChange?.();
  }

  /** Probes on `conn`; `afterProbe` holds the connections that wait for the outcome. */
  private runProbe(conn: BackendConnection, deliver: () => void): void {
    // A server that logs in and then never answers must not hold every new connection back.
    const answered = conn.destroyUnlessDone(this.options.connectTimeout);
    this.options.probe!(this, conn, (learnt) => {
      answered();
      this.probed = learnt;
      deliver();
      const waiting = this.afterProbe!;
      const next = learnt || this.closed ? undefined : waiting.shift();
      if (next !== undefined) {
        this.runProbe(next.conn, next.deliver);
        return;
      }
      this.afterProbe = undefined;
      for (const w of waiting) w.deliver();
    });
  }

  /** Pings connections idle for longer than the interval; a failed ping discards the connection. */
  private checkHealth(): void {
    const now = Date.now();
    const interval = this.options.healthCheckInterval;
    for (const stack of this.stacks) {
      for (const conn of [...stack]) {
        if (now - conn.idleSince < interval) continue;
        const i = stack.indexOf(conn);
        if (i < 0) continue;
        stack.splice(i, 1);
        this.idleCount--;
        // A server that takes the ping and never answers (frozen, partitioned) loses the
        // connection after connect_timeout instead of keeping it out of the pool for good.
        const answered = conn.destroyUnlessDone(this.options.connectTimeout);
        conn.ping((err) => {
          answered();
          if (err !== null) {
            this.options.log.warn(
              { server: this.name, err: err.message },
              'idle backend connection failed its ping',
            );
            this.remove(conn);
            conn.destroy();
          } else {
            this.putIdle(conn);
          }
        });
      }
    }
  }

  stats(): PoolStats {
    return {
      server: this.name,
      size: this.size,
      open: this.all.size,
      busy: this.all.size - this.idleCount,
      idle: this.idleCount,
      opening: this.opening,
      closing: this.closing,
      healthy: this.inService,
      readOnly: this.readOnly ?? null,
    };
  }

  close(): void {
    this.closed = true;
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const stack of this.stacks) {
      for (const conn of stack) {
        this.all.delete(conn);
        conn.close();
      }
      stack.length = 0;
    }
    this.idleCount = 0;
  }

  /** Destroys every connection, busy ones included (stop phase). */
  destroyAll(): void {
    this.close();
    // Their statements' callbacks are told (a destroyed connection fails what is in flight).
    for (const a of this.asides.values()) a.conn.destroy();
    this.asides.clear();
    for (const conn of this.all) conn.destroy();
    this.all.clear();
  }
}
