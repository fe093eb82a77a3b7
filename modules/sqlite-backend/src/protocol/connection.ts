import type { SecureContextOptions } from 'node:tls';
import {
  appendLongData,
  CLIENT_DEPRECATE_EOF,
  CLIENT_FOUND_ROWS,
  CLIENT_INTERACTIVE,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_PROTOCOL_41,
  CLIENT_SESSION_TRACK,
  COM_FIELD_LIST,
  COM_INIT_DB,
  COM_QUERY,
  COM_STMT_EXECUTE,
  COM_STMT_PREPARE,
  CollationId,
  ColumnType,
  type Command,
  type CredentialLookup,
  columnDefinition,
  decodeExecute,
  ER_NET_PACKET_TOO_LARGE,
  encodeErr,
  encodeFrames,
  encodePrepareOk,
  type Packet,
  PacketDecoder,
  ProtocolError,
  parseCommand,
  resetStatementState,
  type ServerAuthPlugin,
  ServerHandshake,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import type { Connection } from '@scalestack/socket';
import type { Engine } from '../engine/engine.js';
import { statusFlags } from '../engine/engine.js';
import { MysqlError, toMysqlError } from '../errors.js';
import { Session } from '../session/session.js';
import { changeUser } from './change-user.js';
import { fieldList } from './field-list.js';
import { ResponseWriter } from './response-writer.js';

/** What every connection of one server shares. */
export interface ConnectionSettings {
  engine: Engine;
  lookup: CredentialLookup;
  serverVersion: string;
  authPlugin: ServerAuthPlugin;
  /** Certificate and key for the SSLRequest upgrade; TLS is not offered without them. */
  tls?: SecureContextOptions;
  maxPacketSize: number;
  /** Milliseconds a client has from connecting to being logged in; then the connection closes. */
  loginTimeout: number;
  /** Prepared statements one session may hold (max_prepared_stmt_count). */
  maxStatements: number;
  /** Called for errors worth a debug log line (malformed packets and the like). */
  onProtocolError?: (err: Error, peer: string) => void;
  /** Called once a client logged in. */
  onAuthenticated?: (session: Session, plugin: ServerAuthPlugin) => void;
  /** Ends a connection, or with `onlyQuery` the command it waits to run (COM_PROCESS_KILL / KILL). */
  kill?: (connectionId: number, onlyQuery: boolean) => boolean;
}

/** Write-buffer size beyond which we stop reading commands until the client catches up. */
const HIGH_WATER = 1024 * 1024;

/**
 * Largest packet read before the login: a handshake response (user, scramble, schema, plugin,
 * connection attributes, up to 64 KiB in libmysqlclient) fits in 128 KiB, and a client nobody has checked yet must not make
 * us buffer max_packet_size bytes.
 */
const LOGIN_MAX_PACKET_SIZE = 128 * 1024;

/** Commands that run SQL and so must wait while another session's transaction holds the database. */
function needsDatabase(command: number): boolean {
  return (
    command === COM_QUERY ||
    command === COM_STMT_PREPARE ||
    command === COM_STMT_EXECUTE ||
    command === COM_INIT_DB ||
    command === COM_FIELD_LIST
  );
}

/**
 * One client connection: the handshake (with the TLS upgrade), then commands, one at a time
 * in arrival order. A malformed packet is answered with an ERR and closes this connection
 * only; SQL errors are answered and the connection carries on.
 */
export class ServerConnection {
  readonly session: Session;
  /** Until the login, one capped at {@link LOGIN_MAX_PACKET_SIZE}. */
  private decoder: PacketDecoder;
  private readonly handshake: ServerHandshake;
  private readonly out: ResponseWriter;
  private authenticated = false;
  private closed = false;
  private readonly queue: Packet[] = [];
  private blocked = false;
  private cancelWait: (() => void) | undefined;
  private nextStatementId = 1;
  /** Set while a command of this connection runs. */
  private running = false;
  /** Set when the connection closes once the command's answer is written (self-KILL, failed change-user). */
  private endAfterResponse = false;
  /** Closes the connection if the client has not logged in by then. */
  private loginTimer: NodeJS.Timeout | undefined;
  /**
   * Closes a logged-in client that sends nothing for wait_timeout seconds: one timer per
   * connection, refreshed after each burst of commands rather than made anew.
   */
  private idleTimer: NodeJS.Timeout | undefined;
  /** The delay {@link idleTimer} was made with (the session's wait_timeout may change). */
  private idleMs = 0;
  /** The sequence id an ERR sent during the login carries (the client's next packet's + 1). */
  private loginErrorSequenceId = 2;

  constructor(
    private readonly conn: Connection,
    private readonly settings: ConnectionSettings,
    connectionId: number,
  ) {
    this.session = new Session(
      connectionId,
      conn.remoteAddress === '127.0.0.1' || conn.remoteAddress === '::1' ? 'localhost' : conn.remoteAddress,
    );
    this.decoder = new PacketDecoder({
      maxPacketSize: Math.min(LOGIN_MAX_PACKET_SIZE, settings.maxPacketSize),
    });
    this.handshake = new ServerHandshake({
      lookup: settings.lookup,
      connectionId,
      serverVersion: settings.serverVersion,
      // Session tracking is not offered: a proxy then knows SET/USE must pin (see README).
      capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_SESSION_TRACK,
      authPlugin: settings.authPlugin,
      tls: settings.tls !== undefined,
      clientHost: this.session.host,
    });
    this.out = new ResponseWriter(conn, CLIENT_PROTOCOL_41);
    conn.onData((chunk) => this.onData(chunk));
    conn.onEnd(() => conn.end());
    void conn.closed.then(() => this.onClosed());
    conn.write(this.handshake.start());
    // A client that never finishes its handshake would hold a connection (and a file
    // descriptor) for ever. MariaDB closes such a connection after connect_timeout, unanswered.
    this.loginTimer = setTimeout(() => {
      this.loginTimer = undefined;
      this.conn.destroy();
      this.onClosed();
    }, settings.loginTimeout);
    this.loginTimer.unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.refuseInput(err as Error);
      return;
    }
    for (let i = 0; i < packets.length; i++) {
      if (this.closed) return;
      const p = packets[i]!;
      if (!this.authenticated) {
        if (!this.onHandshakePacket(p)) return;
        // Commands may follow the handshake response in the same chunk: what the login decoder
        // holds of them (perhaps a header it refused as too large) goes to one with the real cap.
        if (this.authenticated) {
          try {
            const rest = this.decoder.takeBuffered();
            this.decoder = new PacketDecoder({ maxPacketSize: this.settings.maxPacketSize });
            packets.push(...this.decoder.push(rest));
          } catch (err) {
            this.refuseInput(err as Error);
            return;
          }
        }
      } else {
        this.queue.push(p);
      }
    }
    if (this.authenticated) this.pump();
  }

  /**
   * Answers bytes that do not decode into packets (a packet too large) with an ERR, and closes.
   * Before the login the cap is not max_allowed_packet, so the message says which it is.
   */
  private refuseInput(err: Error): void {
    if (this.authenticated) {
      this.fail(err, 1);
      return;
    }
    const tooLarge = err instanceof ProtocolError && err.errno === ER_NET_PACKET_TOO_LARGE;
    this.fail(
      tooLarge
        ? new MysqlError(
            ER_NET_PACKET_TOO_LARGE,
            `Got a packet bigger than the ${this.decoder.maxPacketSize} bytes accepted before login`,
          )
        : err,
      this.loginErrorSequenceId,
    );
  }

  /** Feeds a handshake packet; false when the rest of the chunk must not be read as packets. */
  private onHandshakePacket(p: Packet): boolean {
    const step = this.handshake.receive(p.payload, p.sequenceId);
    switch (step.kind) {
      case 'send':
        this.conn.write(step.bytes);
        this.loginErrorSequenceId = (p.sequenceId + 3) & 0xff;
        return true;
      case 'failed':
        this.conn.end(step.bytes);
        this.closed = true;
        return false;
      case 'upgrade-tls': {
        this.loginErrorSequenceId = (p.sequenceId + 2) & 0xff;
        const buffered = this.decoder.takeBuffered();
        this.conn.upgradeToTls({ side: 'server', ...this.settings.tls, buffered }).catch((err: Error) => {
          this.settings.onProtocolError?.(err, this.conn.peer);
          this.conn.destroy();
        });
        return false;
      }
      case 'authenticated': {
        const s = step.session;
        this.out.capabilities = s.capabilities;
        this.session.user = s.user;
        this.session.multiStatements = (s.capabilities & CLIENT_MULTI_STATEMENTS) !== 0;
        this.session.interactive = (s.capabilities & CLIENT_INTERACTIVE) !== 0;
        this.session.clientFoundRows = (s.capabilities & CLIENT_FOUND_ROWS) !== 0;
        this.settings.engine.database.startSession(this.session);
        if (s.database !== '') {
          const schema = this.settings.engine.database.findSchema(s.database);
          if (schema === undefined) {
            this.out.begin(step.sequenceId);
            this.out.err(1049, '42000', `Unknown database '${s.database}'`);
            this.out.flush();
            this.conn.end();
            this.closed = true;
            return false;
          }
          this.session.schema = schema;
        }
        this.conn.write(step.bytes);
        this.authenticated = true;
        clearTimeout(this.loginTimer);
        this.loginTimer = undefined;
        this.settings.onAuthenticated?.(this.session, s.authPlugin);
        return true;
      }
    }
  }

  /** Runs queued commands until one has to wait (for the database or for the client to read). */
  private pump(): void {
    const db = this.settings.engine.database;
    while (!this.blocked && !this.closed && this.queue.length > 0) {
      const p = this.queue[0]!;
      if (
        p.payload.length > 0 &&
        needsDatabase(p.payload[0]!) &&
        !db.available(this.session) &&
        !this.isLoneKill(p)
      ) {
        this.waitForDatabase();
        return;
      }
      this.queue.shift();
      this.handle(p);
      if (this.conn.writableLength > HIGH_WATER && !this.closed) {
        this.blocked = true;
        this.conn.pause();
        void this.conn.drained().then(() => this.unblock());
        return;
      }
    }
    if (!this.blocked && !this.closed && this.queue.length === 0) this.armIdleTimer();
  }

  /**
   * wait_timeout, as the server advertises it (the session's value: `SET SESSION wait_timeout`
   * counts): a client quiet that long is sent ERR 4031 — MySQL 8's notice, which MariaDB's
   * clients show as well — and closed, its transaction rolled back and the database free again.
   */
  private armIdleTimer(): void {
    const seconds = Number(this.settings.engine.database.variable(this.session, 'wait_timeout') ?? 28800);
    // setTimeout's longest delay; wait_timeout may be set up to a year.
    const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 2 ** 31 - 1) : 0;
    if (this.idleTimer !== undefined && ms === this.idleMs) {
      this.idleTimer.refresh();
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.idleMs = ms;
    if (ms === 0) return;
    this.idleTimer = setTimeout(() => this.onIdle(), ms);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    if (this.closed) return;
    // Commands waiting for the database or for the client to read: not quiet.
    if (this.blocked || this.queue.length > 0) {
      this.idleTimer?.refresh();
      return;
    }
    this.endWithError(
      {
        errno: 4031,
        sqlState: 'HY000',
        message:
          'The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.',
      },
      0,
    );
  }

  private unblock(): void {
    this.blocked = false;
    this.cancelWait = undefined;
    if (this.closed) return;
    this.conn.resume();
    this.pump();
  }

  private waitForDatabase(): void {
    const db = this.settings.engine.database;
    this.blocked = true;
    this.conn.pause();
    const seconds = Number(db.variable(this.session, 'innodb_lock_wait_timeout') ?? 50);
    // MySQL allows up to 1073741824 s; setTimeout fires at once (after 1 ms) beyond 2^31-1 ms.
    const ms = Math.min(Math.max(1, Number.isFinite(seconds) ? seconds : 50) * 1000, 2 ** 31 - 1);
    this.cancelWait = db.wait(
      this.session,
      () => this.unblock(),
      ms,
      () => this.answerWaiting(1205, 'HY000', 'Lock wait timeout exceeded; try restarting transaction'),
    );
  }

  /** Answers the command waiting for the database with an error instead of running it. */
  private answerWaiting(errno: number, sqlState: string, message: string): void {
    const p = this.queue.shift();
    if (p !== undefined) {
      this.out.begin(p.lastSequenceId + 1);
      this.out.err(errno, sqlState, message);
      this.out.flush();
    }
    this.unblock();
  }

  /**
   * A COM_QUERY holding only KILL must not wait for the database: the session holding it may be
   * the one to end.
   */
  private isLoneKill(p: Packet): boolean {
    if (p.payload[0] !== COM_QUERY) return false;
    try {
      const cmd = this.parse(p.payload);
      return cmd.kind === 'query' && this.settings.engine.isLoneKill(cmd.sql);
    } catch {
      return false;
    }
  }

  private handle(p: Packet): void {
    const out = this.out;
    out.begin(p.lastSequenceId + 1);
    if (p.sequenceId !== 0) {
      this.fail(
        new ProtocolError(`command packet with sequence id ${p.sequenceId}, expected 0`, 1156),
        p.sequenceId + 1,
      );
      return;
    }
    let cmd: Command;
    try {
      cmd = this.parse(p.payload);
    } catch (err) {
      this.fail(err as Error, p.lastSequenceId + 1);
      return;
    }
    this.running = true;
    try {
      this.run(cmd, p.payload);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.fail(err, p.lastSequenceId + 1);
        return;
      }
      const e = toMysqlError(err);
      out.err(e.errno, e.sqlState, e.message);
    } finally {
      this.running = false;
    }
    out.flush();
    if (this.endAfterResponse) this.end();
  }

  private parse(payload: Buffer): Command {
    return parseCommand(payload, { capabilities: this.out.capabilities });
  }

  private run(cmd: Command, payload: Buffer): void {
    const { engine } = this.settings;
    const session = this.session;
    const out = this.out;
    const ok = () => out.ok({ statusFlags: statusFlags(session) });
    switch (cmd.kind) {
      case 'query':
        engine.query(session, cmd.sql, out);
        return;
      case 'ping':
      case 'debug':
        ok();
        return;
      case 'quit':
        this.end();
        return;
      case 'init-db':
        engine.useSchema(session, cmd.schema);
        ok();
        return;
      case 'statistics': {
        const f = engine.facts;
        const uptime = Math.max(1, Math.floor((Date.now() - f.startedAt) / 1000));
        out.packet(
          Buffer.from(
            `Uptime: ${uptime}  Threads: ${f.connections}  Questions: ${f.questions}  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: ${(f.questions / uptime).toFixed(3)}`,
          ),
        );
        return;
      }
      case 'set-option':
        session.multiStatements = cmd.multiStatements;
        out.eof(statusFlags(session));
        return;
      case 'reset-connection':
        engine.database.abandon(session);
        session.reset();
        engine.database.startSession(session);
        ok();
        return;
      case 'change-user':
        if (!changeUser(this.handshake.nonce, this.settings.lookup, session, cmd, out, engine))
          this.endAfterResponse = true;
        return;
      case 'field-list':
        fieldList(engine, session, cmd.table, cmd.wildcard, out);
        return;
      case 'process-kill':
        if (cmd.connectionId === session.connectionId) this.kill();
        else if (!this.settings.kill?.(cmd.connectionId, false))
          throw new MysqlError(1094, `Unknown thread id: ${cmd.connectionId}`, 'HY000');
        ok();
        return;
      case 'stmt-prepare':
        this.prepare(cmd.sql);
        return;
      case 'stmt-execute':
        this.execute(cmd.statementId, payload);
        return;
      case 'stmt-send-long-data': {
        const ps = session.statements.get(cmd.statementId);
        // No response, not even an error (the execute reports problems).
        if (ps === undefined || cmd.paramId >= ps.state.paramCount) return;
        ps.longDataBytes = (ps.longDataBytes ?? 0) + cmd.data.length;
        if (ps.longDataBytes <= this.settings.maxPacketSize) appendLongData(ps.state, cmd.paramId, cmd.data);
        else {
          // Drop the data but remember which parameters came this way: the execute does not
          // carry their values, so decoding it must still know to skip them.
          for (const chunks of ps.state.longData.values()) chunks.length = 0;
          if (!ps.state.longData.has(cmd.paramId)) ps.state.longData.set(cmd.paramId, []);
        }
        return;
      }
      case 'stmt-close':
        session.statements.delete(cmd.statementId);
        return;
      case 'stmt-reset': {
        const ps = session.statements.get(cmd.statementId);
        if (ps === undefined) throw unknownStatement(cmd.statementId, 'RESET');
        resetStatementState(ps.state);
        ps.longDataBytes = 0;
        ok();
        return;
      }
      case 'stmt-fetch':
        throw new MysqlError(1421, `The statement (${cmd.statementId}) has no open cursor.`, 'HY000');
      case 'unknown':
        out.err(cmd.errno, cmd.sqlState, cmd.message);
        return;
    }
  }

  private prepare(sql: string): void {
    const session = this.session;
    const { engine, maxStatements } = this.settings;
    if (session.statements.size >= maxStatements) {
      throw new MysqlError(
        1461,
        `Can't create more than max_prepared_stmt_count statements (current value: ${maxStatements})`,
        '42000',
      );
    }
    const id = this.nextStatementId++;
    const ps = engine.prepareStatement(session, sql, id);
    session.statements.set(id, ps);
    const out = this.out;
    const eof = (out.capabilities & CLIENT_DEPRECATE_EOF) === 0;
    out.packet(
      encodePrepareOk({
        statementId: id,
        columnCount: ps.columns.length,
        paramCount: ps.state.paramCount,
        warningCount: 0,
      }),
    );
    if (ps.state.paramCount > 0) {
      for (let i = 0; i < ps.state.paramCount; i++) out.columnDefinitions([PARAM_DEFINITION]);
      if (eof) out.classicEof(statusFlags(session));
    }
    if (ps.columns.length > 0) {
      out.columnDefinitions(ps.columns);
      if (eof) out.classicEof(statusFlags(session));
    }
  }

  private execute(statementId: number, payload: Buffer): void {
    const session = this.session;
    const ps = session.statements.get(statementId);
    if (ps === undefined) throw unknownStatement(statementId, 'EXECUTE');
    const longDataBytes = ps.longDataBytes ?? 0;
    ps.longDataBytes = 0;
    // A malformed parameter block is a ProtocolError: answered, and the connection closes.
    // Decoded even when refused below: it binds the parameter types, which the client's next
    // execute of the statement may leave out (libmysqlclient does).
    const cmd = decodeExecute(payload, ps.state);
    if (longDataBytes > this.settings.maxPacketSize) {
      throw new MysqlError(
        1210,
        `Incorrect arguments to mysqld_stmt_execute: the long data sent for it (${longDataBytes} bytes) exceeds max_allowed_packet (${this.settings.maxPacketSize})`,
        'HY000',
      );
    }
    const outcome = this.settings.engine.executeStatement(session, ps, cmd.params);
    this.settings.engine.write(session, outcome, this.out, true);
  }

  /** Answers a broken packet with an ERR and closes this connection. */
  private fail(err: Error, sequenceId: number): void {
    this.settings.onProtocolError?.(err, this.conn.peer);
    const e =
      err instanceof ProtocolError
        ? { errno: err.errno, sqlState: err.sqlState, message: `Malformed packet: ${err.message}` }
        : toMysqlError(err);
    this.endWithError(e, sequenceId);
  }

  /** Sends `e` as an ERR after whatever is pending, then ends the connection. */
  private endWithError(e: { errno: number; sqlState: string; message: string }, sequenceId: number): void {
    this.out.flush();
    this.end(encodeFrames(encodeErr(e, this.out.capabilities | CLIENT_PROTOCOL_41), sequenceId & 0xff));
  }

  /**
   * Ends the connection from our side, after `data`. Rolls back now, as MySQL does, rather than
   * once the socket closes: that waits for the client to close its end, which it may never do.
   */
  private end(data?: Buffer): void {
    this.conn.end(data);
    this.onClosed();
  }

  /** Ends the connection from the server side (KILL). */
  kill(): void {
    if (this.running) {
      // It killed itself: the answer to its KILL must reach the client before the close.
      this.endAfterResponse = true;
      return;
    }
    this.closed = true;
    this.conn.destroy();
    // Roll back now rather than once the socket reports closing, so the killer's next statement
    // sees the database as the KILL left it.
    this.onClosed();
  }

  /** Ends the wait of a command queued for the database with 1317 (KILL QUERY). */
  interrupt(): void {
    if (this.cancelWait === undefined) return;
    this.cancelWait();
    this.answerWaiting(1317, '70100', 'Query execution was interrupted');
  }

  private onClosed(): void {
    this.closed = true;
    clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.settings.engine.database.abandon(this.session);
    this.session.statements.clear();
  }
}

function unknownStatement(id: number, what: string): MysqlError {
  return new MysqlError(
    1243,
    `Unknown prepared statement handler (${id}) given to mysqld_stmt_${what.toLowerCase()}`,
    'HY000',
  );
}

const PARAM_DEFINITION = columnDefinition({
  name: '?',
  type: ColumnType.VAR_STRING,
  characterSet: CollationId.BINARY,
});
