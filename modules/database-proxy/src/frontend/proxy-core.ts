/**
 * What a {@link ClientSession} needs from the proxy around it: users, admission, the pool, the
 * negotiated protocol settings and the counters. One object per proxy, built once from the
 * configuration; sessions are created per connection and share it (Envoy's factory split).
 */
import type { ServerAuthPlugin } from '@scalestack/mysql-protocol';
import type { QosScheduler } from '@scalestack/qos';
import type { Logger } from 'pino';
import type { BackendPool, Flavour } from '../backend/backend-pool.js';
import type { ProxyUser } from '../config/proxy-users.js';
import type { ProxyCounters } from '../service.js';
import type { ImpureViews } from '../session/impure-views.js';
import type { PinReason } from '../session/pin-reason.js';
import type { ClientSession } from './client-session.js';
import type { KillOutcome, KillRequest } from './kill.js';
import type { KnownSchemas } from './known-schemas.js';
import type { ProcesslistRequest, ProcessRow } from './processlist.js';

export interface ProxyCore {
  readonly log: Logger;
  readonly users: ReadonlyMap<string, ProxyUser>;
  readonly scheduler: QosScheduler;
  readonly pool: BackendPool;
  readonly counters: ProxyCounters;
  /** The proxy is stopping: it finishes what runs and lets no one new in (ER 1053). */
  readonly isDraining: boolean;
  /** Capability flags offered to clients (what the proxy and the backends both support). */
  readonly capabilities: number;
  /** MariaDB extended capabilities offered to clients (extended metadata, when the servers have it). */
  readonly mariadbCapabilities: number;
  readonly serverVersion: string;
  readonly authPlugin: ServerAuthPlugin;
  readonly rsaKeys: { publicKey: string; privateKey: string } | undefined;
  /** Server-side TLS settings for clients that send SSLRequest. */
  readonly tls: { key: string; cert: string } | undefined;
  /** Largest client packet: `max_packet_size`, or a server's smaller `max_allowed_packet`. */
  readonly maxPacketSize: number;
  /** How long a client may take to log in (ms). */
  readonly loginTimeout: number;
  /** Backend statements kept per backend connection before the least recently used is closed. */
  readonly statementCacheSize: number;
  /**
   * Prepared statements one client may hold open: the proxy keeps each one's text, and the
   * backend cache evicts, so the server's max_prepared_stmt_count never stops a client leaking them.
   */
  readonly maxPreparedStatements: number;
  /** How long a quiet client keeps a backend for its previous statement's results (ms). */
  readonly resultHold: number;
  /**
   * Whether a plain BEGIN may be answered here and opened with the next statement (the option,
   * turned off once a server whose defaults change BEGIN / COMMIT is reached).
   */
  readonly lazyBeginAllowed: boolean;
  /**
   * A server's global sql_mode has NO_BACKSLASH_ESCAPES: a session starts with it, so its first
   * statement is read that way before any response says so.
   */
  readonly noBackslashEscapesByDefault: boolean;
  /** Some servers' defaults have NO_BACKSLASH_ESCAPES and some do not. */
  readonly backslashDefaultsDiffer: boolean;
  /**
   * A server's global autocommit is off: the greeting and the answers before a session's first
   * response say so.
   */
  readonly autocommitOffByDefault: boolean;
  /**
   * A server's init_connect turns autocommit off for the proxy's account (the global is on):
   * sessions start with it off, and a reset one — which MariaDB does not run init_connect for
   * again — has it on.
   */
  readonly autocommitOffByInitConnect: boolean;
  /** Views whose SELECT is not a pure read, as last checked. */
  readonly views: ImpureViews;
  /** Schemas each backend account was seen to enter: a login naming another is checked first. */
  readonly knownSchemas: KnownSchemas;
  /** A client's view DDL was answered: the views are unknown until checked again, at once. */
  viewsChanged(): void;
  /** Event-loop delay bound for shedding (ms); reported in ERR 9006. */
  readonly shedDelay: number;
  loopDelay(): number;
  /** The tenant of a user's connection (a connection attribute may override it if allowed). */
  tenantOf(user: ProxyUser, attributes: Record<string, string>): string | undefined;
  /** The backend connection flavour for a user and the client's negotiated capabilities. */
  flavourFor(
    user: ProxyUser,
    clientCapabilities: number,
    collation: number,
    mariadbCapabilities?: number,
  ): Flavour;
  queueTimeoutOf(tenant: string): number;
  maxQueuedOf(tenant: string): number;
  /** The tenant's configured `max_connections` (undefined: no cap). */
  maxConnectionsOf(tenant: string): number | undefined;
  userConnections(user: string): number;
  addUserConnection(user: string): void;
  removeUserConnection(user: string): void;
  countPin(reason: PinReason): void;
  /** A client finished a command (drain waits for every client to be idle). */
  clientIdle(): void;
  removeClient(session: ClientSession): void;
  /** The client with this connection id (the id its greeting gave it), if still connected here. */
  findClient(id: number): ClientSession | undefined;
  /** Carries out a KILL for a client of this thread. */
  killHere(request: KillRequest): Promise<KillOutcome>;
  /** Asks thread `thread` to carry out a KILL for one of its clients. */
  killOnThread(thread: number, request: KillRequest): Promise<KillOutcome>;
  /**
   * A user's connections on every event thread, as SHOW PROCESSLIST rows by id (a thread that
   * does not answer is left out and logged; never rejects).
   */
  processlist(request: ProcesslistRequest): Promise<ProcessRow[]>;
  /** The event thread (worker index) that hands out connection id `id`. */
  threadOfClient(id: number): number;
  /** This proxy's event thread (0 without the event module). */
  readonly thread: number;
}
