/**
 * What the database-proxy module offers to code: embedders, other modules (the HTTP metrics
 * endpoint) and tests resolve it under {@link DATABASE_PROXY}.
 */
import { createToken } from '@scalestack/kernel';
import type { PoolStats } from './backend/backend-pool.js';
import type { PinReason } from './session/pin-reason.js';

/** One client connection as the proxy sees it. */
export interface ClientStats {
  id: number;
  user: string;
  tenant: string;
  /**
   * `idle`: between statements; `waiting`: queued for a backend (or for a KILL to be carried
   * out: its own, or one naming its backend); `active`: a statement runs.
   */
  state: 'handshake' | 'idle' | 'waiting' | 'active' | 'closing';
  /** Why it holds a backend between statements (empty: it holds none). */
  pinned: PinReason[];
  /** Its BEGIN was answered by the proxy; the transaction opens with its next statement. */
  lazyBegin: boolean;
  /** The proxy rolled back its transaction (a statement refused): ERR 9009 until it ends it. */
  transactionAborted: boolean;
  /**
   * It reads its answers slower than its backend sends them: the backend's reading is paused
   * until the client's socket drains.
   */
  slowReader: boolean;
  /** Commands it sent behind the one in flight (pipelined), waiting their turn. */
  queued: number;
}

export interface ProxyCounters {
  /** Client connections accepted since start. */
  connections: number;
  /**
   * Clients' commands forwarded to a backend, once each (a retry, a read moved off a stalled
   * connection or one run again for the statement after it is not counted again).
   */
  queries: number;
  /** ERR packets sent to clients (from backends or from the proxy). */
  errors: number;
  /** Requests re-sent on another backend connection because theirs failed before anything was sent. */
  retries: number;
  /**
   * Backend connections lost with something of a client's on them: a statement already sent
   * (the client got ERR 9005 / 9008), or a transaction or other session state (the client was
   * closed, at once or when it next spoke).
   */
  backendLost: number;
  /** Requests refused because no backend became free within the queue timeout (ERR 9001). */
  queueTimeouts: number;
  /** Failed logins at the proxy. */
  authFailures: number;
  /** How many times each pin reason began. */
  pins: Record<PinReason, number>;
  /** Statements re-prepared on a backend that did not have them. */
  reprepares: number;
  /** State syncs (COM_INIT_DB / SET) run before a client's statement. */
  stateSyncs: number;
  /**
   * Pure reads run again so that the statement after them (SHOW WARNINGS, FOUND_ROWS()…) finds
   * their results: they had run on a shared connection.
   */
  replays: number;
  /**
   * BEGINs the proxy answered itself: the transaction opens on a backend together with the
   * client's first statement in it (see ClientSession).
   */
  lazyBegins: number;
  /**
   * COMMIT / ROLLBACK answered by the proxy: of a transaction that never reached a backend, or
   * with no transaction open.
   */
  emptyTransactions: number;
  /**
   * Transactions rolled back when a statement of theirs was refused for want of a backend (or
   * lost unsent) before they held anything on a server: their statements get ERR 9009 until the
   * client ends them (see ClientSession's failsTransaction); and BEGINs refused with commands
   * pipelined behind them, which get ERR 9009 up to the transaction's end (failsPipelinedBegin).
   */
  transactionsAborted: number;
  /**
   * KILL QUERYs the proxy sent to a server for a client's running statement (a statement not
   * yet on the server is answered ER 1317 without one).
   */
  killQueriesSent: number;
  /** Clients closed for sending nothing for `wait_timeout` (ERR 4031 first in front of MySQL). */
  idleClosed: number;
  /** Clients closed for taking none of a result for `net_write_timeout`. */
  writeTimeouts: number;
  /**
   * Logins whose database was checked on a backend connection (one not yet seen in use by the
   * flavour's account); those refused count in {@link authFailures} too.
   */
  loginSchemaChecks: number;
}

/** Stacking of pure reads on shared backend connections (see BackendPool). */
export interface PipelineStats {
  /** Reads written behind others' on a shared connection, since start. */
  stacked: number;
  /** Stacked reads moved to another connection because theirs stalled, since start. */
  diverted: number;
  /** Shared connections that stalled (took no more reads from then on), since start. */
  stalls: number;
  /** Connections shared right now. */
  sharedConnections: number;
  /** Statements in flight on them. */
  inFlight: number;
  /**
   * Views whose SELECT is not a pure read (a stored function in the definition), as last
   * checked (`view_check_interval`); null while unknown (before the first check, during view DDL).
   */
  impureViews: number | null;
}

export interface ProxyStats {
  pools: PoolStats[];
  clients: ClientStats[];
  counters: ProxyCounters;
  /** Clients currently pinned, by reason. */
  pinnedNow: Record<PinReason, number>;
  /** Statements waiting for a backend: queued for a slot, or holding one while a connection comes free or is opened. */
  waiting: number;
  pipeline: PipelineStats;
}

export interface DatabaseProxyService {
  /** Where the proxy listens (the real port when configured with port 0). */
  readonly address: { host: string; port: number };
  stats(): ProxyStats;
  /** Logs the stats at info level ("logged on demand"). */
  logStats(): void;
}

export const DATABASE_PROXY = createToken<DatabaseProxyService>('database-proxy');
