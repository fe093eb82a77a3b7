/**
 * One connection from the proxy to a backend server: the MySQL client handshake, then commands
 * whose responses stream through a {@link ResponseTracker} straight to whoever asked — the same
 * Buffers the socket produced, never re-encoded.
 *
 * Commands may be pipelined: a server reads and answers the commands of one connection strictly
 * in order, so several can be on their way at once, each response going to its own sink in the
 * order the commands were written. Commands written while others are in flight are gathered
 * and written together once per turn of the event loop (one system call for many).
 */
import type { Address } from '@scalestack/kernel';
import {
  buildInitDb,
  CLIENT_DEPRECATE_EOF,
  CLIENT_SESSION_TRACK,
  ClientHandshake,
  type ClientSession,
  COM_PING,
  COM_QUERY,
  COM_RESET_CONNECTION,
  commandHasResponse,
  ER_CON_COUNT_ERROR,
  ER_TOO_MANY_USER_CONNECTIONS,
  ER_USER_LIMIT_REACHED,
  encodeFrames,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS,
  okWithoutSessionState,
  PacketDecoder,
  PacketReader,
  ResponseTracker,
} from '@scalestack/mysql-protocol';
import { type Connection, connect, type ReadBuffer } from '@scalestack/socket';
import type { Logger } from 'pino';
import { exactNameEncoding } from '../session/client-charsets.js';
import { baselineAssignments, SessionState, sqlLiteral } from '../session/session-state.js';
import type { Flavour } from './backend-pool.js';
import type { BackendServer } from './backend-server.js';

/** The server answered the login with an ERR (wrong credentials, too many connections, …). */
export class LoginRefused extends Error {
  constructor(
    readonly server: string,
    readonly errno: number,
    serverMessage: string,
  ) {
    super(`backend ${server} refused login: ${errno} ${serverMessage}`);
  }

  /**
   * What a client is told: the server's own words name the backend account and the proxy's
   * host (`Access denied for user 'proxy'@'10.0.0.5'`), which are the operator's to read (the
   * proxy logs them), not every client's.
   */
  get clientMessage(): string {
    return `backend ${this.server} refused the proxy's login: ${this.errno} (the server's message is in the proxy's log)`;
  }

  /** The server (or the user's limits there) takes no more connections. */
  get atConnectionLimit(): boolean {
    return (
      this.errno === ER_CON_COUNT_ERROR ||
      this.errno === ER_TOO_MANY_USER_CONNECTIONS ||
      this.errno === ER_USER_LIMIT_REACHED
    );
  }
}

/**
 * The server lacks a capability its connection's clients negotiated with the proxy (MariaDB
 * extended metadata, CLIENT_DEPRECATE_EOF — offered while only servers with it had been
 * reached): it would answer them in another shape. Like a refused login, the server is up: it
 * serves other clients.
 */
export class FlavourUnsupported extends LoginRefused {
  constructor(server: string, what: string) {
    super(server, 0, '');
    this.message = `backend ${server} cannot serve this client: it lacks ${what}, which the client negotiated with the proxy`;
  }

  /** Nothing of the server's words in it: the client may read it whole. */
  override get clientMessage(): string {
    return this.message;
  }
}

/** What a client may be told of `err`: a refused login's without the server's words. */
export function clientReason(err: Error): string {
  return err instanceof LoginRefused ? err.clientMessage : err.message;
}

export interface BackendConnectionOptions {
  address: Address;
  connectTimeout: number;
  /**
   * TCP keepalive, ms of silence before the first probe (0: off). A pinned session's connection
   * may carry nothing for hours, and the pool's pings skip it: without probes a server gone
   * without a FIN leaves it open until the client's next statement waits out TCP's retries.
   */
  keepAlive?: number;
  /** TLS to the backend (MySQL SSLRequest, then TLS on the same socket). */
  tls?: { rejectUnauthorized?: boolean; ca?: string; servername?: string };
  log: Logger;
  /** Reads go straight into this buffer, shared by the server's connections on this thread. */
  readBuffer?: ReadBuffer;
  /**
   * Ask the server for session-state tracking after login and note the session's baseline
   * (default true). False for a connection that only ever carries the proxy's own statements
   * (a KILL QUERY): it goes out right after login.
   */
  sessionTracking?: boolean;
}

/**
 * The most a held packet's completion carries along in one copy (see forwardHeldThen): about
 * what MariaDB writes at once (net_buffer_length, 16 KiB), so a result cut in two pieces still
 * goes to the client in one write, and a streamed one's reads (64 KiB) are not copied.
 */
const JOIN_AT_MOST = 16 * 1024;

/** A connection's diagnosticsOwner after a statement of the proxy's own (see ranForProxy). */
const PROXY_STATEMENT: object = Object.freeze({});

/** Where a command's response goes. */
export interface ResponseSink extends Divertable {
  /**
   * The client negotiated CLIENT_SESSION_TRACK: it reads the session-state changes OK packets
   * report. When it did not, they are rewritten as the server writes them for such a client.
   */
  readonly readsSessionState: boolean;
  /**
   * Bytes of the response, in order: `chunk[start..end)`. The chunk may be memory the
   * connection reads into again (see Connection.lendReads): valid during the call only.
   * @returns true when the sink kept a reference to it beyond the call (a write of it to the
   *   client that did not go out at once): the connection then leaves that memory alone.
   */
  onResponseData(chunk: Buffer, start: number, end: number): boolean;
  /** The server asked for LOCAL INFILE data; the client must now send it through this connection. */
  onAwaitingClient(conn: BackendConnection): void;
  /** The response is complete; `conn.tracker` holds its status, warnings and session state. */
  onResponseEnd(conn: BackendConnection): void;
  /** The connection failed while the response was due. */
  onBackendError(conn: BackendConnection, err: Error): void;
  /**
   * The proxy's own code failed (a bug) while handling this sink's response: what it left
   * undone is unknown, so the sink's client ends — letting `conn` go as a client that leaves
   * does, marking it broken first if it held it alone. Its responses here are then dropped.
   */
  onFault(conn: BackendConnection, err: unknown): void;
}

