/**
 * One connection from the proxy to a backend server: the MySQL client handshake, then commands
 * whose responses stream through a {@link ResponseTracker} straight to whoever asked — the same
 * Buffers the socket produced, never re-encoded.
 */
import type { Address } from '@scalestack/kernel';
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_SESSION_TRACK,
  ClientHandshake,
  type ClientSession,
  COM_PING,
  COM_QUERY,
  COM_RESET_CONNECTION,
  encodeFrames,
  PacketDecoder,
  PacketReader,
  ResponseTracker,
} from '@scalestack/mysql-protocol';
import { type Connection, connect } from '@scalestack/socket';
import type { Logger } from 'pino';
import { SessionState } from '../session/session-state.js';
import type { Flavour } from './backend-pool.js';
import type { BackendServer } from './backend-server.js';

export interface BackendConnectionOptions {
  address: Address;
  connectTimeout: number;
  /** TLS to the backend (MySQL SSLRequest, then TLS on the same socket). */
  tls?: { rejectUnauthorized?: boolean; ca?: string; servername?: string };
  log: Logger;
}

/** Where a command's response goes. */
export interface ResponseSink {
  /** Bytes of the response, in order: `chunk[start..end)`. */
  onResponseData(chunk: Buffer, start: number, end: number): void;
  /** The server asked for LOCAL INFILE data; the client must now send it through this connection. */
  onAwaitingClient(conn: BackendConnection): void;
  /** The response is complete; `conn.tracker` holds its status, warnings and session state. */
  onResponseEnd(conn: BackendConnection): void;
  /** The connection failed while the response was due. */
  onBackendError(conn: BackendConnection, err: Error): void;
}

/** Callback of an internal command: `tracker.error` is set when the server answered ERR. */
export type InternalCallback = (err: Error | null, tracker: ResponseTracker) => void;

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
 * client asked for, CLIENT_IGNORE_SPACE in sql_mode) rather than from the global value: putting
 * them back after a client changed them needs their connect-time value, not DEFAULT.
 */
const HANDSHAKE_VARIABLES = [
  'sql_mode',
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
];
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const BASELINE_SQL = `SELECT ${HANDSHAKE_VARIABLES.map((v) => `@@session.${v}`).join(', ')}`;

export class BackendConnection {
  readonly createdAt = Date.now();
  idleSince = Date.now();
  /** What this backend's session holds (schema, changed variables). */
  readonly state: SessionState;
  /** The client whose state this connection last took on, and that state's version then. */
  stateOwner: object | undefined;
  stateVersion = -1;
  /** Connect-time values of the handshake-dependent variables (see HANDSHAKE_VARIABLES). */
  readonly baseline = new Map<string, string>();
  /** The client whose insert id LAST_INSERT_ID() returns here (undefined: unknown / nobody's). */
  lastInsertOwner: object | undefined;
  /** Set when its state cannot be trusted any more; it is closed instead of reused. */
  broken = false;
  session: ClientSession | undefined;
  /** True when the server tracks session state for us (MariaDB/MySQL; not every server). */
  tracksSession = false;
  readonly tracker: ResponseTracker;
  readonly statements = new Map<string, BackendStatement>();
  /** Backend statement ids to close before the next command (COM_STMT_CLOSE has no response). */
  readonly pendingCloses: number[] = [];
  private conn: Connection | undefined;
  private sink: ResponseSink | undefined;
  /** The start of a response packet not yet complete (see forwardWholePackets). */
  private held: Buffer | undefined;
  private internal: InternalCallback | undefined;
  private closing = false;

