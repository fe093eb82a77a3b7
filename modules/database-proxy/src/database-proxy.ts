/**
 * The proxy as a whole: built once from the validated options, it owns the listener, the
 * backend pool, the QoS scheduler and the users, and creates a {@link ClientSession} per
 * connection. Usable without the kernel (give it a logger and a `listen` function).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLoopInfo } from '@scalestack/event';
import { type Address, counter, formatAddress, gauge, type MetricFamily } from '@scalestack/kernel';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_DEPRECATE_EOF,
  CLIENT_FOUND_ROWS,
  CLIENT_IGNORE_SPACE,
  CLIENT_LOCAL_FILES,
  CLIENT_LONG_FLAG,
  CLIENT_LONG_PASSWORD,
  CLIENT_MULTI_RESULTS,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_PS_MULTI_RESULTS,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SESSION_TRACK,
  CLIENT_SSL,
  CLIENT_TRANSACTIONS,
  encodeErr,
  encodeFrames,
  isEmptyPassword,
  MARIADB_CLIENT_EXTENDED_METADATA,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS,
  type ServerAuthPlugin,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { QosScheduler, type TenantConfig } from '@scalestack/qos';
import type { Connection, ConnectionHandler, Listener, ListenOptions } from '@scalestack/socket';
import type { Logger } from 'pino';
import type { BackendConnection } from './backend/backend-connection.js';
import { BackendPool, type Flavour } from './backend/backend-pool.js';
import { BackendServer } from './backend/backend-server.js';
import { ImpureViewCheck } from './backend/impure-view-check.js';
import {
  lazyBeginBlocker,
  parseServerDefaults,
  SERVER_DEFAULTS_SQL,
  type ServerDefaults,
  sqlModeHas,
} from './backend/server-defaults.js';
import { type ProxyOptions, toTenantConfig } from './config/options.js';
import { buildUsers, type ProxyUser } from './config/proxy-users.js';
import { checkTlsFiles } from './config/tls-files.js';
import { unsharable } from './config/worker-shares.js';
import { formatProxyError, ProxyError } from './errors.js';
import { ClientSession } from './frontend/client-session.js';
import { KILL_TOPIC, type KillOutcome, type KillRequest } from './frontend/kill.js';
import { KnownSchemas } from './frontend/known-schemas.js';
import { PROCESSLIST_TOPIC, type ProcesslistRequest, type ProcessRow } from './frontend/processlist.js';
import type { ProxyCore } from './frontend/proxy-core.js';
import type { DatabaseProxyService, ProxyCounters, ProxyStats } from './service.js';
import type { ImpureViews } from './session/impure-views.js';
import { PIN_REASONS, type PinReason } from './session/pin-reason.js';

/** Flags that change what a server sends back: backend connections are grouped by them. */
const SHAPING_FLAGS =
  CLIENT_FOUND_ROWS |
  CLIENT_DEPRECATE_EOF |
  CLIENT_MULTI_STATEMENTS |
  CLIENT_MULTI_RESULTS |
  CLIENT_PS_MULTI_RESULTS |
  CLIENT_LOCAL_FILES |
  CLIENT_IGNORE_SPACE;

/** Flags every backend connection has, whatever the client. */
const BASE_FLAGS =
  CLIENT_LONG_PASSWORD |
  CLIENT_LONG_FLAG |
  CLIENT_PROTOCOL_41 |
  CLIENT_TRANSACTIONS |
  CLIENT_SECURE_CONNECTION |
  CLIENT_PLUGIN_AUTH |
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
  CLIENT_CONNECT_ATTRS;

/** Until a backend has greeted us, do not offer what some servers lack and would break framing. */
const UNKNOWN_SERVER_FLAGS = SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF;

/** Longest wait at start for the servers' first connections (a third of the kernel's start timeout). */
const WARM_UP_LIMIT_MS = 10_000;

export type ListenFunction = (
  address: Address,
  onConnection: ConnectionHandler,
  options?: ListenOptions,
) => Promise<Listener>;

function zeroPins(): Record<PinReason, number> {
  return Object.fromEntries(PIN_REASONS.map((r) => [r, 0])) as Record<PinReason, number>;
}