/** Callback of an internal command: `tracker.error` is set when the server answered ERR. */
export type InternalCallback = (err: Error | null, tracker: ResponseTracker) => void;

/** A command written (or about to be) whose response has not ended. */
interface InFlight {
  command: number;
  cursor: boolean;
  /** Where a client's response goes. */
  sink: ResponseSink | undefined;
  /** The proxy's own command: its callback. */
  internal: InternalCallback | undefined;
  /** The client an internal command was sent for (told when the command is diverted). */
  owner: Divertable | undefined;
  /** Copies of an internal command's response bytes, when the proxy reads its rows. */
  capture: Buffer[] | undefined;
}

/** A client keeping a backend connection between statements (see BackendConnection.holder). */
export interface HeldBackendListener {
  onHeldBackendLost(conn: BackendConnection): void;
}

/** A client whose pipelined command can be taken back and run elsewhere. */
export interface Divertable {
  /**
   * The command will still run here, but its response is thrown away: run it again elsewhere.
   * Only ever for a command that changes nothing (a pure read) whose response has not begun.
   */
  onDiverted(conn: BackendConnection): void;
}

/** Swallows the response of a command whose client is gone or went elsewhere. */
const DISCARD: ResponseSink = {
  readsSessionState: true,
  onResponseData: () => false,
  onAwaitingClient(conn) {
    // Only LOCAL INFILE asks; a client that is gone sends no file: end it with an empty packet.
    conn.writeClientData(Buffer.from([0, 0, 0, (conn.tracker.lastSequenceId + 1) & 0xff]));
  },
  onResponseEnd() {},
  onBackendError() {},
  onDiverted() {},
  // No client to end (one that left, or went elsewhere): the connection goes, as for any fault.
  onFault(conn, err) {
    conn.failAfterFault(err);
  },
};

/** Statements the proxy set up on a backend connection: SQL key -> backend statement. */
export interface BackendStatement {
  id: number;
  params: number;
  columns: number;
  /** Parameter types last bound on this backend statement (the execute's type block). */
  boundTypes: Buffer | undefined;
}

/** Session tracking the proxy asks for, so SET / USE on the backend come back as data. */
const TRACKING_SQL =
  "SET session_track_system_variables='*', session_track_schema=ON, session_track_state_change=ON";

/**
 * Variables whose session value at connect time comes from the handshake (the collation the
 * client asked for, CLIENT_IGNORE_SPACE in sql_mode) or from the server's init_connect (a
 * `SET autocommit = 0` there) rather than from the global value: putting them back after a
 * client changed them needs their connect-time value, not DEFAULT.
 */
const CONNECT_TIME_VARIABLES = [
  'sql_mode',
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
  'autocommit',
];

const BASELINE_SQL = `SELECT ${CONNECT_TIME_VARIABLES.map((v) => `@@session.${v}`).join(', ')}`;