  constructor(
    readonly server: BackendServer,
    readonly flavour: Flavour,
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

  /** True while a response is due. */
  get busy(): boolean {
    return this.sink !== undefined || this.internal !== undefined;
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
    connect(this.options.address, { timeout: this.options.connectTimeout }).then(
      (conn) => this.handshake(conn, finish),
      (err: Error) => finish(err),
    );
  }

  private handshake(conn: Connection, finish: (err: Error | null) => void): void {
    this.conn = conn;
    const f = this.flavour;
    const hs = new ClientHandshake({
      user: f.user,
      password: f.password,
      capabilities: f.capabilities,
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
            `backend ${this.server.name}: handshake timed out after ${this.options.connectTimeout} ms`,
          ),
        ),
      this.options.connectTimeout,
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
            case 'failed':
              fail(
                new Error(
                  `backend ${this.server.name} refused login: ${step.error.errno} ${step.error.message}`,
                ),
              );
              return;
            case 'done':
              clearTimeout(timer);
              this.session = step.session;
              this.server.serverCapabilities = step.session.greeting.capabilities;
              this.server.serverVersion = step.session.serverVersion;
              this.tracker.capabilities = step.session.capabilities;
              this.tracker.statusFlags = step.session.statusFlags;
              conn.onData(this.onData);
              conn.onEnd(() => conn.end());
              this.afterLogin(finish);
              return;
          }
        }
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  private afterLogin(finish: (err: Error | null) => void): void {
    if (!(this.tracker.capabilities & CLIENT_SESSION_TRACK)) {
      finish(null);
      return;
    }
    this.query(TRACKING_SQL, (err, t) => {
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
      HANDSHAKE_VARIABLES.forEach((name, i) => {
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
    const chunks: Buffer[] = [];
    this.capture = chunks;
    this.query(sql, (err, t) => {
      this.capture = undefined;
      if (err !== null || t.error !== undefined || t.rows === 0) {
        cb(err, undefined);
        return;
      }
      try {
        const packets = new PacketDecoder().push(Buffer.concat(chunks));
        const columns = t.columns > 0 ? t.columns : packets[0]!.payload[0]!;
        const rowAt = 1 + columns + (this.tracker.capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1);
        const row = new PacketReader(packets[rowAt]!.payload);
        const values: (string | null)[] = [];
        for (let i = 0; i < columns; i++) {
          if (row.peek() === 0xfb) {
            row.u8();
            values.push(null);
          } else {
            values.push(row.lenencString());
          }
        }
        cb(null, values);
      } catch {
        cb(null, undefined);
      }
    });
  }

  /** Response bytes of an internal command, when the proxy needs its rows. */
  private capture: Buffer[] | undefined;

  /** Runs a statement for the proxy itself; its response is consumed here. */
  query(sql: string, cb: InternalCallback): void {
    const payload = Buffer.allocUnsafe(1 + Buffer.byteLength(sql));
    payload[0] = COM_QUERY;
    payload.write(sql, 1);
    this.command(payload, cb);
  }

  ping(cb: (err: Error | null) => void): void {
    this.command(Buffer.from([COM_PING]), (err, t) =>
      cb(err ?? (t.error ? new Error(`ping failed: ${t.error.errno} ${t.error.message}`) : null)),
    );
  }

  /**
   * COM_RESET_CONNECTION: drops the transaction (rolled back), variables, temporary tables,
   * locks and prepared statements; then session tracking is asked for again, since the reset
   * brought its variables back to their defaults.
   */
  reset(cb: (err: Error | null) => void): void {
    this.command(Buffer.from([COM_RESET_CONNECTION]), (err, t) => {
      if (err !== null || t.error !== undefined) {
        cb(err ?? new Error(`reset failed: ${t.error!.errno} ${t.error!.message}`));
        return;
      }
      this.statements.clear();
      this.pendingCloses.length = 0;
      this.lastInsertOwner = undefined;
      // The server keeps the default schema across a reset.
      this.state.reset(this.state.schema);
      this.stateOwner = undefined;
      this.stateVersion = -1;
      if (!this.tracksSession) {
        cb(null);
        return;
      }
      // The reset brought every variable to its global value, the handshake-dependent ones
      // included (MariaDB drops IGNORE_SPACE from sql_mode, for one): put those back to their
      // connect-time values along with the tracking settings, in one statement.
      let sql = TRACKING_SQL;
      for (const [name, value] of this.baseline) sql += `, @@session.${name} = ${sqlString(value)}`;
      this.query(sql, (e2, t2) =>
        cb(
          e2 ??
            (t2.error ? new Error(`restoring the session after reset failed: ${t2.error.message}`) : null),
        ),
      );
    });
  }

  /** Sends one command payload (sequence id 0) for the proxy itself. */
  command(payload: Buffer, cb: InternalCallback): void {
    if (this.isDead) {
      // The callback must still run, or whoever waits for it (a reset, a sync) waits forever.
      queueMicrotask(() => cb(new Error(`backend ${this.server.name}: connection is closed`), this.tracker));
      return;
    }
    this.flushCloses();
    this.internal = cb;
    this.tracker.begin(payload[0]!);
    this.conn!.write(encodeFrames(payload, 0));
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
    const expectsResponse = this.tracker.begin(command, cursor ? { cursor: true } : undefined);
    if (expectsResponse) this.sink = sink;
    this.conn!.write(bytes);
    return expectsResponse;
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

  /** Queues a backend statement to be closed with the next command (no round trip). */
  closeStatement(id: number): void {
    this.pendingCloses.push(id);
  }

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
    this.conn!.write(buf);
  }

  private readonly onData = (chunk: Buffer): void => {
    const sink = this.sink;
    const internal = this.internal;
    if (sink === undefined && internal === undefined) {
      // The server spoke out of turn: typically an ERR before it closes (killed, timed out).
      this.broken = true;
      this.conn!.destroy();
      return;
    }
    let end: number;
    try {
      end = this.tracker.feed(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (end === -1) {
      if (sink !== undefined) this.forwardWholePackets(sink, chunk);
      else this.capture?.push(Buffer.from(chunk));
      return;
    }
    if (sink !== undefined) {
      const held = this.held;
      if (held !== undefined) {
        this.held = undefined;
        const joined = Buffer.concat([held, chunk.subarray(0, end)]);
        sink.onResponseData(joined, 0, joined.length);
      } else if (end > 0) {
        sink.onResponseData(chunk, 0, end);
      }
    } else if (end > 0) {
      this.capture?.push(Buffer.from(chunk.subarray(0, end)));
    }
    if (this.tracker.awaitingClient) {
      if (sink !== undefined) sink.onAwaitingClient(this);
      else this.fail(new Error('LOCAL INFILE request to an internal command'));
      return;
    }
    if (end < chunk.length) {
      // Bytes after a complete response without a command: the connection is out of step.
      this.broken = true;
    }
    this.sink = undefined;
    this.internal = undefined;
    if (sink !== undefined) sink.onResponseEnd(this);
    else internal!(null, this.tracker);
  };

  /**
   * Forwards a chunk of a response that goes on, holding back a packet cut at the chunk's end
   * until it is complete: the client only ever has whole packets, so if this connection dies
   * its response can still end with an ERR. In the common case (the response's packets end
   * with the chunk) nothing is held or copied.
   */
  private forwardWholePackets(sink: ResponseSink, chunk: Buffer): void {
    const cut = this.tracker.lastPacketEnd;
    const held = this.held;
    if (cut < 0) {
      // No packet ended in this chunk: all of it belongs to the packet being held.
      this.held = held === undefined ? Buffer.from(chunk) : Buffer.concat([held, chunk]);
      return;
    }
    if (held !== undefined) {
      const joined = Buffer.concat([held, chunk.subarray(0, cut)]);
      sink.onResponseData(joined, 0, joined.length);
    } else if (cut > 0) {
      sink.onResponseData(chunk, 0, cut);
    }
    this.held = cut < chunk.length ? Buffer.from(chunk.subarray(cut)) : undefined;
  }

  private fail(err: Error): void {
    this.broken = true;
    this.conn?.destroy();
    this.onClosed(err);
  }

  private onClosed(err: Error): void {
    this.broken = true;
    this.held = undefined;
    this.server.remove(this);
    const sink = this.sink;
    const internal = this.internal;
    this.sink = undefined;
    this.internal = undefined;
    if (sink !== undefined) sink.onBackendError(this, err);
    else if (internal !== undefined) internal(err, this.tracker);
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

  destroy(): void {
    this.closing = true;
    this.broken = true;
    this.conn?.destroy();
  }
}