export class DatabaseProxy implements ProxyCore, DatabaseProxyService {
  users: Map<string, ProxyUser>;
  readonly scheduler: QosScheduler;
  readonly pool: BackendPool;
  readonly counters: ProxyCounters = {
    connections: 0,
    queries: 0,
    errors: 0,
    retries: 0,
    backendLost: 0,
    queueTimeouts: 0,
    authFailures: 0,
    pins: zeroPins(),
    reprepares: 0,
    stateSyncs: 0,
    replays: 0,
    lazyBegins: 0,
    emptyTransactions: 0,
    transactionsAborted: 0,
    killQueriesSent: 0,
    idleClosed: 0,
    writeTimeouts: 0,
    loginSchemaChecks: 0,
  };
  capabilities = UNKNOWN_SERVER_FLAGS & ~CLIENT_SSL;
  /**
   * MariaDB extended capabilities offered to clients: extended metadata (the type a JSON or
   * UUID column really has, which drivers such as mysql2 read) when every server reached so far
   * offers it. Backend connections carry the client's choice in their flavour.
   */
  mariadbCapabilities = 0;
  serverVersion = '8.0.40-scalestack-proxy';
  readonly authPlugin: ServerAuthPlugin;
  readonly rsaKeys: { publicKey: string; privateKey: string };
  readonly tls: { key: string; cert: string } | undefined;
  /** `max_packet_size`, lowered to the smallest server's `max_allowed_packet` once learnt. */
  maxPacketSize: number;
  readonly loginTimeout: number;
  statementCacheSize: number;
  readonly maxPreparedStatements: number;
  readonly resultHold: number;
  lazyBeginAllowed: boolean;
  noBackslashEscapesByDefault = false;
  autocommitOffByDefault = false;
  autocommitOffByInitConnect = false;
  private plainBackslashDefault = false;
  get backslashDefaultsDiffer(): boolean {
    return this.noBackslashEscapesByDefault && this.plainBackslashDefault;
  }
  readonly shedDelay: number;
  private options: ProxyOptions;
  private listener: Listener | undefined;
  /** Connected clients by connection id (what KILL names). */
  private readonly clients = new Map<number, ClientSession>();
  private readonly perUser = new Map<string, number>();
  private readonly flavours = new Map<string, Flavour>();
  /**
   * Connection ids (the greeting's, which KILL takes) are unique across event threads: worker i
   * of n hands out i+1, i+1+n, i+1+2n, … so an id says which thread serves it.
   */
  private nextClientId: number;
  private readonly clientIdStep: number;
  private statsTimer: NodeJS.Timeout | undefined;
  private shedTimer: NodeJS.Timeout | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private readonly loopHistogram = monitorEventLoopDelay({ resolution: 10 });
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }
  private drainWaiters: (() => void)[] = [];
  private stopShedding: (() => void) | undefined;
  private stopKillAnswers: (() => void) | undefined;
  private stopProcesslistAnswers: (() => void) | undefined;
  private readonly viewCheck: ImpureViewCheck;
  readonly views: ImpureViews;
  readonly knownSchemas: KnownSchemas;

  /**
   * @param loop the `event` module's loop, when it runs: with several worker threads each
   *   proxy gets its share of every pool N and of absolute tenant caps, so the totals hold
   *   across workers; its health drives `shed_delay`.
   */
  constructor(
    options: ProxyOptions,
    readonly log: Logger,
    private readonly listenFn: ListenFunction,
    private readonly loop?: EventLoopInfo,
  ) {
    this.options = options;
    this.nextClientId = (loop?.workerIndex ?? 0) + 1;
    this.clientIdStep = loop?.workerCount ?? 1;
    this.users = buildUsers(options.users);
    this.authPlugin = options.auth_plugin;
    this.maxPacketSize = options.max_packet_size;
    this.loginTimeout = options.login_timeout;
    this.statementCacheSize = options.statement_cache_size;
    this.maxPreparedStatements = options.max_prepared_statements;
    this.resultHold = options.result_hold;
    this.lazyBeginAllowed = options.lazy_begin;
    this.shedDelay = options.shed_delay;
    // The kernel refuses such options at load (the module's check); a DatabaseProxy made
    // directly gets the same refusal here.
    const tlsProblems = checkTlsFiles(options);
    if (tlsProblems.length > 0) throw new Error(`database-proxy: ${tlsProblems.join('; ')}`);
    if (options.tls_key !== undefined && options.tls_cert !== undefined) {
      this.tls = { key: readFileSync(options.tls_key, 'utf8'), cert: readFileSync(options.tls_cert, 'utf8') };
    }
    // For caching_sha2_password full authentication without TLS (the client encrypts with it).
    this.rsaKeys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const servers = options.backends.map(
      (b) =>
        new BackendServer({
          name: b.name ?? formatAddress(b.address),
          address: b.address,
          account: { user: b.user, password: b.password },
          size: this.shareOf(b.pool, `backend "${b.name ?? formatAddress(b.address)}" pool`),
          connectTimeout: options.connect_timeout,
          keepAlive: options.keep_alive,
          maxLifetime: options.max_lifetime,
          healthCheckInterval: options.health_check_interval,
          failureLimit: options.server_failure_limit,
          retryAfter: options.server_retry_timeout,
          tls: b.tls ? { rejectUnauthorized: b.tls_verify } : undefined,
          log,
          probe: (server, conn, done) => this.learnServer(server, b.pool, conn, done),
          onGreetingChanged: () => this.adoptGreetings(),
          onAvailable: () => {
            // A due view check goes before waiting clients: it takes milliseconds, and while
            // the views are unknown nothing stacks.
            this.viewCheck.onIdle();
            this.pool.notify();
          },
        }),
    );
    this.viewCheck = new ImpureViewCheck(
      servers,
      options.view_check_interval,
      log,
      // A catalogue of many views can take a while to read: connect_timeout, at least 30 s.
      Math.max(options.connect_timeout, 30_000),
    );
    this.views = this.viewCheck.views;
    this.knownSchemas = new KnownSchemas(options.connect_timeout, this.counters);
    this.pool = new BackendPool(servers, options.connect_timeout, {
      // A property of the servers (their cores), so split among worker threads like the pool;
      // every worker still needs one to stack on.
      connections: Math.max(
        1,
        this.loop?.share(options.pipeline_connections) ?? options.pipeline_connections,
      ),
      depth: options.pipeline_depth,
      stall: options.pipeline_stall,
    });
    this.scheduler = new QosScheduler({
      slots: this.pool.capacity,
      tenants: this.tenantConfigs(options),
      defaultTenant: options.default_tenant,
    });
    // A server out of service takes its slots with it: statements queue fairly, up to their
    // queue_timeout, for the servers still in service, rather than take a slot no connection
    // can serve. With every server out, the slots stay: statements fail at once (9004).
    const allSlots = this.pool.capacity;
    this.pool.onCapacityChange(() => this.scheduler.resize(this.pool.capacity || allSlots));
  }

  private tenantConfigs(options: ProxyOptions): Record<string, TenantConfig> {
    const defaults: TenantConfig = { queue_timeout: options.queue_timeout, max_queued: options.max_queued };
    const out: Record<string, TenantConfig> = { [options.default_tenant]: defaults };
    for (const t of options.tenants) {
      const config = { ...defaults, ...(toTenantConfig(t) as TenantConfig) };
      // An absolute cap is split like the pool; a share of the pool ("75%", 0.75) stays a share.
      if (typeof config.max_in_flight === 'number' && config.max_in_flight >= 1) {
        config.max_in_flight = this.shareOf(config.max_in_flight, `tenant "${t.name}" max_in_flight`);
      }
      out[t.name] = config;
    }
    // A tenant a user names without configuring it is a tenant of its own, with the defaults:
    // `tenant: acme` and `tenant: globex` on two users must not share one queue, where a flood
    // from one starves the other. (A name only a connection attribute gives must be configured.)
    for (const u of options.users) {
      if (u.tenant !== undefined && out[u.tenant] === undefined) out[u.tenant] = defaults;
    }
    return out;
  }

  /** This worker's part of a global limit (the whole of it without worker threads). */
  private shareOf(total: number, what: string): number {
    if (this.loop === undefined || this.loop.workerCount === 1) return total;
    // `scalestack check` refuses this (checkWorkerShares); a proxy built by hand gets it here.
    const problem = unsharable(what, total, this.loop.workerCount);
    if (problem !== undefined) throw new Error(problem);
    return this.loop.share(total);
  }

  get address(): { host: string; port: number } {
    const a = this.listener?.address;
    return a?.kind === 'tcp'
      ? { host: a.host, port: a.port }
      : { host: a?.kind === 'unix' ? a.path : '', port: 0 };
  }

  /** Learns the backends' version and capabilities, then listens. */
  async start(): Promise<void> {
    await this.warmUp();
    this.listener = await this.listenFn(this.options.listen, this.onConnection, {
      maxConnections: this.options.max_connections,
      onRefused: (conn) => {
        this.counters.errors++;
        conn.write(
          encodeFrames(
            encodeErr({
              errno: ProxyError.listenerFull.code,
              sqlState: ProxyError.listenerFull.sqlState,
              message: formatProxyError(ProxyError.listenerFull, this.options.max_connections),
            }),
            0,
          ),
        );
      },
    });
    this.stopKillAnswers = this.loop?.answer(KILL_TOPIC, (m) => this.killHere(m as KillRequest));
    this.stopProcesslistAnswers = this.loop?.answer(PROCESSLIST_TOPIC, (m) =>
      this.processesHere(m as ProcesslistRequest),
    );
    if (this.options.stats_interval > 0) {
      this.statsTimer = setInterval(() => this.logStats(), this.options.stats_interval);
      this.statsTimer.unref();
    }
    const waitTimeout = this.options.wait_timeout;
    const netWriteTimeout = this.options.net_write_timeout;
    if (waitTimeout > 0 || netWriteTimeout > 0) {
      // One sweep for every client rather than a timer re-armed per statement: a client is
      // closed between its timeout and a quarter more after the wait began.
      const shortest = Math.min(
        waitTimeout || Number.POSITIVE_INFINITY,
        netWriteTimeout || Number.POSITIVE_INFINITY,
      );
      const period = Math.min(10_000, Math.max(25, Math.floor(shortest / 4)));
      this.waitTimer = setInterval(() => {
        const now = Date.now();
        for (const client of this.clients.values()) {
          if (netWriteTimeout > 0 && client.closeIfStuck(now, netWriteTimeout)) this.counters.writeTimeouts++;
          else if (waitTimeout > 0 && client.closeIfQuiet(now, waitTimeout)) this.counters.idleClosed++;
        }
      }, period);
      this.waitTimer.unref();
    }
    if (this.shedDelay > 0 && this.loop !== undefined) {
      this.stopShedding = this.loop.onHealth((h) => this.scheduler.setShedding(h.delay.p99 > this.shedDelay));
    } else if (this.shedDelay > 0) {
      this.loopHistogram.enable();
      this.shedTimer = setInterval(() => {
        this.scheduler.setShedding(this.loopDelay() > this.shedDelay);
        this.loopHistogram.reset();
      }, 250);
      this.shedTimer.unref();
    }
    this.log.info(
      {
        listen: formatAddress(this.listener.address),
        backends: this.pool.servers.map((s) => `${s.name} (pool ${s.size})`),
        pipeline: this.pool.pipelineSettings,
        serverVersion: this.serverVersion,
      },
      'database proxy listening',
    );
    this.warnOfOpenUsers();
  }

  /**
   * Users without a password log in for anyone who reaches the listener — as the backends'
   * service account. The zero-setup default (root, no password, in front of sqlite-backend) is
   * one: said once at start, so that it is not carried in front of a real server unnoticed.
   */
  private warnOfOpenUsers(): void {
    const open = [...this.users.values()].filter((u) => isEmptyPassword(u.credentials)).map((u) => u.name);
    if (open.length === 0) return;
    this.log.warn(
      { users: open, listen: formatAddress(this.options.listen) },
      'users without a password: anyone who reaches the listener logs in as them (configure users with passwords for anything but trying things out)',
    );
  }

  /**
   * One connection per server before listening, so the greeting offers what the servers really
   * support and the views are known. A server not reachable now is learnt on its first
   * connection later (BackendServer's probe). The wait is bounded by {@link WARM_UP_LIMIT_MS}
   * whatever `connect_timeout` is: a server that accepts and never answers must not keep the
   * proxy from listening (with a long connect_timeout it outlasted the kernel's start timeout).
   */
  private async warmUp(): Promise<void> {
    const flavour = this.flavourFor(
      {
        name: '',
        credentials: {},
        tenant: undefined,
        maxConnections: 0,
        backendUser: undefined,
        backendPassword: undefined,
      },
      SUPPORTED_CAPABILITIES,
      45,
    );
    let limit: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all(
        this.pool.servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.open(flavour, (err, conn) => {
                if (err !== null || conn === null) {
                  this.log.warn(
                    { server: server.name, err: err?.message },
                    "backend not usable at start (unreachable, or it refused the proxy's login); the proxy starts anyway, retries per request and reads the server's settings when it first gets through",
                  );
                  resolve();
                  return;
                }
                // Listen knowing which views hide a write — waiting connect_timeout at most: the
                // start must not wait on a slow catalogue (the periodic checks get longer).
                this.viewCheck.checkOn(
                  conn,
                  server.name,
                  () => {
                    this.pool.release(conn);
                    resolve();
                  },
                  this.options.connect_timeout,
                );
              });
            }),
        ),
      ).then(() => true),
      new Promise<false>((resolve) => {
        limit = setTimeout(() => resolve(false), WARM_UP_LIMIT_MS);
      }),
    ]);
    clearTimeout(limit);
    if (!waited) {
      this.log.warn(
        { waitedMs: WARM_UP_LIMIT_MS },
        "a backend has not answered yet; the proxy starts anyway and reads the server's settings when it first gets through",
      );
    }
    this.adoptGreetings();
  }

  /**
   * What a server's first connection tells before anyone uses it: its limit on prepared
   * statements (the proxy's statement caches must fit it together, or clients' prepares start
   * failing with ER 1461 once enough distinct statements passed) and the defaults that decide
   * whether lazy BEGIN may answer for it.
   */
  private learnServer(
    server: BackendServer,
    configuredPool: number,
    conn: BackendConnection,
    done: (learnt: boolean) => void,
  ): void {
    conn.queryRow('SELECT @@global.max_prepared_stmt_count, @@global.max_allowed_packet', (err, values) => {
      if (err !== null) {
        done(false);
        return;
      }
      this.fitStatementCache(configuredPool, Number(values?.[0]));
      this.fitPacketSize(server, Number(values?.[1]));
      conn.queryRows(SERVER_DEFAULTS_SQL, (err2, rows) => {
        // A server without these variables (sqlite-backend) has the stock behaviour.
        if (rows !== undefined) this.adoptServerDefaults(server, parseServerDefaults(rows), conn);
        done(err2 === null);
      });
    });
  }

  /**
   * The proxy has no read/write split: every backend takes any statement, so they must be
   * equivalent (each one seeing every write at once: one server, or synchronous replication).
   * A read-only server beside writable ones — a replica listed with its primary — fails the
   * writes that land on it and may answer reads without the writes just made elsewhere: said
   * once, loudly, when the servers' settings show it.
   */
  private warnIfReadOnlyMix(): void {
    if (this.readOnlyMixLogged) return;
    const readOnly = this.pool.servers.filter((s) => s.readOnly === true).map((s) => s.name);
    const writable = this.pool.servers.filter((s) => s.readOnly === false).map((s) => s.name);
    if (readOnly.length === 0 || writable.length === 0) return;
    this.readOnlyMixLogged = true;
    this.log.error(
      { readOnly, writable },
      'backends differ in read_only: the proxy sends any statement to any backend (it has no read/write split), so writes that land on a read-only one fail and reads there may miss writes made on the others; list equivalent servers only',
    );
  }

  private readOnlyMixLogged = false;

  /** The greeting new clients get: what every server reached so far supports, its version. */
  private adoptGreetings(): void {
    let caps = UNKNOWN_SERVER_FLAGS;
    const known = this.pool.servers.filter((s) => s.serverCapabilities >= 0);
    let ext = 0;
    if (known.length > 0) {
      caps = SUPPORTED_CAPABILITIES;
      // Bulk execute (the mariadb connector's batch(): one command for every row) only when
      // every server takes it: a client's batch may run on any of them.
      ext = MARIADB_CLIENT_EXTENDED_METADATA | MARIADB_CLIENT_STMT_BULK_OPERATIONS;
      for (const s of known) {
        caps &= s.serverCapabilities;
        ext &= s.serverMariadbCapabilities;
      }
      this.serverVersion = known[0]!.serverVersion;
    }
    this.mariadbCapabilities = ext;
    this.capabilities = ((caps & ~CLIENT_SSL) | (this.tls !== undefined ? CLIENT_SSL : 0)) >>> 0;
  }

  /**
   * Keeps the server's completion_type (under RELEASE every plain COMMIT ends the session there)
   * and turns lazy BEGIN off when its global settings change what BEGIN / COMMIT do.
   */
  private adoptServerDefaults(
    server: BackendServer,
    defaults: ServerDefaults,
    conn: BackendConnection,
  ): void {
    // The greeting and the login's OK say the global autocommit, as MariaDB's do (it runs
    // init_connect after them, and not again on a reset); an init_connect that turns it off
    // shows in the BEGIN a lazy BEGIN would answer.
    if (!defaults.autocommit) this.autocommitOffByDefault = true;
    else if (conn.baseline.get('autocommit') === '0') {
      this.autocommitOffByInitConnect = true;
      defaults = { ...defaults, autocommit: false };
    }
    server.completionType = defaults.completionType;
    server.readOnly = defaults.serverReadOnly;
    this.warnIfReadOnlyMix();
    if (sqlModeHas(defaults, 'NO_BACKSLASH_ESCAPES')) this.noBackslashEscapesByDefault = true;
    else this.plainBackslashDefault = true;
    const blocker = lazyBeginBlocker(defaults);
    if (blocker === undefined || !this.lazyBeginAllowed) return;
    this.lazyBeginAllowed = false;
    this.log.info(
      { server: server.name, reason: blocker },
      'lazy BEGIN off: this server answers BEGIN and COMMIT itself (set lazy_begin: false to skip the check)',
    );
  }

  /**
   * Lowers `statement_cache_size` so that a server's N × cache stays under 90 % of its limit —
   * its configured N (`connections`), over every worker thread (each holds only its share of it).
   * One cache size serves every server: the tightest one sets it.
   */
  private fitStatementCache(connections: number, serverLimit: number): void {
    if (!Number.isFinite(serverLimit) || serverLimit <= 0) return;
    const fit = Math.max(1, Math.floor((serverLimit * 0.9) / connections));
    if (fit < this.statementCacheSize) {
      this.log.warn(
        { configured: this.statementCacheSize, used: fit, max_prepared_stmt_count: serverLimit, connections },
        "statement_cache_size lowered to fit the server's max_prepared_stmt_count",
      );
      this.statementCacheSize = fit;
    }
  }

  /**
   * A client packet the server would refuse (ER 1153, and it closes the connection) is refused
   * by the proxy first, as the server refuses it: forwarded, the server's ERR came in the middle
   * of a packet of several frames, with the server's sequence id — clients reported "packets out
   * of order" — and the client connection stayed open where MariaDB's closes. Clients that log
   * in from then on get the lower limit.
   */
  private fitPacketSize(server: BackendServer, serverLimit: number): void {
    // MariaDB refuses a packet that reaches max_allowed_packet (it grows its read buffer only
    // below the limit): the largest it takes is one byte less.
    const largest = serverLimit - 1;
    if (!Number.isFinite(largest) || largest <= 0 || largest >= this.maxPacketSize) return;
    this.log.info(
      { configured: this.maxPacketSize, used: largest, server: server.name },
      "max_packet_size lowered to below the server's max_allowed_packet",
    );
    this.maxPacketSize = largest;
  }

  private readonly onConnection = (conn: Connection): void => {
    if (this.draining) {
      conn.destroy();
      return;
    }
    this.counters.connections++;
    const session = new ClientSession(this.nextClientId, conn, this);
    this.nextClientId += this.clientIdStep;
    this.clients.set(session.id, session);
    session.start();
  };

  // ProxyCore -------------------------------------------------------------------------------------

  tenantOf(user: ProxyUser, attributes: Record<string, string>): string | undefined {
    const attr = this.options.tenant_attribute;
    if (attr !== undefined && attributes[attr] !== undefined) return attributes[attr];
    return user.tenant;
  }

  flavourFor(
    user: ProxyUser,
    clientCapabilities: number,
    collation: number,
    mariadbCapabilities = 0,
  ): Flavour {
    // Without a backend_user of its own a client's connections log in as each server's service
    // account: one flavour over every server, whatever each server's account is.
    const backendUser = user.backendUser;
    const backendPassword = user.backendPassword;
    const shaping = clientCapabilities & SHAPING_FLAGS & this.capabilities;
    // Session tracking is asked of every server that offers it, whatever the client: what a SET
    // or USE changed is then known and replayed instead of pinning the connection, and the OKs
    // that report it are rewritten for a client that did not ask (see BackendConnection).
    const tracking = CLIENT_SESSION_TRACK & this.capabilities;
    // Only what shapes results splits the pool: every backend connection takes bulk execute
    // where its server offers it (see BackendConnection), whether or not this client asked.
    const ext = mariadbCapabilities & this.mariadbCapabilities & MARIADB_CLIENT_EXTENDED_METADATA;
    const key = `${backendUser === undefined ? 's:' : `u:${backendUser}`}|${shaping | tracking}|${collation}|${ext}`;
    // One object per flavour: the pool compares flavours on every pure read, by identity first.
    const known = this.flavours.get(key);
    if (known !== undefined && known.password === backendPassword) return known;
    const flavour: Flavour = {
      key,
      user: backendUser,
      password: backendPassword,
      capabilities: (BASE_FLAGS | tracking | shaping) >>> 0,
      mariadbCapabilities: ext,
      collation,
    };
    this.flavours.set(key, flavour);
    return flavour;
  }

  queueTimeoutOf(tenant: string): number {
    const t = this.options.tenants.find((x) => x.name === tenant);
    return t?.queue_timeout ?? this.options.queue_timeout;
  }

  maxQueuedOf(tenant: string): number {
    const t = this.options.tenants.find((x) => x.name === tenant);
    return t?.max_queued ?? this.options.max_queued;
  }

  maxConnectionsOf(tenant: string): number | undefined {
    return this.options.tenants.find((x) => x.name === tenant)?.max_connections;
  }

  viewsChanged(): void {
    // Invalidated again on the answer: a check that started while the DDL ran may predate it.
    this.views.invalidate();
    this.viewCheck.request();
  }

  loopDelay(): number {
    if (this.loop !== undefined) return Math.round(this.loop.health().delay.p99);
    return Math.round(this.loopHistogram.percentile(99) / 1e6);
  }

  userConnections(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  addUserConnection(user: string): void {
    this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
  }

  removeUserConnection(user: string): void {
    const n = (this.perUser.get(user) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(user);
    else this.perUser.set(user, n);
  }

  countPin(reason: PinReason): void {
    this.counters.pins[reason]++;
  }

  clientIdle(): void {
    if (this.draining) this.checkDrained();
  }

  removeClient(session: ClientSession): void {
    this.clients.delete(session.id);
    this.checkDrained();
  }

  findClient(id: number): ClientSession | undefined {
    return this.clients.get(id);
  }

  /** Carries out a KILL for one of this thread's clients (asked here or by another thread). */
  killHere(request: KillRequest): Promise<KillOutcome> {
    const victim = this.findClient(request.id);
    if (victim === undefined || victim.user?.name !== request.user)
      return Promise.resolve({ kind: 'unknown' });
    return victim.killedBy(request.query);
  }

  async killOnThread(thread: number, request: KillRequest): Promise<KillOutcome> {
    if (this.loop === undefined) return { kind: 'unknown' };
    // The owner may open a connection for the KILL and gives up on it after connect_timeout:
    // wait longer than that, so the answer is its outcome, not this wait's end.
    const timeout = 2 * this.options.connect_timeout + 1000;
    return (await this.loop.ask(thread, KILL_TOPIC, request, timeout)) as KillOutcome;
  }

  /** This thread's connections of `request.user`, as SHOW PROCESSLIST rows. */
  processesHere(request: ProcesslistRequest): ProcessRow[] {
    const now = Date.now();
    const rows: ProcessRow[] = [];
    for (const c of this.clients.values()) {
      if (c.user?.name !== request.user) continue;
      const row = c.processRow(now, request.full);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  async processlist(request: ProcesslistRequest): Promise<ProcessRow[]> {
    const rows = this.processesHere(request);
    const loop = this.loop;
    if (loop !== undefined && loop.workerCount > 1) {
      const asks: Promise<ProcessRow[]>[] = [];
      for (let i = 0; i < loop.workerCount; i++) {
        if (i === loop.workerIndex) continue;
        asks.push(
          loop.ask(i, PROCESSLIST_TOPIC, request).then(
            (answer) => answer as ProcessRow[],
            (err: Error) => {
              this.log.warn(
                { thread: i, err: err.message },
                'SHOW PROCESSLIST: an event thread did not answer; its connections are not listed',
              );
              return [];
            },
          ),
        );
      }
      for (const answer of await Promise.all(asks)) rows.push(...answer);
    }
    return rows.sort((a, b) => a.id - b.id);
  }

  threadOfClient(id: number): number {
    return this.clientIdStep === 1 || id < 1 ? 0 : (id - 1) % this.clientIdStep;
  }

  get thread(): number {
    return this.loop?.workerIndex ?? 0;
  }

  // Service -------------------------------------------------------------------------------------

  stats(): ProxyStats {
    const pinnedNow = zeroPins();
    const clients = [];
    for (const c of this.clients.values()) {
      const s = c.stats();
      for (const r of s.pinned) pinnedNow[r]++;
      clients.push(s);
    }
    return {
      pools: this.pool.stats(),
      clients,
      counters: { ...this.counters, pins: { ...this.counters.pins } },
      pinnedNow,
      // Queued for a slot, or holding one and waiting for a connection.
      waiting: this.scheduler.queued + this.pool.waiting,
      pipeline: {
        ...this.pool.pipelineCounts,
        ...this.pool.pipelineStats(),
        impureViews: this.views.isKnown ? this.views.size : null,
      },
    };
  }

  logStats(): void {
    const s = this.stats();
    const states: Record<string, number> = {};
    for (const c of s.clients) states[c.state] = (states[c.state] ?? 0) + 1;
    this.log.info(
      {
        pools: s.pools,
        clients: states,
        waiting: s.waiting,
        pinnedNow: nonZero(s.pinnedNow),
        counters: { ...s.counters, pins: nonZero(s.counters.pins) },
        pipeline: s.pipeline,
      },
      'database proxy stats',
    );
  }

  /** Metric families for the kernel's registry (rendered at /metrics by http-server). */
  metricFamilies(): MetricFamily[] {
    const s = this.stats();
    const c = s.counters;
    const pool = (field: 'size' | 'busy' | 'idle' | 'open' | 'opening' | 'closing') =>
      s.pools.map((p) => ({ labels: { server: p.server }, value: p[field] }));
    const states: Record<string, number> = { handshake: 0, idle: 0, waiting: 0, active: 0, closing: 0 };
    for (const cl of s.clients) states[cl.state] = (states[cl.state] ?? 0) + 1;
    const byReason = (values: Record<PinReason, number>) =>
      PIN_REASONS.map((reason) => ({ labels: { reason }, value: values[reason] }));
    const m = 'scalestack_dbproxy_';
    return [
      gauge(`${m}pool_size`, 'Backend connections allowed per server (N)', pool('size')),
      gauge(`${m}pool_open`, 'Backend connections open', pool('open')),
      gauge(`${m}pool_busy`, 'Backend connections in use', pool('busy')),
      gauge(`${m}pool_idle`, 'Backend connections idle', pool('idle')),
      gauge(`${m}pool_opening`, 'Backend connections being opened', pool('opening')),
      gauge(
        `${m}pool_closing`,
        'Backend connections closed by the proxy, not yet by the server (their places taken)',
        pool('closing'),
      ),
      gauge(`${m}waiting`, 'Statements waiting for a backend', s.waiting),
      gauge(
        `${m}clients`,
        'Client connections by state',
        Object.entries(states).map(([state, value]) => ({ labels: { state }, value })),
      ),
      gauge(
        `${m}pinned_clients`,
        'Clients holding a backend between statements, by reason',
        byReason(s.pinnedNow),
      ),
      counter(`${m}pins_total`, 'Pins begun, by reason', byReason(c.pins)),
      counter(`${m}connections_total`, 'Client connections accepted', c.connections),
      counter(`${m}queries_total`, 'Commands forwarded to backends', c.queries),
      counter(`${m}errors_total`, 'ERR packets sent to clients', c.errors),
      counter(`${m}retries_total`, 'Commands retried on another backend before anything was sent', c.retries),
      counter(
        `${m}backend_lost_total`,
        'Commands whose backend was lost after sending (ERR 9005)',
        c.backendLost,
      ),
      counter(`${m}idle_closed_total`, 'Clients closed after wait_timeout without a command', c.idleClosed),
      counter(
        `${m}write_timeouts_total`,
        'Clients closed after net_write_timeout without taking any of a result',
        c.writeTimeouts,
      ),
      counter(
        `${m}queue_timeouts_total`,
        'Commands refused after the queue timeout (ERR 9001)',
        c.queueTimeouts,
      ),
      counter(`${m}auth_failures_total`, 'Failed logins at the proxy', c.authFailures),
      counter(
        `${m}login_schema_checks_total`,
        'Logins whose database was checked on a backend connection',
        c.loginSchemaChecks,
      ),
      counter(`${m}reprepares_total`, 'Statements prepared again on another backend', c.reprepares),
      counter(`${m}state_syncs_total`, 'Session state syncs before a statement', c.stateSyncs),
      counter(`${m}stacked_total`, 'Pure reads stacked on a shared backend connection', s.pipeline.stacked),
      counter(`${m}diverted_total`, 'Stacked reads moved off a stalled connection', s.pipeline.diverted),
      counter(`${m}stalls_total`, 'Shared connections that stalled', s.pipeline.stalls),
      counter(`${m}replays_total`, 'Pure reads run again for a statement that asks about them', c.replays),
      counter(
        `${m}lazy_begins_total`,
        'BEGINs answered by the proxy, opened with the next statement',
        c.lazyBegins,
      ),
      counter(
        `${m}empty_transactions_total`,
        'COMMIT / ROLLBACK answered by the proxy: no transaction on a backend to end',
        c.emptyTransactions,
      ),
      counter(
        `${m}transactions_aborted_total`,
        'Transactions rolled back when a statement of them was refused before they reached a backend (ERR 9009 until the client ends them)',
        c.transactionsAborted,
      ),
      counter(
        `${m}kill_queries_sent_total`,
        "KILL QUERYs sent to a server for a client's running statement",
        c.killQueriesSent,
      ),
      gauge(
        `${m}shared_connections`,
        'Backend connections shared by pure reads',
        s.pipeline.sharedConnections,
      ),
      ...(this.scheduler.toMetricFamilies('scalestack_dbproxy_qos') as MetricFamily[]),
    ];
  }

  /**
   * Applies new users, tenants and queue settings (SIGHUP / kernel.reload); connections stay.
   * `next` differs from the options in force only in the module's `reloadable` ones (the kernel
   * passes the old value of every other). All or nothing: everything that can refuse the new
   * settings runs before anything changes.
   */
  reload(next: ProxyOptions): void {
    const users = buildUsers(next.users);
    this.scheduler.update(this.tenantConfigs(next), next.default_tenant);
    this.users = users;
    this.options = next;
    this.followBackendPasswords(users);
    this.log.info(
      { users: next.users.length, tenants: next.tenants.map((t) => t.name) },
      'users and tenants reloaded',
    );
  }

  /**
   * A reloaded `backend_password` goes to the flavours of that backend user, which sessions
   * logged in before the reload share: their next connections log in with it (the old one
   * may no longer be the account's). A backend user no reloaded user names keeps its password.
   */
  private followBackendPasswords(users: ReadonlyMap<string, ProxyUser>): void {
    const passwords = new Map<string, string | undefined>();
    for (const u of users.values()) {
      if (u.backendUser !== undefined && !passwords.has(u.backendUser))
        passwords.set(u.backendUser, u.backendPassword);
    }
    for (const f of this.flavours.values()) {
      if (f.user !== undefined && passwords.has(f.user)) f.password = passwords.get(f.user);
    }
  }

  /** Stops accepting, then waits until no client has a statement in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.listener?.close();
    if (this.busyClients() === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private busyClients(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.status === 'active' || c.status === 'waiting') n++;
    return n;
  }

  private checkDrained(): void {
    if (this.draining && this.drainWaiters.length > 0 && this.busyClients() === 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  /** Closes every client and backend connection. */
  async stop(): Promise<void> {
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    if (this.shedTimer !== undefined) clearInterval(this.shedTimer);
    if (this.waitTimer !== undefined) clearInterval(this.waitTimer);
    this.viewCheck.stop();
    this.stopShedding?.();
    this.stopKillAnswers?.();
    this.stopProcesslistAnswers?.();
    this.loopHistogram.disable();
    for (const c of [...this.clients.values()]) c.close();
    // The pool's own timers and waiters go too (an embedding process lives on after stop).
    this.pool.close();
    for (const s of this.pool.servers) s.destroyAll();
    this.scheduler.close();
    await this.listener?.closeAll();
  }
}

function nonZero(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));
}