export class BackendConnection {
  readonly createdAt = Date.now();
  idleSince = Date.now();
  /** What this backend's session holds (schema, changed variables). */
  readonly state: SessionState;
  /** The client whose state this connection last took on, and that state's version then. */
  stateOwner: object | undefined;
  stateVersion = -1;
  /** Connect-time values of the variables in CONNECT_TIME_VARIABLES. */
  readonly baseline = new Map<string, string>();
  /** The client whose insert id LAST_INSERT_ID() returns here (undefined: unknown / nobody's). */
  lastInsertOwner: object | undefined;
  /**
   * The client whose statement ran here last, whose conditions the server's diagnostics area
   * (SHOW WARNINGS, @@warning_count, GET DIAGNOSTICS) and FOUND_ROWS() may hold (undefined: no
   * client's statement ran here yet; see ranForProxy).
   */
  diagnosticsOwner: object | undefined;
  /**
   * While idle: the client whose previous results are still here, who may take it back for a
   * statement that reads them (see BackendServer.putIdle).
   */
  keptResultsOf: object | undefined;
  /**
   * The client keeping this connection between its statements (its session lives here): told
   * if the connection dies while none of that client's commands is in flight, so that it does
   * not hold a place for state that is gone until it speaks again (maybe never).
   */
  holder: HeldBackendListener | undefined;
  /** Set when its state cannot be trusted any more; it is closed instead of reused. */
  broken = false;
  /**
   * A client turned `profiling` or `optimizer_trace` on here: the server keeps the SHOW
   * PROFILES history or the last optimizer trace — that client's statements, text and literals
   * — across COM_RESET_CONNECTION, and would show them to the next client that reads them.
   * Closed when it comes back, not handed on.
   */
  keepsHistory = false;
  /**
   * A client's XA statement left a branch here that no XA COMMIT / ROLLBACK has ended. A reset
   * would drop a prepared branch from XA RECOVER (another session's XA COMMIT then answers OK
   * and writes nothing) and leave the connection answering ER 1031 to InnoDB, the branch's
   * locks held until the server restarts; closed, the server keeps a prepared branch and rolls
   * an active one back. So {@link reset} refuses, and whoever lets the connection go closes it.
   */
  holdsXaBranch = false;
  session: ClientSession | undefined;
  /** Whether this connection's login negotiated COM_STMT_BULK_EXECUTE. */
  get takesBulkExecute(): boolean {
    return ((this.session?.mariadbCapabilities ?? 0) & MARIADB_CLIENT_STMT_BULK_OPERATIONS) !== 0;
  }
  /** True when the server tracks session state for us (MariaDB/MySQL; not every server). */
  tracksSession = false;
  /**
   * The server's default schema may differ from {@link state}'s: a USE the proxy did not see
   * the outcome of ran on a connection that reports no session state. A reset puts the
   * recorded one back (the server keeps the schema across COM_RESET_CONNECTION).
   */
  schemaUnknown = false;
  readonly tracker: ResponseTracker;
  readonly statements = new Map<string, BackendStatement>();
  /** Backend statement ids to close (COM_STMT_CLOSE has no response): sent with the next command or at the end of the turn. */
  readonly pendingCloses: number[] = [];
  /**
   * Shared by pipelined pure reads (the pool's to set): returned to the idle list when its
   * last response ends rather than by a client.
   */
  sharing = false;
  /** While sharing: whether more reads may still be added (false once it stalled). */
  stackable = false;
  /** Responses completed so far (the pool's stall check compares it between ticks). */
  completed = 0;
  /** `completed` as the pool's last stall check saw it (-1: not seen yet). */
  completedAtCheck = -1;
  /**
   * KILL QUERYs naming this connection's thread not yet answered (BackendPool.killQuery): until
   * then it goes to nobody else, so a late KILL cannot interrupt another client's statement.
   */
  killsInFlight = 0;
  /**
   * Waiting for killsInFlight to reach 0: the client that holds it, to send its next statement,
   * or the pool, to take it back.
   */
  private readonly afterKills: (() => void)[] = [];
  /** Called when a sharing connection has nothing in flight any more. */
  onDrained: ((conn: BackendConnection) => void) | undefined;
  private conn: Connection | undefined;
  /** Commands in flight, oldest (the one whose response the tracker follows) first. */
  private readonly inFlight: InFlight[] = [];
  /** The entry the tracker was begun for. */
  private tracking: InFlight | undefined;
  /** Bytes of commands stacked behind others, written together on the next turn. */
  private readonly outbox: Buffer[] = [];
  /** Inside {@link gather}: commands are written at once, into one corked write. */
  private gathering = false;
  /**
   * The pieces of a response packet not yet complete (see forwardWholePackets), joined once it
   * is: a 100 MiB row arrives in ~1,600 reads, and joining on every read copied it ~800 times.
   */
  private readonly held: Buffer[] = [];
  private closing = false;

  constructor(
    readonly server: BackendServer,
    /**
     * The kind of client it serves; changes only when a client holding it switches
     * multi-statements with COM_SET_OPTION (the server's flag then is the new flavour's).
     */
    public flavour: Flavour,
    private readonly options: BackendConnectionOptions,
  ) {
    this.tracker = new ResponseTracker(flavour.capabilities);
    this.state = new SessionState(null);
  }

  get age(): number {
    return Date.now() - this.createdAt;
  }

  get connectionId(): number {
    return this.session?.connectionId ?? 0;
  }

  /**
   * The proxy runs a statement of its own here (a health ping, the view check, a KILL): after
   * a client's, the diagnostics area, ROW_COUNT() and FOUND_ROWS() are no client's own any more
   * — nor nobody's, since FOUND_ROWS() may still count that client's SELECT — so whichever
   * client's statement comes next finds them foreign (see ConnectionBoundResults.runsOn). On a
   * connection no client has used yet (the login's own queries) they stay nobody's.
   */
  ranForProxy(): void {
    if (this.diagnosticsOwner !== undefined) this.diagnosticsOwner = PROXY_STATEMENT;
  }

  /**
   * Calls `fn` once no KILL QUERY naming this connection's thread is on its way (at once if
   * none is): a statement sent before could be the one a late KILL interrupts.
   */
  whenKillsAnswered(fn: () => void): void {
    if (this.killsInFlight === 0) fn();
    else this.afterKills.push(fn);
  }

  /** The last KILL naming it was answered (BackendPool.killQuery): see whenKillsAnswered. */
  killsAnswered(): void {
    for (const fn of this.afterKills.splice(0)) fn();
  }

  /** True while a response is due. */
  get busy(): boolean {
    return this.inFlight.length > 0;
  }

  /** Commands whose response is due. */
  get depth(): number {
    return this.inFlight.length;
  }

  /** The raw socket, for writes on the hot path. */
  get socket() {
    return this.conn!.socket;
  }

  /** Connects, authenticates and turns session tracking on. */
  connect(cb: (err: Error | null) => void): void {
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err !== null) {
        this.broken = true;
        this.conn?.destroy();
      }
      cb(err);
    };
    // One budget for the TCP connect and the login together: the login gets what the connect
    // left of it, so a slow connect followed by a silent server still fails at connect_timeout.
    const deadline = performance.now() + this.options.connectTimeout;
    connect(this.options.address, {
      timeout: this.options.connectTimeout,
      keepAlive: this.options.keepAlive,
      readBuffer: this.options.readBuffer,
    }).then(
      (conn) => this.handshake(conn, finish, deadline),
      (err: Error) => finish(err),
    );
  }

  private handshake(conn: Connection, finish: (err: Error | null) => void, deadline: number): void {
    this.conn = conn;
    const f = this.flavour;
    const hs = new ClientHandshake({
      user: f.user ?? this.server.options.account.user,
      password: f.password ?? this.server.options.account.password,
      capabilities: f.capabilities,
      // Bulk execute changes nothing in how results look: asked for on every connection, so a
      // client that uses it may get any connection of its flavour.
      mariadbCapabilities: f.mariadbCapabilities | MARIADB_CLIENT_STMT_BULK_OPERATIONS,
      charset: f.collation,
      tls: this.options.tls !== undefined,
      attributes: { _client_name: 'scalestack-database-proxy', program_name: 'scalestack' },
      allowPublicKeyRetrieval: true,
    });
    const decoder = new PacketDecoder();
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `backend ${this.server.name}: connecting, login and session set-up timed out after ${this.options.connectTimeout} ms (connect_timeout)`,
          ),
        ),
      Math.max(0, deadline - performance.now()),
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      finish(err);
    };
    conn.closed.then((err) => {
      if (!this.closing) this.onClosed(err ?? new Error(`backend ${this.server.name} closed the connection`));
      fail(err ?? new Error(`backend ${this.server.name} closed the connection during the handshake`));
    });
    conn.onData((chunk) => {
      try {
        for (const p of decoder.push(chunk)) {
          const step = hs.receive(p.payload, p.sequenceId);
          switch (step.kind) {
            case 'send':
              conn.write(step.bytes);
              break;
            case 'upgrade-tls':
              conn.write(step.bytes);
              conn
                .upgradeToTls({ side: 'client', ...this.options.tls })
                .then(() => {
                  const next = hs.tlsEstablished();
                  if (next.kind === 'send') conn.write(next.bytes);
                })
                .catch(fail);
              return;
            case 'failed': {
              const refused = new LoginRefused(this.server.name, step.error.errno, step.error.message);
              this.server.logRefusal(refused);
              fail(refused);
              return;
            }
            case 'done':
              this.session = step.session;
              this.server.learnGreeting(
                step.session.greeting.capabilities,
                step.session.greeting.mariadbCapabilities,
                step.session.serverVersion,
              );
              if (this.flavour.mariadbCapabilities & ~step.session.mariadbCapabilities) {
                fail(new FlavourUnsupported(this.server.name, 'MariaDB extended metadata'));
                return;
              }
              if (this.flavour.capabilities & CLIENT_DEPRECATE_EOF & ~step.session.capabilities) {
                fail(new FlavourUnsupported(this.server.name, 'CLIENT_DEPRECATE_EOF (results ended by OK)'));
                return;
              }
              this.tracker.capabilities = step.session.capabilities;
              this.tracker.statusFlags = step.session.statusFlags;
              conn.onData(this.onData);
              // Responses are forwarded as they are read, with no copy: a sink that keeps one
              // says so (see onResponseData), and this connection then reads into fresh memory.
              conn.lendReads();
              conn.onEnd(() => conn.end());
              // connect_timeout covers the set-up queries too: a server that logs in and then
              // stalls fails the open instead of holding its caller.
              this.afterLogin((err) => {
                clearTimeout(timer);
                finish(err);
              });
              return;
          }
        }
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  private afterLogin(finish: (err: Error | null) => void): void {
    if (this.options.sessionTracking === false || !(this.tracker.capabilities & CLIENT_SESSION_TRACK)) {
      finish(null);
      return;
    }
    this.query(TRACKING_SQL, undefined, (err, t) => {
      // A server that refuses the tracking variables still works; the proxy then pins on SET.
      this.tracksSession = err === null && t.error === undefined;
      if (err !== null || !this.tracksSession) {
        finish(err);
        return;
      }
      this.captureBaseline(finish);
    });
  }

  private captureBaseline(finish: (err: Error | null) => void): void {
    this.queryRow(BASELINE_SQL, (err, values) => {
      // Without a baseline those variables are put back with DEFAULT.
      CONNECT_TIME_VARIABLES.forEach((name, i) => {
        const v = values?.[i];
        if (v !== undefined && v !== null) this.baseline.set(name, v);
      });
      finish(err);
    });
  }

  /**
   * Runs a one-row query for the proxy itself and hands over that row's values as text (null
   * for NULL); `values` is undefined when the server answered with an error or no row.
   */
  queryRow(sql: string, cb: (err: Error | null, values: (string | null)[] | undefined) => void): void {
    this.queryRows(sql, (err, rows) => cb(err, rows?.[0]));
  }

  /**
   * Runs a query for the proxy itself and hands over its rows, each value as text (null for
   * NULL); `rows` is undefined when the server answered with an error (`serverError`) or with
   * no result set. `err` is for the connection failing.
   */
  queryRows(
    sql: string,
    cb: (
      err: Error | null,
      rows: (string | null)[][] | undefined,
      serverError?: { errno: number; message: string },
    ) => void,
  ): void {
    this.ranForProxy();
    const chunks: Buffer[] = [];
    this.query(sql, chunks, (err, t) => {
      if (err !== null || t.error !== undefined) {
        cb(err, undefined, t?.error);
        return;
      }
      try {
        const packets = new PacketDecoder().push(Buffer.concat(chunks));
        // The tracker has forgotten the column count by now (it is per result set); the first
        // packet holds it, length-encoded (0xFC… from 251 columns on), or is an OK (0).
        const columns = new PacketReader(packets[0]!.payload).lenencInt();
        if (columns === 0) {
          cb(null, undefined);
          return;
        }
        const rows: (string | null)[][] = [];
        const first = 1 + columns + (this.tracker.capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1);
        // t.rows counts the row packets; what follows them is the closing EOF/OK.
        for (let r = 0; r < t.rows; r++) {
          const row = new PacketReader(packets[first + r]!.payload);
          const values: (string | null)[] = [];
          for (let i = 0; i < columns; i++) {
            if (row.peek() === 0xfb) {
              row.u8();
              values.push(null);
            } else {
              values.push(row.lenencString());
            }
          }
          rows.push(values);
        }
        cb(null, rows);
      } catch {
        cb(null, undefined);
      }
    });
  }

  /**
   * Runs a statement for the proxy itself; its response is consumed here (and copied into
   * `capture` when given).
   */
  query(sql: string, capture: Buffer[] | undefined, cb: InternalCallback): void {
    const payload = Buffer.allocUnsafe(1 + Buffer.byteLength(sql));
    payload[0] = COM_QUERY;
    payload.write(sql, 1);
    this.command(payload, cb, undefined, capture);
  }

  ping(cb: (err: Error | null) => void): void {
    this.ranForProxy();
    this.command(Buffer.from([COM_PING]), (err, t) =>
      cb(err ?? (t.error ? new Error(`ping failed: ${t.error.errno} ${t.error.message}`) : null)),
    );
  }

  /**
   * COM_RESET_CONNECTION: drops the transaction (rolled back), variables, temporary tables,
   * locks and prepared statements; then session tracking is asked for again, since the reset
   * brought its variables back to their defaults. Refused, with nothing sent, on a connection
   * that {@link holdsXaBranch}: the caller closes it instead.
   */
  reset(cb: (err: Error | null) => void): void {
    if (this.holdsXaBranch) {
      cb(new Error('reset: an XA branch lives on this connection; it is closed instead'));
      return;
    }
    this.command(Buffer.from([COM_RESET_CONNECTION]), (err, t) => {
      if (err !== null || t.error !== undefined) {
        cb(err ?? new Error(`reset failed: ${t.error!.errno} ${t.error!.message}`));
        return;
      }
      this.statements.clear();
      this.pendingCloses.length = 0;
      this.lastInsertOwner = undefined;
      // (diagnosticsOwner stays: the reset empties the diagnostics area, but FOUND_ROWS()
      // still counts the last client's SELECT.)
      // The server keeps the default schema across a reset.
      this.state.reset(this.state.schema);
      this.stateOwner = undefined;
      this.stateVersion = -1;
      if (this.schemaUnknown) {
        const schema = this.state.schema;
        if (schema === null) {
          // No command takes a schema away: the connection cannot be made schema-less again.
          cb(new Error('reset: the default schema a client chose is unknown and cannot be unset'));
          return;
        }
        this.command(buildInitDb(schema), (e2, t2) => {
          if (e2 !== null || t2.error !== undefined) {
            cb(e2 ?? new Error(`reset: restoring the default schema failed: ${t2.error!.message}`));
            return;
          }
          this.schemaUnknown = false;
          this.restoreAfterReset(cb);
        });
        return;
      }
      this.restoreAfterReset(cb);
    });
  }

  /**
   * After a reset, on a connection that tracks session state: the tracking settings and the
   * connect-time variables (from the handshake, init_connect), which the reset brought back to
   * their global values (MariaDB drops IGNORE_SPACE from sql_mode, for one), as at connect.
   */
  private restoreAfterReset(cb: (err: Error | null) => void): void {
    if (!this.tracksSession) {
      cb(null);
      return;
    }
    let sql = TRACKING_SQL;
    for (const part of baselineAssignments(this.baseline)) sql += `, ${part}`;
    this.query(sql, undefined, (e2, t2) =>
      cb(
        e2 ?? (t2.error ? new Error(`restoring the session after reset failed: ${t2.error.message}`) : null),
      ),
    );
  }

  /**
   * COM_INIT_DB of `schema`, which the connection reads in its character_set_client now. A name
   * that set cannot hold exactly (日本 in latin1, any non-ASCII name in koi8r) would name another
   * schema: the connection then reads this command in utf8mb4 (recorded in its state), and with
   * `restore` is given its character set back once the schema is set. A failed COM_INIT_DB comes
   * to `done` at once, its error in the tracker.
   */
  initDb(schema: string, restore: boolean, done: InternalCallback): void {
    const charset =
      this.state.variables.get('character_set_client') ?? this.baseline.get('character_set_client');
    const exact = exactNameEncoding(charset, schema);
    // A connection with no character set recorded reads UTF-8, which holds any name.
    if (exact !== undefined || charset === undefined) {
      this.command(buildInitDb(schema, exact ?? 'utf8'), done);
      return;
    }
    const recorded = this.state.variables.get('character_set_client');
    this.query('SET character_set_client = utf8mb4', undefined, (err, t) => {
      if (err !== null || t.error !== undefined) return done(err, t);
      this.state.setVariable('character_set_client', 'utf8mb4');
      this.command(buildInitDb(schema, 'utf8'), (err2, t2) => {
        if (!restore || err2 !== null || t2.error !== undefined) return done(err2, t2);
        this.query(`SET character_set_client = ${sqlLiteral(charset)}`, undefined, (err3, t3) => {
          if (err3 === null && t3.error === undefined) {
            if (recorded === undefined) this.state.deleteVariable('character_set_client');
            else this.state.setVariable('character_set_client', recorded);
          }
          done(err3, t3);
        });
      });
    });
  }

  /**
   * Sends one command payload (sequence id 0) for the proxy itself.
   * @param owner the client it is sent for, when it may be diverted with the client's command
   */
  command(payload: Buffer, cb: InternalCallback, owner?: Divertable, capture?: Buffer[]): void {
    if (this.isDead) {
      // The callback must still run, or whoever waits for it (a reset, a sync) waits forever.
      queueMicrotask(() => cb(new Error(`backend ${this.server.name}: connection is closed`), this.tracker));
      return;
    }
    this.flushCloses();
    this.push({ command: payload[0]!, cursor: false, sink: undefined, internal: cb, owner, capture });
    this.send(encodeFrames(payload, 0));
  }

  /**
   * Forwards a client's command: `bytes` are its framed packets exactly as the client sent them
   * (sequence ids from 0); the response streams to `sink`.
   * @returns false when the command has no response (its sink is not called)
   */
  forward(command: number, bytes: Buffer, sink: ResponseSink, cursor = false): boolean {
    if (this.isDead) {
      queueMicrotask(() =>
        sink.onBackendError(this, new Error(`backend ${this.server.name}: connection is closed`)),
      );
      return true;
    }
    this.flushCloses();
    const expectsResponse = commandHasResponse(command);
    if (expectsResponse)
      this.push({ command, cursor, sink, internal: undefined, owner: undefined, capture: undefined });
    this.send(bytes);
    return expectsResponse;
  }

  private push(entry: InFlight): void {
    this.inFlight.push(entry);
    if (this.inFlight.length === 1) this.begin(entry);
  }

  private begin(entry: InFlight): void {
    this.tracking = entry;
    this.tracker.begin(entry.command, entry.cursor ? { cursor: true } : undefined);
  }

  /**
   * Writes a command's bytes: at once when nothing else is on its way (lowest latency), else
   * gathered with the others stacked in this turn of the event loop into one write.
   */
  private send(bytes: Buffer): void {
    if (this.outbox.length > 0) {
      this.outbox.push(bytes);
    } else if (this.inFlight.length > 1 && !this.gathering) {
      this.outbox.push(bytes);
      setImmediate(this.flushOutbox);
    } else {
      this.conn!.write(bytes);
    }
  }

  /**
   * Runs `fn`, whose commands (the proxy's and a client's, one after the other) leave in one
   * system call: written in order at once, not gathered until the next turn of the loop.
   * Commands already waiting in the outbox keep their place ahead.
   */
  gather(fn: () => void): void {
    if (this.isDead || this.gathering) {
      fn();
      return;
    }
    const conn = this.conn!;
    this.gathering = true;
    conn.cork();
    try {
      fn();
    } finally {
      this.gathering = false;
      conn.uncork();
    }
  }

  private readonly flushOutbox = (): void => {
    const out = this.outbox;
    if (out.length === 0) return;
    if (this.isDead) {
      out.length = 0;
      return;
    }
    const conn = this.conn!;
    if (out.length === 1) conn.write(out[0]!);
    else {
      conn.cork();
      for (const b of out) conn.write(b);
      conn.uncork();
    }
    out.length = 0;
  };

  /**
   * Stops delivering `sink`'s response (its client went away): the command still runs, its
   * response is read and dropped. The connection stays usable for the others.
   * @param ended - runs once when the last of those responses has ended (or failed, or was
   *   taken back): until then the command occupies the connection, and the QoS slot its client
   *   held must go on covering it — released early, a slot holder may find no connection free.
   */
  abandon(sink: ResponseSink, ended?: () => void): void {
    let left = 0;
    for (const e of this.inFlight) if (e.sink === sink) left++;
    if (left === 0 || ended === undefined) {
      for (const e of this.inFlight) if (e.sink === sink) e.sink = DISCARD;
      ended?.();
      return;
    }
    const one = () => {
      if (--left === 0) ended();
    };
    const discard: ResponseSink = { ...DISCARD, onResponseEnd: one, onBackendError: one, onDiverted: one };
    for (const e of this.inFlight) if (e.sink === sink) e.sink = discard;
  }

  /** Whether every command in flight is `sink`'s (none of the proxy's, nobody else's). */
  onlyFor(sink: ResponseSink): boolean {
    if (this.inFlight.length === 0) return false;
    for (const e of this.inFlight) if (e.sink !== sink) return false;
    return true;
  }

  /** Whether `sink`'s command is the one the server is working on (or answering) now. */
  isRunning(sink: ResponseSink): boolean {
    return this.inFlight[0]?.sink === sink;
  }

  /**
   * Takes back every command behind the one running now: their responses will be dropped and
   * their clients run them elsewhere. Only pure reads are ever stacked on a connection, so
   * running them twice changes nothing.
   * @param everything - take back the one at the head too: called as a response ends, the head
   *   is the next command, and it ran in the session the ended one left
   * @returns how many clients were told to go elsewhere
   */
  divert(everything = false): number {
    const owners: Divertable[] = [];
    for (let i = everything ? 0 : 1; i < this.inFlight.length; i++) {
      const e = this.inFlight[i]!;
      if (e.sink !== undefined && e.sink !== DISCARD) {
        owners.push(e.sink);
        e.sink = DISCARD;
      } else if (e.owner !== undefined) {
        owners.push(e.owner);
        e.owner = undefined;
      }
    }
    for (const o of owners) o.onDiverted(this);
    return owners.length;
  }

  /** Writes more client bytes for the command in flight (LOCAL INFILE data); false: back off. */
  writeClientData(bytes: Buffer): boolean {
    return this.conn!.write(bytes);
  }

  /** Calls `fn` once the socket's write buffer has drained. */
  onceDrained(fn: () => void): void {
    this.conn!.socket.once('drain', fn);
  }

  /** Stops reading responses (the client they go to is not keeping up). */
  pauseReading(): void {
    this.conn?.pause();
  }

  resumeReading(): void {
    this.conn?.resume();
  }

  /** Broken, closing or closed: nothing more can be sent on it. */
  private get isDead(): boolean {
    return this.broken || this.closing || this.conn === undefined || this.conn.isClosed;
  }

  /**
   * Queues a backend statement to be closed (COM_STMT_CLOSE has no response): with the next
   * command, or at the end of this turn of the event loop if none comes — a connection that
   * stays idle must not keep the statement on the server.
   */
  closeStatement(id: number): void {
    this.pendingCloses.push(id);
    if (this.pendingCloses.length === 1) setImmediate(this.flushClosesLater);
  }

  private readonly flushClosesLater = (): void => {
    if (!this.isDead) this.flushCloses();
  };

  private flushCloses(): void {
    const ids = this.pendingCloses;
    if (ids.length === 0) return;
    const buf = Buffer.allocUnsafe(9 * ids.length);
    for (let i = 0; i < ids.length; i++) {
      const o = i * 9;
      buf.writeUIntLE(5, o, 3);
      buf[o + 3] = 0;
      buf[o + 4] = 0x19; // COM_STMT_CLOSE
      buf.writeUInt32LE(ids[i]!, o + 5);
    }
    ids.length = 0;
    this.send(buf);
  }

  /**
   * A server's answer, contained: a fault of the proxy's own met while forwarding it (a bug)
   * drops this connection — its clients get the lost-backend ERR — and nothing else. Left to
   * escape, it would end the process and every client with it.
   */
  private readonly onData = (chunk: Buffer): void => {
    try {
      this.handleAnswer(chunk);
    } catch (err) {
      this.failAfterFault(err);
    }
  };

  /** A fault of the proxy's own no client's end contains: logged, and the connection dropped. */
  failAfterFault(err: unknown): void {
    this.options.log.error(
      { server: this.server.name, err },
      "internal error handling a server's answer; dropping that connection",
    );
    if (!this.isDead) this.fail(err as Error);
  }

  private handleAnswer(chunk: Buffer): void {
    let from = 0;
    for (;;) {
      const head = this.inFlight[0];
      if (head === undefined) {
        if (from < chunk.length) {
          // The server spoke out of turn: typically an ERR before it closes (killed, timed out).
          this.broken = true;
          this.conn!.destroy();
        }
        return;
      }
      let end: number;
      try {
        end = this.tracker.feed(chunk, from);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      const sink = head.sink;
      if (end === -1) {
        if (sink === undefined) head.capture?.push(Buffer.from(chunk.subarray(from)));
        else {
          try {
            this.forwardWholePackets(sink, chunk, from);
          } catch (err) {
            this.sinkFault(sink, err);
          }
        }
        return;
      }
      if (sink !== undefined) {
        try {
          this.passOn(sink, chunk, from, end);
          if (this.tracker.awaitingClient) {
            sink.onAwaitingClient(this);
            return;
          }
        } catch (err) {
          this.sinkFault(sink, err);
          if (this.broken || this.tracker.awaitingClient) return;
        }
      } else {
        if (end > from) head.capture?.push(Buffer.from(chunk.subarray(from, end)));
        if (this.tracker.awaitingClient) {
          this.fail(new Error('LOCAL INFILE request to an internal command'));
          return;
        }
      }
      this.inFlight.shift();
      this.tracking = undefined;
      this.completed++;
      // The sink reads this response's status from the tracker before the next one begins.
      if (sink === undefined) head.internal!(null, this.tracker);
      else {
        // head.sink: the one to tell now (DISCARD if the client left or faulted meanwhile).
        const to = head.sink!;
        try {
          to.onResponseEnd(this);
        } catch (err) {
          this.sinkFault(to, err);
          // Retired by its client (or dropped, for a sink with none): done with it.
          if (this.broken) return;
        }
      }
      if (this.broken) {
        // Marked while in use (a KILL QUERY for it that may still land): a shared connection
        // has no holder to drop it, so it drops itself once its running statement is answered.
        if (this.sharing) {
          this.destroy();
          this.leaveSharing();
        }
        return;
      }
      const next = this.inFlight[0];
      if (next === undefined) {
        if (this.sharing) this.onDrained?.(this);
      } else if (this.tracking !== next) {
        this.begin(next);
      }
      from = end;
      if (from >= chunk.length) return;
    }
  }

  /**
   * Forwards a chunk of a response that goes on, holding back a packet cut at the chunk's end
   * until it is complete: the client only ever has whole packets, so if this connection dies
   * its response can still end with an ERR. In the common case (the response's packets end
   * with the chunk) nothing is held or copied.
   */
  private forwardWholePackets(sink: ResponseSink, chunk: Buffer, from: number): void {
    const cut = this.tracker.lastPacketEnd;
    if (cut < 0) {
      // No packet ended in this chunk: all of it belongs to the packet being held.
      this.held.push(Buffer.from(chunk.subarray(from)));
      return;
    }
    this.passOn(sink, chunk, from, cut);
    if (cut < chunk.length) this.held.push(Buffer.from(chunk.subarray(cut)));
  }

  /** Forwards the held packet's rest and the whole packets of `chunk[from..to)`. */
  private passOn(sink: ResponseSink, chunk: Buffer, from: number, to: number): void {
    if (this.tracker.sessionStateOks.length > 0 && !sink.readsSessionState)
      this.forwardWithoutSessionState(sink, chunk, from, to);
    else if (this.held.length > 0) this.forwardHeldThen(sink, chunk, from, to);
    else if (to > from && sink.onResponseData(chunk, from, to)) this.conn!.keepRead();
  }

  /**
   * Passes on as {@link passOn} does to a client that did not ask for session tracking, with
   * the OKs that report session-state changes written as the server writes them to such a
   * client (this connection asks for tracking whatever its clients do: the proxy learns from
   * it what a SET or USE changed, where it would otherwise pin the connection). Only for a
   * response that changed the session, so the copy is rare.
   */
  private forwardWithoutSessionState(sink: ResponseSink, chunk: Buffer, from: number, to: number): void {
    this.held.push(chunk.subarray(from, to));
    const joined = Buffer.concat(this.held);
    this.held.length = 0;
    // From an offset in `chunk` to one in `joined`, which begins with the held packet's start.
    const shift = joined.length - (to - from) - from;
    const parts: Buffer[] = [];
    let at = 0;
    for (const ok of this.tracker.sessionStateOks) {
      const end = ok.end + shift;
      const start = end - ok.length;
      parts.push(joined.subarray(at, start));
      const payload = okWithoutSessionState(joined.subarray(start + 4, end));
      const header = Buffer.from(joined.subarray(start, start + 4));
      header.writeUIntLE(payload.length, 0, 3);
      parts.push(header, payload);
      at = end;
    }
    parts.push(joined.subarray(at));
    const out = Buffer.concat(parts);
    sink.onResponseData(out, 0, out.length);
  }

  /**
   * Forwards the held packet, completed by the start of `chunk`, then the whole packets after it
   * up to `to`. Only the held packet's rest is copied (joined with its start): the packets after
   * it go out as they were read, so a result streamed across many reads — where nearly every
   * read ends inside a packet — is not copied read by read.
   */
  private forwardHeldThen(sink: ResponseSink, chunk: Buffer, from: number, to: number): void {
    const first = this.tracker.firstPacketEnd;
    // What follows the held packet goes out as read only when it is long: a short one (the end
    // of a result the server wrote in two pieces) costs less to copy than a second write.
    const rest = first >= from && first <= to && to - first > JOIN_AT_MOST ? first : to;
    this.held.push(chunk.subarray(from, rest));
    const joined = Buffer.concat(this.held);
    this.held.length = 0;
    sink.onResponseData(joined, 0, joined.length);
    if (to > rest && sink.onResponseData(chunk, rest, to)) this.conn!.keepRead();
  }

  /**
   * A fault of the proxy's own (a bug) while one client's response was handed to it: that
   * client ends, with the ERR and the log line its sink writes — letting the connection go as a
   * leaving client does (a read it runs here interrupted, its QoS slot kept until its responses
   * end) — and those responses are dropped; the connection carries on for the others sharing
   * it. One it held alone is not trusted again (what the fault left undone may be the record of
   * state on it: a transaction) and is retired. Before, the connection was dropped, and a client
   * whose response had ended kept its QoS slot and waited for good.
   */
  private sinkFault(sink: ResponseSink, err: unknown): void {
    try {
      sink.onFault(this, err);
    } finally {
      // Whatever its client did not take over (if it failed too, onData drops the connection).
      for (const e of this.inFlight) if (e.sink === sink) e.sink = DISCARD;
    }
  }

  private fail(err: Error): void {
    this.broken = true;
    this.conn?.destroy();
    this.onClosed(err);
  }

  private onClosed(err: Error): void {
    this.broken = true;
    this.held.length = 0;
    this.outbox.length = 0;
    this.server.remove(this);
    const lost = this.inFlight.splice(0);
    this.tracking = undefined;
    for (const e of lost) {
      if (e.sink !== undefined) e.sink.onBackendError(this, err);
      else e.internal!(err, this.tracker);
    }
    const holder = this.holder;
    this.holder = undefined;
    holder?.onHeldBackendLost(this);
    this.leaveSharing();
  }

  /**
   * A shared connection that died or broke has no holder to take it out of the pool's list of
   * shared ones: the pool's drain callback does (and, the connection being broken, closes it).
   */
  private leaveSharing(): void {
    if (this.sharing) this.onDrained?.(this);
  }

  /** Calls `fn` once the socket has closed (at once if it never opened or already closed). */
  whenClosed(fn: () => void): void {
    const conn = this.conn;
    if (conn === undefined || conn.isClosed) fn();
    else conn.closed.then(() => fn());
  }

  /** Closes politely (COM_QUIT). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const conn = this.conn;
    if (conn === undefined || conn.isClosed) return;
    conn.write(Buffer.from([1, 0, 0, 0, 1]));
    conn.end();
  }

  /**
   * For the proxy's own exchanges with the server (ping, probe, view check, close): destroys
   * the connection unless the returned function is called within `ms` — a server that stops
   * answering must not hold a pool place or a waiting caller for good.
   */
  destroyUnlessDone(ms: number): () => void {
    const timer = setTimeout(() => this.destroy(), ms);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** Closes at once; what is in flight fails now (its close event is not waited for). */
  destroy(): void {
    this.closing = true;
    this.broken = true;
    this.conn?.destroy();
    if (this.inFlight.length > 0)
      this.onClosed(new Error(`backend ${this.server.name}: connection destroyed`));
  }
}
