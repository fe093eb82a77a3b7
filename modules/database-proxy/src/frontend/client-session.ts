/**
 * One client connection: authentication at the proxy, then its commands, one at a time, each
 * on whichever backend connection admission and the pool give it — or on the backend it is
 * pinned to while its session holds state that lives only there.
 *
 * The hot path (a COM_QUERY in autocommit, nothing pinned) is: decode the packet, classify the
 * SQL, take a slot and an idle backend (both synchronous when free), write the client's bytes,
 * stream the backend's chunks back as they are, release. No Promise, no per-row work.
 *
 * A pure read (see Trait.PureRead) from a client with nothing pinned may be stacked on a backend
 * connection that other clients' pure reads are on (see BackendPool): the client then does not
 * hold that connection, it only waits for its response there. Because such a read changes
 * nothing, it may also run again: on another connection if this one is lost before its
 * response began or stalls, and before a statement that asks about it (SHOW WARNINGS,
 * FOUND_ROWS()), whose answer the shared connection no longer holds.
 */
import {
  buildInitDb,
  type ChangeUserCommand,
  CLIENT_DEPRECATE_EOF,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_SESSION_TRACK,
  COM_CHANGE_USER,
  COM_DEBUG,
  COM_FIELD_LIST,
  COM_INIT_DB,
  COM_PING,
  COM_PROCESS_KILL,
  COM_QUERY,
  COM_QUIT,
  COM_REFRESH,
  COM_RESET_CONNECTION,
  COM_SET_OPTION,
  COM_SHUTDOWN,
  COM_STATISTICS,
  COM_STMT_BULK_EXECUTE,
  COM_STMT_CLOSE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  COM_STMT_RESET,
  COM_STMT_SEND_LONG_DATA,
  CollationId,
  collationEncoding,
  commandName,
  decodeChangeUser,
  ER_NET_PACKET_TOO_LARGE,
  ER_NET_PACKETS_OUT_OF_ORDER,
  ER_UNKNOWN_COM_ERROR,
  encodeErr,
  encodeFrames,
  encodeOk,
  encodeResultEnd,
  frameCount,
  MARIADB_CLIENT_EXTENDED_METADATA,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS,
  PacketDecoder,
  type ProtocolError,
  SERVER_STATUS_ANSI_QUOTES,
  SERVER_STATUS_AUTOCOMMIT,
  SERVER_STATUS_IN_TRANS,
  SERVER_STATUS_IN_TRANS_READONLY,
  SERVER_STATUS_NO_BACKSLASH_ESCAPES,
  type ServerHandshake,
  type ServerSession,
  type ServerStep,
  type SessionStateChanges,
} from '@scalestack/mysql-protocol';
import type { Lease, RefusalReason, TenantSession, Ticket } from '@scalestack/qos';
import type { Connection } from '@scalestack/socket';
import {
  type BackendConnection,
  type BackendStatement,
  clientReason,
  type HeldBackendListener,
  type InternalCallback,
  type ResponseSink,
} from '../backend/backend-connection.js';
import { ConnectionLostBeforeUse, type Flavour } from '../backend/backend-pool.js';
import type { ProxyUser } from '../config/proxy-users.js';
import { formatProxyError, ProxyError, type ProxyErrorCode, type ProxyRefusal } from '../errors.js';
import type { ClientStats } from '../service.js';
import { type CharsetStatement, collationLeftBy, resultsSetByName } from '../session/charset-statements.js';
import {
  charsetEncoding,
  charsetOfCollation,
  isWideCharset,
  unusableClientCharset,
} from '../session/client-charsets.js';
import { parseSettingsOf, withParseSettings } from '../session/parse-settings.js';
import { PIN_BIT, PIN_UNTIL_NEXT_STATEMENT, pinReasons } from '../session/pin-reason.js';
import { pinsAfterStatement } from '../session/pin-rules.js';
import { isReplayable, planStateSync, RESULTS_BY_NAME, SessionState } from '../session/session-state.js';
import type { StatementScopedVariables } from '../session/set-statement.js';
import { SqlReader } from '../session/sql-reader.js';
import {
  killStatementTarget,
  lastUseSchema,
  Trait,
  type TransactionBoundary,
  transactionBoundary,
  useStatementSchema,
} from '../session/statement-traits.js';
import {
  frameOf,
  lastPacketStart,
  markEofsInTransaction,
  markResponseInTransaction,
} from './client-frames.js';
import { ClientLogin } from './client-login.js';
import { ClientOutput } from './client-output.js';
import {
  bindBulkTypes,
  bindTypes,
  type ClientStatement,
  ClientStatements,
  privateStatementKey,
  rememberBoundTypes,
  rememberBulkTypes,
  statementKey,
} from './client-statements.js';
import { CommandQueue } from './command-queue.js';
import { ConnectionBoundResults } from './connection-bound-results.js';
import { encodeConnectionId } from './connection-id.js';
import { InfileUpload } from './infile-upload.js';
import type { KillOutcome } from './kill.js';
import type { ResultFraming } from './local-result.js';
import { commandLabel, encodeProcesslist, infoText, type ProcessRow } from './processlist.js';
import type { ProxyCore } from './proxy-core.js';
import { type PreviousRead, ReadHistory } from './read-history.js';

/** What the in-flight command needs when its response ends. */
enum Pending {
  None,
  Forward,
  Prepare,
  Execute,
  Fetch,
  InitDb,
}

/** The server function a statement command names in MariaDB's 1243 text. */
const SERVER_FUNCTION_OF: Record<number, string> = {
  [COM_STMT_EXECUTE]: 'mysqld_stmt_execute',
  // (MariaDB names the execute's function for a bulk execute too.)
  [COM_STMT_BULK_EXECUTE]: 'mysqld_stmt_execute',
  [COM_STMT_FETCH]: 'mysqld_stmt_fetch',
  [COM_STMT_RESET]: 'mysqld_stmt_reset',
};

/** COM_CHANGE_USER refusals on one connection before the command itself is refused (MariaDB's). */
const MAX_CHANGE_USER_FAILURES = 3;

/** COM_QUERY BEGIN, the payload a lazy BEGIN sends (built once, not per transaction). */
const BEGIN_COMMAND = Buffer.concat([Buffer.of(COM_QUERY), Buffer.from('BEGIN', 'latin1')]);

/**
 * Session variables that change what BEGIN, COMMIT or ROLLBACK do or report (an Oracle-mode
 * BEGIN block, a chained or releasing COMMIT, a read-only transaction): a client that set one
 * gets its BEGIN from the server, not a lazy one.
 */
const LAZY_BEGIN_BLOCKERS = ['sql_mode', 'completion_type', 'transaction_read_only', 'tx_read_only'];
/** ER_BAD_DB_ERROR: unknown database. */
const ER_BAD_DB = 1049;
/** ER_DBACCESS_DENIED_ERROR: the account may not use that database (checked before existence). */
const ER_DBACCESS_DENIED = 1044;

export class ClientSession implements ResponseSink, HeldBackendListener {
  status: ClientStats['state'] = 'handshake';
  user: ProxyUser | undefined;
  /** The tenant's connection count at the scheduler. */
  tenantSession: TenantSession | undefined;
  private serverSession: ServerSession | undefined;
  private handshake: ServerHandshake | undefined;
  private readonly decoder: PacketDecoder;
  /** Who may log in (or change user) on this connection, and whether there is room. */
  private readonly gate: ClientLogin;
  readonly state = new SessionState(null);
  /** How this session's server reads its SQL (backslashes, double-byte characters). */
  private readonly reader: SqlReader;
  /** Pin reasons as bits of PIN_BIT. */
  pins = 0;
  /** The backend connection this client holds (in flight or pinned). */
  backend: BackendConnection | undefined;
  private lease: Lease | undefined;
  private ticket: Ticket | null = null;
  private flavour: Flavour | undefined;
  private capabilities = 0;
  /** Client packets waiting for the command in flight to finish. */
  private readonly queue: CommandQueue;
  private busy = false;
  private pending = Pending.None;
  private command = 0;
  private traits = 0;
  /** The traits of the statement a COM_STMT_PREPARE in flight prepares (read once, at dispatch). */
  private prepareTraits = 0;
  /** The command in flight is a pure read: it may be stacked, moved and run again. */
  private pureRead = false;
  /** It was written on a shared connection, which this client does not hold. */
  private onShared = false;
  /** Bumped whenever the command in flight moves: late callbacks of its old place see it. */
  private attempt = 0;
  /**
   * The pure reads that ran on shared connections since this client's last other statement:
   */
  private readonly readHistory = new ReadHistory();
  /** The command in flight only re-creates a previous read's results: its response is dropped. */
  private replaying = false;
  /** A replayed read failed: the statement it ran for gets this error (see writeErr). */
  private replayFailure: ProxyRefusal | undefined;
  private payload: Buffer = Buffer.alloc(0);
  /** The command's packet as the client framed it, when it can be forwarded as is. */
  private frame: Buffer | undefined;
  private sentToBackend = false;
  /** A COM_CHANGE_USER's database is being checked: commands after it wait in the queue. */
  private heldForCheck = false;
  /** The command's {@link mayInsertUnreported}, once asked. */
  private insertUnreported: boolean | undefined;
  /**
   * A pool request is under way (waiting for a connection, or one being opened): a client that
   * leaves meanwhile keeps its slot until the pool answers, since the connection it asked for
   * is still coming and the slot stands for it.
   */
  private acquiring = false;
  /** Bytes of this command's response written to the client (not those kept back in `capture`). */
  private respondedBytes = 0;
  private capture: Buffer[] | undefined;
  /** A LOAD DATA LOCAL file on its way from the client. */
  private readonly upload = new InfileUpload();
  private retries = 0;
  private readonly statements = new ClientStatements();
  /** The prepared statement of the execute/fetch/reset/long-data in flight. */
  private executing: { cs: ClientStatement } | undefined;
  private closed = false;
  /** Closed by a KILL CONNECTION: a statement left running is interrupted, not run to its end. */
  private killed = false;
  /** Between SSLRequest and the end of the TLS handshake: bytes belong to TLS. */
  private tlsStarting = false;
  /** The greeting's nonce: COM_CHANGE_USER scrambles passwords with it. */
  private nonce: Buffer | undefined;
  /** The COM_CHANGE_USER whose authentication {@link handshake} runs. */
  private changingUser: ChangeUserCommand | undefined;
  /** COM_CHANGE_USER refusals so far: after three, MariaDB refuses the command itself. */
  private changeUserFailures = 0;
  /** Releases a backend held only for the previous statement's results when the client idles. */
  private holdTimer: NodeJS.Timeout | undefined;
  /**
   * The connection a quiet client's previous results stayed on when its hold ended (see
   * endHold): idle, taken by others last. Its next statement that reads them (SHOW WARNINGS,
   * ROW_COUNT(), FOUND_ROWS()) goes back there if nothing else — another client's statement,
   * the proxy's own — has used it since, and reads them as MariaDB would; any other statement
   * replaces them, and forgets the connection.
   */
  private keptResults: BackendConnection | undefined;
  /** The command in flight reads the kept results: the connection to take back (see acquireBackend). */
  private reclaim: BackendConnection | undefined;
  /** Whether the connection's diagnostics, FOUND_ROWS() and LAST_INSERT_ID() are this client's. */
  private readonly results = new ConnectionBoundResults();
  /** After a SET TRANSACTION: whether the transaction it applies to has begun. */
  private nextTransactionBegun = false;
  /**
   * A BEGIN the proxy answered itself (see {@link answerBoundary}): `pending` until the next
   * statement that needs a backend, `sent` from writing it there until its OK (which pins the
   * transaction). A backend lost in between puts it back to `pending`, so a retry opens the
   * transaction again.
   */
  private lazyBegin: 'none' | 'pending' | 'sent' = 'none';
  /**
   * The code of the error that rolled back the client's transaction (see failsTransaction):
   * until the client ends it, its statements are refused (see answerAborted).
   */
  private abortedBy: number | undefined;
  /**
   * Set when the state came from a refused BEGIN (see failsPipelinedBegin): how many of the
   * commands read behind it are still to be answered in it. The client was told of no
   * transaction, so no answer says IN_TRANS meanwhile.
   */
  private abortedBehind: number | undefined;
  /**
   * The transaction is rolled back (abortedBy) and the client was told it is in one (a lazy
   * BEGIN's OK): its answers say IN_TRANS until it ends it.
   */
  private get rolledBackInTransaction(): boolean {
    return this.abortedBy !== undefined && this.abortedBehind === undefined;
  }
  /** Packets of the chunk being read that come after the one being dispatched (handleInput). */
  private unqueuedInput = 0;
  /** KILL QUERY arrived while the command in flight was being prepared on its backend. */
  private interruptPending = false;
  /**
   * The command in flight was a pure read before a pin or a lazy BEGIN kept it off shared
   * connections: written together with a lazy BEGIN, and retried like one if its backend is lost.
   */
  private wasPureRead = false;
  /**
   * The command in flight is a COMMIT / ROLLBACK (its SQL): whether the server ends the session
   * after it depends on the completion_type of the server that runs it, known at its answer.
   */
  private endingSql: string | undefined;

  /** runQueued is taking commands from the queue (see there). */
  private runningQueued = false;
  /** The backend and the commands waiting for this client to read its answers. */
  private readonly output: ClientOutput;
  /**
   * The sequence id an answer to the command in flight starts at: after the client's last
   * frame of it (1 but for a command of 16 MiB or more, sent in several frames).
   */
  private answerSeq = 1;
  /** The command in flight is counted in `queries` (see run). */
  private queryCounted = false;
  /** The statement of the replayed execute in flight (see QueuedCommand.statement). */
  private replayStatement: ClientStatement | undefined;
  /** Closes a client that does not finish logging in. */
  private loginTimer: NodeJS.Timeout | undefined;
  /** The collation of the last login or COM_CHANGE_USER: see {@link messageEncoding}. */
  private handshakeCollation: number = CollationId.UTF8MB4_GENERAL_CI;
  /** When the command in flight began, or the last one ended (ms): SHOW PROCESSLIST's Time. */
  private since = Date.now();

  constructor(
    readonly id: number,
    readonly conn: Connection,
    private readonly core: ProxyCore,
  ) {
    this.decoder = new PacketDecoder({ maxPacketSize: core.maxPacketSize });
    this.gate = new ClientLogin(core, id, conn);
    this.reader = new SqlReader(core, this.state);
    this.queue = new CommandQueue(conn);
    this.output = new ClientOutput(conn, () => {
      if (!this.busy && !this.closed) this.runQueued();
    });
    conn.onData(this.onData);
    conn.onEnd(() => this.close());
    conn.closed.then(() => this.close());
  }

  /** Sends the greeting. */
  start(): void {
    const hs = this.gate.handshake(undefined);
    this.handshake = hs;
    this.nonce = hs.nonce;
    this.conn.write(hs.start());
    // A client that never finishes the handshake must not hold a connection slot forever.
    this.loginTimer = setTimeout(() => {
      this.core.log.debug({ client: this.id }, 'client did not log in in time');
      this.close();
      this.conn.destroy();
    }, this.core.loginTimeout);
    this.loginTimer.unref();
  }

  stats(): ClientStats {
    return {
      id: this.id,
      user: this.user?.name ?? '',
      tenant: this.tenantSession?.tenant ?? '',
      state: this.status,
      pinned: pinReasons(this.pins),
      lazyBegin: this.lazyBegin !== 'none',
      transactionAborted: this.abortedBy !== undefined,
      slowReader: this.output.waiting,
      queued: this.queue.length,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  /**
   * A client's input, contained: a fault of the proxy's own met while handling it (a bug) ends
   * this client's connection — logged, with an ERR it may read — and nobody else's. Left to
   * escape, it would end the process and every client with it.
   */
  private readonly onData = (chunk: Buffer): void => {
    try {
      this.handleInput(chunk);
    } catch (err) {
      this.failInternally(err);
    }
  };

  /**
   * `SET PASSWORD = …` / `ALTER USER CURRENT_USER() …`: at the server the session's account is
   * the backend account every client shares, so this would change the proxy's own password
   * (every new backend connection then fails) and not the client's, which is in the proxy's
   * configuration. Refused with 1235; nothing reaches a server.
   */
  private refuseOwnAccountChange(): void {
    this.writeErr(
      ProxyError.unsupported,
      [
        "changing the session's own account through the proxy (the server's account is the proxy's, shared by every client; a user's password at the proxy is set in its configuration)",
      ],
      this.answerSeq,
    );
  }

  private failInternally(err: unknown): void {
    this.core.log.error(
      { client: this.id, err },
      "internal error handling a client's input; closing that client",
    );
    this.fatal(ProxyError.internal, []);
  }

  private handleInput(chunk: Buffer): void {
    let packets: { payload: Buffer; sequenceId: number }[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.refuseInput(err as ProtocolError);
      return;
    }
    const decoded = packets as { payload: Buffer; sequenceId: number; frame: Buffer | undefined }[];
    for (let i = 0; i < decoded.length; i++) {
      const p = decoded[i]!;
      if (this.closed || this.tlsStarting || this.queue.refused) return;
      if (this.handshake !== undefined) {
        this.onHandshakePacket(p.payload, p.sequenceId);
        continue;
      }
      if (this.upload.discarding) {
        const e = this.upload.dropped(p.sequenceId, p.payload.length === 0);
        if (e !== undefined) {
          this.writeErr(e.code, e.args, this.upload.nextSequenceId);
          if (e.close) {
            this.close();
            return;
          }
        }
        continue;
      }
      if (this.upload.sending) {
        this.forwardInfile(p.payload, p.sequenceId);
        continue;
      }
      if (p.sequenceId !== 0 && !this.busy && this.queue.length === 0) {
        // Every command starts a conversation at 0; as MariaDB does, the connection ends.
        this.refuseAfterAnswers(ProxyError.packetsOutOfOrder, []);
        return;
      }
      // Behind a command in flight (or commands waiting for the client to read their answers),
      // a packet out of sequence may be the file a LOAD DATA LOCAL
      // will ask for (a client sending it before the request, which MariaDB reads as the
      // file): it waits in the queue, and is refused only if it is read as a command.
      p.frame = frameOf(chunk, p.payload, p.sequenceId);
      if (this.busy || this.heldForCheck || !this.output.reading()) {
        this.queue.push(p);
      } else {
        // A refusal answered at once (a full queue) finds the rest of the chunk not yet queued.
        this.unqueuedInput = decoded.length - 1 - i;
        this.dispatch(p.payload, p.frame);
        this.unqueuedInput = 0;
      }
    }
    // A header refused behind the packets just handled, and not a TLS ClientHello taken back.
    const refused = this.decoder.error;
    if (refused !== undefined && !this.closed && !this.tlsStarting && !this.queue.refused)
      this.refuseInput(refused);
  }

  /**
   * Input that cannot be decoded: ERR 1153 (too large), 1156 (a 16 MiB+ packet's frames out of
   * turn, as MariaDB refuses it) or 1835, and the connection closes.
   */
  private refuseInput(e: ProtocolError): void {
    const code =
      e.errno === ER_NET_PACKET_TOO_LARGE
        ? ProxyError.packetTooLarge
        : e.errno === ER_NET_PACKETS_OUT_OF_ORDER
          ? ProxyError.packetsOutOfOrder
          : ProxyError.malformedPacket;
    // Numbered as a server numbers it (a packet too large: after the frame that made it so).
    this.refuseAfterAnswers(code, [e.message], e.answerSequenceId);
  }

  /**
   * Input the connection cannot go on after: nothing more is read, and the error and the close
   * come after the answers to the commands before it, as MariaDB sends them. Sent at once, the
   * error read as the answer to a write still running — which the server applied.
   */
  private refuseAfterAnswers(code: ProxyErrorCode, args: (string | number)[], sequenceId?: number): void {
    // Mid-file (LOAD DATA LOCAL) the server waits for the rest of the file, which will not come.
    if ((!this.busy && this.queue.length === 0) || this.upload.midFile) {
      this.fatal(code, args, sequenceId);
      return;
    }
    this.queue.refuse({ code, args, sequenceId });
  }

  /**
   * LOCAL INFILE data: forwarded as is until the empty packet that ends the file. False when the
   * backend's socket is full: input is paused until it drains.
   */
  private forwardInfile(payload: Buffer, sequenceId: number): boolean {
    const b = this.backend;
    // No statement waits for it (never expected: the file ends with its response): dropped.
    this.upload.packet(sequenceId, payload.length === 0, b !== undefined);
    if (b === undefined) return true;
    if (b.writeClientData(encodeFrames(payload, sequenceId))) return true;
    this.conn.pause();
    b.onceDrained(() => this.queue.resume());
    return false;
  }

  private onHandshakePacket(payload: Buffer, sequenceId: number): void {
    const hs = this.handshake!;
    const step = hs.receive(payload, sequenceId);
    if (this.changingUser !== undefined) {
      this.onChangeUserStep(step);
      return;
    }
    switch (step.kind) {
      case 'send':
        this.conn.write(step.bytes);
        return;
      case 'upgrade-tls': {
        // The client's TLS ClientHello may have arrived in the same chunk as its SSLRequest:
        // those bytes sit in the decoder and belong to TLS.
        const buffered = this.decoder.takeBuffered();
        this.tlsStarting = true;
        this.conn.pause();
        this.conn
          .upgradeToTls({ side: 'server', ...this.core.tls!, buffered })
          .then(() => {
            this.tlsStarting = false;
            this.conn.resume();
          })
          .catch((err: Error) => {
            this.core.log.debug({ client: this.id, err: err.message }, 'client TLS handshake failed');
            this.conn.destroy();
          });
        return;
      }
      case 'failed':
        this.core.counters.authFailures++;
        this.core.counters.errors++;
        this.conn.write(step.bytes);
        this.handshake = undefined;
        this.close();
        return;
      case 'authenticated': {
        this.handshake = undefined;
        clearTimeout(this.loginTimer);
        this.handshakeCollation = step.session.charset;
        const user = this.gate.authenticatedUser(step.session.user);
        if (user === undefined) this.core.counters.authFailures++;
        const refusal =
          user === undefined ? this.gate.accessDenied(step.session) : this.login(user, step.session);
        if (refusal !== undefined) {
          this.refuseLogin(step, refusal);
          return;
        }
        this.withSchemaChecked(this.flavour!, user!.name, this.state.schema, (schemaRefusal) => {
          if (schemaRefusal !== undefined) {
            this.core.counters.authFailures++;
            this.refuseLogin(step, schemaRefusal);
            return;
          }
          this.conn.write(step.bytes);
          this.status = 'idle';
        });
        return;
      }
    }
  }

  /**
   * The ERR takes the place of the final OK; packets before it (caching_sha2's
   * fast-auth-success) still go out, so sequence ids stay in step.
   */
  private refuseLogin(step: { bytes: Buffer; sequenceId: number }, refusal: ProxyRefusal): void {
    this.conn.write(step.bytes.subarray(0, lastPacketStart(step.bytes)));
    this.writeErr(refusal.code, refusal.args, step.sequenceId);
    this.close();
  }

  /**
   * Goes on with a login or a change of user once the database it names is known to be one
   * `flavour`'s account may enter (see KnownSchemas): at once when it names none or a known one,
   * else after a check on a backend connection — `then` gets ER 1049 or 1044 (worded for proxy
   * user `userName`) where MariaDB would refuse it, nothing where the check could not be made
   * (the statements then meet the error, or run once the schema is there). Commands the client
   * sends meanwhile wait in the queue, and run after `then`.
   */
  private withSchemaChecked(
    flavour: Flavour,
    userName: string,
    schema: string | null,
    then: (refusal?: ProxyRefusal) => void,
  ): void {
    if (schema === null || this.core.knownSchemas.has(flavour.user, schema)) {
      then();
      return;
    }
    this.heldForCheck = true;
    this.core.knownSchemas.check(this.core.pool, flavour, schema, (found) => {
      this.heldForCheck = false;
      if (this.closed) return;
      try {
        if (found === 'unknown') then({ code: ProxyError.unknownDatabase, args: [schema] });
        // A proxy user is of any host, as an account of '%' is (MariaDB names the account's).
        else if (found === 'denied')
          then({ code: ProxyError.databaseAccessDenied, args: [userName, '%', schema] });
        else {
          if (found === 'unchecked')
            this.core.log.debug({ client: this.id, schema }, 'login schema not checked');
          then();
        }
        this.runQueued();
      } catch (err) {
        this.failInternally(err);
      }
    });
  }

  /** Takes a user's connection slot at its tenant; returns the refusal if any. */
  private login(user: ProxyUser, session: ServerSession): ProxyRefusal | undefined {
    const admitted = this.gate.admit(user, session);
    if ('code' in admitted) return admitted;
    this.tenantSession = admitted.tenantSession;
    this.flavour = admitted.flavour;
    this.user = user;
    this.serverSession = session;
    this.reader.loginCharset = session.charset;
    this.capabilities = session.capabilities;
    this.core.addUserConnection(user.name);
    this.state.reset(session.database === '' ? null : session.database);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private dispatch(payload: Buffer, frame?: Buffer, replay = false, statement?: ClientStatement): void {
    this.since = Date.now();
    const cmd = payload.length > 0 ? payload[0]! : -1;
    this.command = cmd;
    this.payload = payload;
    this.frame = frame;
    this.traits = 0;
    this.pureRead = false;
    this.wasPureRead = false;
    this.endingSql = undefined;
    this.replaying = replay;
    this.replayStatement = statement;
    this.queryCounted = false;
    this.insertUnreported = undefined;
    this.answerSeq = frameCount(payload.length) & 0xff;
    this.retries = 0;
    this.upload.commandStarted();
    this.sentToBackend = false;
    this.respondedBytes = 0;
    const replayFailure = this.replayFailure;
    if (replayFailure !== undefined && !replay) {
      this.replayFailure = undefined;
      // The read run again for this statement was refused a backend (or lost unsent): so is the
      // statement, and a lazy BEGIN's transaction goes with it as if it had been refused itself.
      const refused = replayFailure.code.code >= 9001 && replayFailure.code.code <= 9006;
      if (refused) this.traits = this.traitsOf(cmd, payload);
      this.writeErr(
        refused ? this.failsTransaction(replayFailure.code) : replayFailure.code,
        replayFailure.args,
        this.answerSeq,
      );
      this.finishCommand();
      return;
    }
    if (this.abortedBehind !== undefined && !replay) {
      // Past the commands sent behind the refused BEGIN, the client has read its error.
      if (this.abortedBy === undefined || this.abortedBehind === 0) {
        this.abortedBy = undefined;
        this.abortedBehind = undefined;
      } else this.abortedBehind--;
    }
    if (this.abortedBy !== undefined && !replay && this.answerAborted(cmd, payload)) return;
    switch (cmd) {
      case COM_QUIT:
        this.close();
        return;
      case COM_PING:
        // Answered here — but not "alive" when no statement could run: health checks
        // (`mariadb-admin ping`) ask this. A client holding a connection has that one.
        if (this.backend === undefined && this.core.pool.capacity === 0)
          this.writeErr(
            ProxyError.backendUnavailable,
            ['every backend server is out of service'],
            this.answerSeq,
          );
        else this.writeOk(this.answerSeq);
        return;
      case COM_STMT_CLOSE:
        this.closeStatement(payload);
        return;
      case COM_RESET_CONNECTION:
        // The server keeps the default schema across a reset; so does the proxy.
        this.resetSession(undefined, () => this.writeOk(this.answerSeq));
        return;
      case COM_CHANGE_USER:
        this.changeUser(payload);
        return;
      case COM_SET_OPTION:
        this.setOption(payload);
        return;
      case COM_QUERY: {
        // latin1 is enough to find ASCII keywords and is the cheapest decoding.
        const text = payload.toString('latin1', 1);
        this.traits = this.reader.classify(text);
        // A statement replaces the kept results — also one answered here (a lazy BEGIN, a
        // KILL), but those that read them and the two answered here as leaving them in place.
        if ((this.traits & KEEPS_KEPT_RESULTS) === 0) this.keptResults = undefined;
        // A view can hide a write behind what reads like a pure read.
        if (
          this.traits & Trait.PureRead &&
          this.core.views.mayReadImpureView(text, this.state.schema, this.clientCharset())
        ) {
          this.traits &= ~Trait.PureRead;
        }
        if (this.traits & Trait.ViewDdl) this.core.views.invalidate();
        this.pureRead = (this.traits & Trait.PureRead) !== 0;
        if (this.traits === Trait.TransactionControl && this.answerBoundary(transactionBoundary(text)))
          return;
        // A COMMIT / ROLLBACK anywhere in the text (`DO 0; COMMIT RELEASE`) may end the session.
        if (this.traits & Trait.TransactionControl) this.endingSql = text;
        if (this.traits & Trait.Kill) {
          if (this.traits & Trait.SqlPrepare) this.refusePreparedKill();
          else this.kill(text);
          return;
        }
        if (this.traits & Trait.OwnAccount) {
          this.refuseOwnAccountChange();
          return;
        }
        if (this.traits & Trait.Processlist) {
          this.processlist((this.traits & Trait.ProcesslistFull) !== 0);
          return;
        }
        if (this.traits & Trait.ConnectionId) {
          // Under a two-byte character_set_results the server converts the column's name.
          const name = isWideCharset(this.state.variables.get('character_set_results'))
            ? undefined
            : this.reader.connectionIdColumn(text);
          if (name !== undefined) {
            this.answerHere(encodeConnectionId(this.id, name, this.resultFraming()));
            return;
          }
        }
        if (this.traits & Trait.Use) {
          const schema = useStatementSchema(payload.toString(this.clientEncoding(), 1));
          if (schema !== undefined) {
            this.initDb(schema);
            return;
          }
        }
        this.pending = Pending.Forward;
        break;
      }
      case COM_INIT_DB:
        this.initDb(payload.toString(this.clientEncoding(), 1));
        return;
      case COM_STMT_PREPARE:
        // An execute with id -1 right after must not run an earlier statement if this one fails.
        this.statements.lastPrepared = 0;
        // Read like a COM_QUERY's text: a byte a character, whatever the client's character set.
        this.prepareTraits = this.reader.classify(payload.toString('latin1', 1));
        if (this.prepareTraits & Trait.Kill) {
          this.refusePreparedKill();
          return;
        }
        if (this.prepareTraits & Trait.OwnAccount) {
          this.refuseOwnAccountChange();
          return;
        }
        if (this.statements.size >= this.core.maxPreparedStatements) {
          // Each one holds its text here; the backends' caches evict, so no server would stop
          // a client that never closes them.
          this.writeErrPacket(
            1461,
            '42000',
            `Can't create more than max_prepared_statements statements on one proxy connection (current value: ${this.core.maxPreparedStatements}); close some with COM_STMT_CLOSE`,
            1,
          );
          return;
        }
        this.pending = Pending.Prepare;
        break;
      case COM_STMT_EXECUTE:
      case COM_STMT_BULK_EXECUTE:
      case COM_STMT_SEND_LONG_DATA:
      case COM_STMT_RESET:
      case COM_STMT_FETCH:
        if (!this.statementCommand(payload)) return;
        if (cmd === COM_STMT_EXECUTE && this.executing!.cs.traits === Trait.TransactionControl) {
          const cs = this.executing!.cs;
          if (this.answerBoundary(cs.boundary)) {
            this.executing = undefined;
            this.pending = Pending.None;
            return;
          }
          this.endingSql = cs.preparePayload.toString('latin1', 1);
        }
        break;
      case -1:
        // An empty packet has no command byte: MariaDB answers it as an unknown command.
        this.writeErr(ProxyError.unknownCommand, ['(empty packet)'], this.answerSeq);
        return;
      case COM_PROCESS_KILL:
        if (payload.length >= 5) this.kill(`KILL CONNECTION ${payload.readUInt32LE(1)}`);
        else
          this.writeErr(
            ProxyError.malformedPacket,
            ['COM_PROCESS_KILL shorter than 5 bytes'],
            this.answerSeq,
          );
        return;
      case COM_FIELD_LIST:
      case COM_STATISTICS:
      case COM_DEBUG:
      // FLUSH by bitmask (mariadb-admin refresh, flush-threads): server-wide, like FLUSH as SQL.
      case COM_REFRESH:
        this.pending = Pending.Forward;
        break;
      case COM_SHUTDOWN:
        // Never the shared service account's to run: refused as MariaDB refuses a user
        // without the privilege (mariadb-admin shutdown prints the message).
        this.writeErrPacket(
          1227,
          '42000',
          'Access denied; you need (at least one of) the SHUTDOWN privilege(s) for this operation',
          this.answerSeq,
        );
        return;
      default:
        // Replication and the rest do not belong on a shared connection.
        this.writeErrPacket(1047, '08S01', `Unknown command ${commandName(cmd)}`, this.answerSeq);
        return;
    }
    if (
      this.traits & Trait.ReadsPreviousResult &&
      !replay &&
      !this.readsKeptResults() &&
      (this.readHistory.length > 0 ||
        (this.traits & Trait.ReadsDiagnostics && (this.pins === 0 || this.results.readsForeign(this.traits))))
    ) {
      this.replay(payload, frame);
      return;
    }
    if (this.replaying) this.pureRead = false;
    this.withBackend();
  }

  /** completion_type as the client set it, else the default of the server `b` belongs to. */
  private completionType(b: BackendConnection): string {
    return this.state.variables.get('completion_type') ?? b.server.completionType;
  }

  /**
   * Lazy BEGIN. A plain BEGIN from a client with nothing pinned is answered here (status
   * IN_TRANS) and opened on a backend only together with the client's next statement, written
   * in the same system call when that statement is a pure read. That saves a backend round trip
   * per transaction and keeps the backend free until the transaction does something. It is
   * what the server would do anyway: a plain BEGIN takes its read view at the first read.
   * COMMIT / ROLLBACK before any statement ends a transaction that never reached a backend;
   * with nothing open at all (a pool's ROLLBACK when a connection comes back to it: SQLAlchemy's
   * reset on return, after the COMMIT that ended the last pin) they end nothing on a server
   * either, unless the client's completion_type makes them chain or release.
   * @returns whether the command was answered
   */
  private answerBoundary(boundary: TransactionBoundary | undefined): boolean {
    if (
      boundary === undefined ||
      !this.core.lazyBeginAllowed ||
      this.pins !== 0 ||
      this.backend !== undefined ||
      this.replaying
    )
      return false;
    if (boundary === 'begin') {
      // Variables that change what BEGIN / COMMIT do or report: the server answers those.
      for (const name of LAZY_BEGIN_BLOCKERS) if (this.state.variables.has(name)) return false;
      // BEGIN after a lazy BEGIN commits an empty transaction and opens another: still lazy.
      this.lazyBegin = 'pending';
      this.core.counters.lazyBegins++;
    } else {
      if (this.lazyBegin === 'none' && this.state.variables.has('completion_type')) return false;
      this.lazyBegin = 'none';
      this.core.counters.emptyTransactions++;
    }
    this.readHistory.clear();
    this.keptResults = undefined;
    this.writeOk(this.answerSeq);
    return true;
  }

  /**
   * The statement asks about the previous one (SHOW WARNINGS, @@warning_count, FOUND_ROWS()),
   * which was a pure read on a shared connection: others' statements have run there since. So
   * the read runs again on a connection this client holds, its response dropped, and the
   * statement follows it there. Running a pure read again changes nothing.
   *
   * A client whose previous statement left nothing to ask about (no warnings, no rows
   * changed: nothing pinned its connection) asks on whatever connection it gets, where the
   * server still keeps the diagnostics of someone else's last statement — their warning texts,
   * with their data. A neutral statement that uses a table goes first and clears them.
   */
  private replay(payload: Buffer, frame: Buffer | undefined): void {
    const history = this.readHistory;
    // A statement that reads a table clears the warnings before it; one that reads none keeps
    // them (MariaDB): run again from the last read of a table on.
    const last = history.length - 1;
    let from = Math.max(last, 0);
    while (from > 0 && !this.readsTable(history.at(from))) from--;
    this.queue.unshift({ payload, sequenceId: 0, frame });
    // The statement comes back through dispatch: one command of the client's all the same.
    if (this.abortedBehind !== undefined) this.abortedBehind++;
    for (let i = last; i >= from; i--) {
      const r = history.at(i);
      let again = r.payload;
      if (r.statement !== undefined) {
        // The execute went out with the backend's statement id written into it.
        again = Buffer.from(again);
        again.writeUInt32LE(r.statement.id, 1);
      }
      this.queue.unshift({
        payload: again,
        sequenceId: 0,
        frame: undefined,
        replay: true,
        statement: r.statement,
      });
    }
    if (this.traits & Trait.ReadsDiagnostics && (last < 0 || !this.readsTable(history.at(from)))) {
      // The proxy's own error for the statement before, raised there; else an empty area.
      const signal = this.results.takeErrorSignal();
      const payload =
        signal === undefined
          ? CLEAR_DIAGNOSTICS
          : Buffer.concat([Buffer.of(COM_QUERY), Buffer.from(signal, this.clientEncoding())]);
      this.queue.unshift({ payload, sequenceId: 0, frame: undefined, replay: true });
    }
    this.results.ranOnServer();
    this.readHistory.clear();
    this.results.owned();
    this.core.counters.replays++;
    this.finishCommand();
  }

  /**
   * Whether a read's SQL reads a table (see fromTableAtTopLevel), by every way the server may
   * read it: a FROM seen only by a misreading would start the replay after reads whose warnings
   * the statement asks about. Replaying one read too many costs nothing.
   */
  private readsTable(read: PreviousRead): boolean {
    const payload = read.statement === undefined ? read.payload : read.statement.preparePayload;
    return this.reader.readsTable(payload.toString('latin1', 1));
  }

  /**
   * The statement in flight reads the previous results (or is a prepare, which leaves them for
   * its execute), they are still on the connection the client left them on (see keptResults),
   * and the client holds no other: it is to go back there.
   */
  private readsKeptResults(): boolean {
    const kept = this.keptResults;
    if (kept === undefined || this.backend !== undefined || this.pins !== 0 || this.readHistory.length > 0)
      return false;
    if (this.lazyBegin !== 'none' || kept.flavour.key !== this.flavour!.key) return false;
    // What is there may be another client's all the same: conditions that the client's last
    // statement, raising none, left in place; another's FOUND_ROWS() under its UPDATE.
    if (this.results.readsForeign(this.traits)) return false;
    if (!this.core.pool.keepsResultsFor(kept, this.results)) return false;
    this.reclaim = kept;
    return true;
  }

  /**
   * A statement that reads or replaces the results the client's backend is held for is here:
   * the hold's timer stops, and if the statement does not read them, the slot and the
   * connection go back, and the statement asks the scheduler like any other — a client writing
   * back to back kept its slot for ever, past its tenant's weight, cap and rate limit, while
   * other tenants waited.
   */
  private endHoldForStatement(): void {
    if (this.holdTimer !== undefined) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }
    if (this.backend !== undefined && this.heldOnlyForUnreadResults()) {
      const b = this.backend;
      this.backend = undefined;
      this.pins = 0;
      this.core.pool.release(b);
      this.releaseLease();
    }
  }

  /**
   * The connection about to be let go holds the client's insert id that no OK reported (a
   * CALL's, an INSERT … RETURNING's): it is read there first, or a LAST_INSERT_ID() elsewhere
   * after this statement would read the last one an OK reported. Then `next` goes on with the
   * command (unless the client left meanwhile).
   * @returns whether it reads first
   */
  private readUnreportedInsertIdFirst(next: () => void): boolean {
    const held = this.backend;
    // Per statement: the comparison first, the rest only when it holds such an id.
    if (held === undefined || !this.results.holdsUnreported(held) || !this.heldOnlyForUnreadResults())
      return false;
    this.busy = true;
    held.queryRow('SELECT LAST_INSERT_ID()', (err, values) => {
      this.results.learnt(err === null ? values?.[0] : undefined);
      if (!this.closed) next();
    });
    return true;
  }

  /** {@link withBackend} once the insert id is read back: made once, not per statement. */
  private readonly withBackendAfterRead = (): void => this.withBackend();

  /** Gets a backend (the pinned one, or a slot and a pooled one), then runs the command. */
  private withBackend(): void {
    this.busy = true;
    if (this.readUnreportedInsertIdFirst(this.withBackendAfterRead)) return;
    // This statement reads the kept results (reclaim) or replaces them — but a prepare, which
    // runs nothing: it goes to the kept connection if it can, and they stay for the execute
    // (elsewhere they are lost: a prepare there must not mark that connection as keeping them).
    if (!keepsPreviousStatement(this.command)) this.keptResults = undefined;
    else if (this.reclaim === undefined && !this.readsKeptResults()) this.keptResults = undefined;
    // The statement that reads the held results, or replaces them, is here. Commands the proxy
    // answers itself (COM_PING, COM_STMT_CLOSE…) leave the hold and its timer as they are.
    this.endHoldForStatement();
    // A pinned client's statements run where its state is, like any other statement; the one
    // that opens a lazy BEGIN's transaction needs a connection of its own too, and so does any
    // statement of a session with autocommit off (a read of a table opens a transaction).
    this.wasPureRead = this.pureRead;
    if (this.pins !== 0 || this.lazyBegin !== 'none' || this.reader.autocommitOff) this.pureRead = false;
    // Anything but a pure read starts the server's "previous statement" afresh — but a prepare,
    // which runs nothing: the server keeps what the statement before left for the execute.
    if (!this.pureRead && !this.replaying && !keepsPreviousStatement(this.command)) {
      this.readHistory.clear();
      this.results.ranOnServer();
    }
    if (this.backend !== undefined) {
      this.syncAndRun();
      return;
    }
    this.status = 'waiting';
    this.ticket = this.tenantSession!.acquire(this.onAdmitted);
  }

  private readonly onAdmitted = (lease: Lease | null, refusal: RefusalReason | null): void => {
    const ticket = this.ticket;
    this.ticket = null;
    if (this.closed) {
      lease?.release();
      return;
    }
    if (lease === null) {
      this.refuse(refusal!, ticket);
      return;
    }
    this.lease = lease;
    this.acquireBackend();
  };

  /** A connection for the command in flight: for a pure read possibly a shared one. */
  private acquireBackend(): void {
    const kept = this.reclaim;
    if (kept !== undefined) {
      this.reclaim = undefined;
      if (this.core.pool.takeBack(kept, this.results)) {
        this.backend = kept;
        this.onShared = false;
        this.syncAndRun();
        return;
      }
      // Taken while the statement waited its turn: the results are gone. A read of them reads
      // as on any other connection, the area emptied first (see dispatch); a prepare runs
      // wherever it lands.
      this.keptResults = undefined;
      if (!keepsPreviousStatement(this.command)) {
        this.releaseLease();
        this.replay(this.payload, this.frame);
        return;
      }
    }
    const hasSchema = this.state.schema !== null;
    const shared =
      this.pureRead && this.pins === 0
        ? this.core.pool.takeStackable(this.flavour!, this.state, hasSchema)
        : undefined;
    this.onShared = shared !== undefined;
    if (shared === undefined) {
      this.acquiring = true;
      this.core.pool.acquire(this.flavour!, hasSchema, this.onBackend);
      return;
    }
    // Its session already equals the client's: no sync, the read goes out at once.
    this.backend = shared;
    this.run();
  }

  /**
   * The pure read in flight was taken back from a shared connection (it stalled, or a read
   * ahead of it changed the session): its response there will be dropped; run it elsewhere.
   */
  onDiverted(conn: BackendConnection): void {
    if (this.closed || this.backend !== conn) return;
    this.output.resumeBackend();
    this.backend = undefined;
    this.onShared = false;
    this.reacquire();
  }

  /** The command in flight goes to another connection (answers for this attempt are dropped). */
  private reacquire(): void {
    this.attempt++;
    this.status = 'waiting';
    this.acquireBackend();
  }

  private readonly onBackend = (err: Error | null, conn: BackendConnection | null): void => {
    this.acquiring = false;
    const interrupted = this.interruptPending && !this.replaying;
    if (err instanceof ConnectionLostBeforeUse && !this.closed && !interrupted && this.retryElsewhere())
      return;
    if (err !== null || conn === null) {
      this.releaseLease();
      if (interrupted && !this.closed) {
        // KILL QUERY came while a connection was being made: the statement never ran.
        this.interruptPending = false;
        this.answerInterrupted();
        return;
      }
      const reason = err === null ? 'unknown' : clientReason(err);
      this.writeErr(this.failsTransaction(ProxyError.backendUnavailable), [reason], this.responseSequence());
      this.finishCommand();
      return;
    }
    if (this.closed) {
      this.core.pool.release(conn);
      this.releaseLease();
      return;
    }
    this.backend = conn;
    this.syncAndRun();
  };

  /** `ticket`: the wait that ended in the refusal, if it queued (its timeout is the one that applied). */
  private refuse(reason: RefusalReason, ticket: Ticket | null = null): void {
    const tenant = ticket?.tenant ?? this.tenantSession?.tenant ?? '';
    const c = this.core.counters;
    switch (reason) {
      case 'queue_timeout':
        c.queueTimeouts++;
        this.writeErr(
          this.failsTransaction(ProxyError.queueTimeout),
          [ticket?.timeout ?? this.core.queueTimeoutOf(tenant), tenant],
          this.responseSequence(),
        );
        break;
      case 'queue_full':
        this.writeErr(
          this.failsTransaction(ProxyError.queueFull),
          [tenant, this.core.maxQueuedOf(tenant)],
          this.responseSequence(),
        );
        break;
      case 'rate_limited':
        this.writeErr(this.failsTransaction(ProxyError.rateLimited), [tenant], this.responseSequence());
        break;
      case 'shedding':
        this.writeErr(
          this.failsTransaction(ProxyError.overloaded),
          [this.core.loopDelay(), this.core.shedDelay],
          this.responseSequence(),
        );
        break;
      default:
        this.writeErr(
          this.failsTransaction(ProxyError.backendUnavailable),
          [`admission refused: ${reason}`],
          this.responseSequence(),
        );
    }
    this.finishCommand();
  }

  /**
   * The error about to answer the statement in flight — refused for want of a backend, or its
   * backend lost before it went out — rolls back the transaction of a lazy BEGIN that has not
   * reached a backend yet. Kept open, as after any statement error, a client that pipelines
   * BEGIN, its statements and COMMIT without reading the answers between would commit the others
   * without this one. Only there: the client saw IN_TRANS in BEGIN's OK, so every driver ends
   * the transaction it believes open; one whose own BEGIN was refused, or that runs with
   * autocommit off, was last told of no transaction, and drivers that send ROLLBACK only inside
   * one (Connector/J 3, Go's database/sql after a failed BeginTx) would never end the state.
   * A pure read changes nothing a COMMIT keeps: the transaction goes on after it.
   * @returns the error, its message saying so when it rolls the transaction back
   */
  private failsTransaction(code: ProxyErrorCode): ProxyErrorCode {
    if (this.replaying || this.abortedBy !== undefined) return code;
    if (this.lazyBegin !== 'pending') return this.failsPipelinedBegin(code);
    let traits: number;
    switch (this.command) {
      case COM_QUERY:
      case COM_STMT_EXECUTE:
      case COM_STMT_BULK_EXECUTE:
        traits = this.traits;
        break;
      case COM_STMT_PREPARE:
        // The mariadb connector pipelines the prepare and its execute: the prepare's refusal is
        // the statement's.
        traits = this.prepareTraits;
        break;
      case COM_STMT_SEND_LONG_DATA:
        // Answered at the statement's execute (see writeErrPacket).
        traits = this.clientStatementOf(this.payload)?.traits ?? 0;
        break;
      default:
        return code;
    }
    if (traits & Trait.PureRead) return code;
    const text = traits & Trait.TransactionControl ? this.statementText() : '';
    const boundary = text === '' ? undefined : this.reader.firstBoundary(text);
    if (boundary === 'commit' || boundary === 'rollback') return code;
    this.abortedBy = code.code;
    // Nothing of it opens on a backend now (IN_TRANS comes from abortedBy): a statement the
    // client may still run meanwhile (SHOW WARNINGS, KILL) runs outside it.
    this.lazyBegin = 'none';
    this.core.counters.transactionsAborted++;
    return { ...code, message: `${code.message}; ${TRANSACTION_ROLLED_BACK}` };
  }

  /**
   * The error about to answer a BEGIN the proxy forwards (a form it does not answer itself:
   * characteristics, an executable comment, a session with sql_mode set), refused for want of a
   * backend, when commands were read behind it: a client pipelining BEGIN, its statements and
   * COMMIT sent those for the transaction it asked for, and they would run in autocommit. They
   * are refused with it (ERR 9009), up to the COMMIT / ROLLBACK / BEGIN among them. What the
   * client sends once it has read the error runs as ever: it was told of no transaction, and
   * drivers that end only transactions they saw (see failsTransaction) would never end a state.
   * @returns the error, its message saying so when commands behind it are refused
   */
  private failsPipelinedBegin(code: ProxyErrorCode): ProxyErrorCode {
    const behind = this.queue.length + this.unqueuedInput;
    if (behind === 0 || !(this.traits & Trait.TransactionControl)) return code;
    if (this.command !== COM_QUERY && this.command !== COM_STMT_EXECUTE) return code;
    // One statement: a text that goes on (`BEGIN; …; COMMIT`) may end what it began itself.
    const text = this.statementText();
    if (MORE_STATEMENTS.test(text) || this.reader.firstBoundary(text) !== 'begin') return code;
    this.abortedBy = code.code;
    this.abortedBehind = behind;
    this.core.counters.transactionsAborted++;
    return { ...code, message: `${code.message}; ${REFUSED_WITH_BEGIN}` };
  }

  /** The traits of the statement a text or an execute runs (0 for other commands). */
  private traitsOf(cmd: number, payload: Buffer): number {
    if (cmd === COM_QUERY) return this.reader.classify(payload.toString('latin1', 1));
    if ((cmd === COM_STMT_EXECUTE || cmd === COM_STMT_BULK_EXECUTE) && payload.length >= 5)
      return this.clientStatementOf(payload)?.traits ?? 0;
    return 0;
  }

  /**
   * A command from a client whose transaction the proxy rolled back (see failsTransaction): its
   * statements are refused (ERR 9009) until it ends the transaction — a ROLLBACK (a plain one
   * answered OK here, any other form run as ever: none has anything to undo), a COMMIT
   * (answered ERR 9009: nothing of it was committed), or a BEGIN / START TRANSACTION, which
   * ends it as it ends any transaction and opens the next. Read as the server reads them
   * (comments, a text of several statements: its first). A KILL and a read of the diagnostics
   * (SHOW WARNINGS) need no transaction and run; so do commands that are not statements (ping,
   * prepare, close, reset, change user).
   * @returns whether the command was answered
   */
  private answerAborted(cmd: number, payload: Buffer): boolean {
    let text: string;
    let traits: number;
    let cs: ClientStatement | undefined;
    if (cmd === COM_QUERY) {
      text = payload.toString('latin1', 1);
      traits = this.reader.classify(text);
    } else if (cmd === COM_STMT_EXECUTE || cmd === COM_STMT_BULK_EXECUTE) {
      // A short packet or an unknown id gets the usual 1835 / 1243.
      cs = payload.length >= 5 ? this.clientStatementOf(payload) : undefined;
      if (cs === undefined) return false;
      text = cs.preparePayload.toString('latin1', 1);
      traits = cs.traits;
    } else return false;
    // A KILL (alone: in a text of several it is refused) and SHOW WARNINGS / ERRORS or GET
    // DIAGNOSTICS alone need no transaction and change nothing; a write that reads
    // @@warning_count, or a text that goes on after SHOW WARNINGS, does.
    if (traits & Trait.Kill) return false;
    if (traits & Trait.ReadsConditions && cmd === COM_QUERY && !MORE_STATEMENTS.test(text)) {
      const lead = this.reader.leadingKeyword(text);
      if (lead === 'SHOW' || lead === 'GET') return false;
    }
    const abortedBy = this.abortedBy!;
    const boundary = traits & Trait.TransactionControl ? this.reader.firstBoundary(text) : undefined;
    if (boundary === 'begin') {
      this.abortedBy = undefined;
      return false;
    }
    if (boundary === 'rollback') {
      this.abortedBy = undefined;
      if (transactionBoundary(text) !== 'end') return false;
      this.readHistory.clear();
      this.keptResults = undefined;
      this.writeOk(this.answerSeq);
      return true;
    }
    if (cs !== undefined) {
      // As with any execute that fails: the types it bound stay the statement's (the client's
      // next execute may leave them out), its long data goes unused (and its refusal told).
      if (cmd === COM_STMT_EXECUTE) rememberBoundTypes(payload, cs);
      else rememberBulkTypes(payload, cs);
      cs.longDataError = undefined;
      if (this.statements.longData.delete(cs.id)) this.dropHeldStatement(cs);
    }
    if (boundary === 'commit') {
      this.abortedBy = undefined;
      this.writeErr(ProxyError.commitOfAborted, [abortedBy], this.answerSeq);
    } else this.writeErr(ProxyError.transactionAborted, [abortedBy], this.answerSeq);
    // A connection its long data held goes back now, not at the client's next command.
    this.releaseIfFree();
    return true;
  }

  /** Brings the backend's session to this client's state, then runs the command. */
  private syncAndRun(): void {
    const b = this.backend!;
    if (b.broken) {
      this.retryOrFail(new Error('backend connection was already closed'));
      return;
    }
    if (b.killsInFlight > 0) {
      // A KILL QUERY for this client's previous statement there is still on its way: this
      // one (or the session sync before it) goes out once it is answered, or the KILL could
      // interrupt it. A KILL meanwhile answers it 1317 then (see interruptIfNotRunning).
      const attempt = this.attempt;
      this.status = 'waiting';
      b.whenKillsAnswered(() => {
        if (this.closed || this.backend !== b || this.attempt !== attempt) return;
        this.syncAndRun();
      });
      return;
    }
    if (b.stateOwner === this && b.stateVersion === this.state.version) {
      this.run();
      return;
    }
    if (b.state.equals(this.state)) {
      b.stateOwner = this;
      b.stateVersion = this.state.version;
      this.run();
      return;
    }
    let sync = planStateSync(b.state, this.state, b.baseline);
    this.core.counters.stateSyncs++;
    // Until the whole sync is through the connection is nobody's: one that fails half way (the
    // schema changed, the SET refused) must not pass for its previous client's state.
    b.stateOwner = undefined;
    const afterSet = () => {
      b.state.copyFrom(this.state);
      b.stateOwner = this;
      b.stateVersion = this.state.version;
      this.run();
    };
    const doSet = () => {
      if (sync.setStatement === undefined) {
        afterSet();
        return;
      }
      b.query(sync.setStatement, undefined, (err, t) => {
        if (err !== null) return this.retryOrFail(err);
        if (t.error !== undefined) {
          // The state the client set earlier cannot be applied here (changed grants, dropped
          // schema…): tell the client instead of running its statement in the wrong state.
          // The failed SET changed nothing on the backend, so it stays usable.
          this.core.log.warn(
            { client: this.id, sql: sync.setStatement, err: t.error.message },
            'state sync failed',
          );
          this.sendBackendError(
            t.error.errno,
            t.error.sqlState,
            `Proxy: could not restore session state: ${t.error.message}`,
          );
          return;
        }
        afterSet();
      });
    };
    if (sync.schema !== undefined) {
      // Read by the server in the character set the connection has now: its previous
      // client's, until the SET after it — which sets the client's again if the name needed
      // the connection in utf8mb4 meanwhile.
      b.initDb(sync.schema, false, (err, t) => {
        if (err === null && t.error === undefined) sync = planStateSync(b.state, this.state, b.baseline);
        if (err !== null) return this.retryOrFail(err);
        if (t.error !== undefined) {
          if (t.error.errno === ER_BAD_DB || t.error.errno === ER_DBACCESS_DENIED)
            this.core.knownSchemas.forget(this.flavour!.user, sync.schema!);
          if ((t.error.errno === ER_BAD_DB || t.error.errno === ER_DBACCESS_DENIED) && this.pins === 0) {
            // The schema was dropped (or the backend account may no longer use it) since the
            // client chose it: the client goes on without one, as the server leaves a session
            // whose schema it drops. MySQL cannot unset a schema, so this connection (still in
            // another client's) goes back and a schema-less one runs the statement.
            this.state.setSchema(null);
            this.backend = undefined;
            this.core.pool.release(b);
            this.reacquire();
            return;
          }
          this.sendBackendError(
            t.error.errno,
            t.error.sqlState,
            `Proxy: could not restore schema: ${t.error.message}`,
          );
          return;
        }
        b.state.setSchema(sync.schema!);
        this.core.knownSchemas.add(this.flavour!.user, sync.schema!);
        doSet();
      });
    } else {
      doSet();
    }
  }

  /** Sends the command in flight to the backend. */
  private run(): void {
    if (this.interruptPending && !this.replaying) {
      // KILL QUERY came while the statement was being prepared: it never reaches the server.
      this.interruptPending = false;
      this.answerInterrupted();
      return;
    }
    const b = this.backend!;
    // A prepare reads no data: it runs outside the transaction, which stays lazy.
    if (this.lazyBegin === 'pending' && this.pending !== Pending.Prepare) {
      if (this.wasPureRead) b.gather(() => this.openLazyBegin(b, () => this.run()));
      else this.openLazyBegin(b);
      return;
    }
    // LAST_INSERT_ID() on another backend than the insert's: give it the client's value. Only
    // for a statement that reads it (the SET becomes the connection's previous statement, so
    // ROW_COUNT() or SHOW WARNINGS after it would describe the SET), or that may leave a new
    // one unreported (see mayInsertUnreported) — for that, written just ahead of it, its answer
    // not waited for.
    const readsId = (this.traits & Trait.ReadsInsertId) !== 0;
    const insertId =
      readsId || (!(this.traits & Trait.PureRead) && this.mayInsertUnreported())
        ? this.results.insertIdFor(b)
        : undefined;
    if (insertId !== undefined) {
      const set = `SET @@session.last_insert_id = ${insertId}`;
      if (!readsId) b.query(set, undefined, IGNORE_ANSWER);
      else {
        b.query(set, undefined, (err, t) => {
          if (err !== null) return this.retryOrFail(err);
          if (t.error !== undefined)
            this.core.log.warn({ err: t.error.message }, 'could not replay LAST_INSERT_ID');
          this.run();
        });
        return;
      }
    }
    this.status = 'active';
    this.respondedBytes = 0;
    // Once per command of the client: not again when retried or moved, nor for a replay.
    if (!this.queryCounted && !this.replaying) {
      this.queryCounted = true;
      this.core.counters.queries++;
    }
    switch (this.pending) {
      case Pending.Prepare:
        this.sentToBackend = true;
        this.capture = [];
        // Runs nothing, but a failed one leaves its error there.
        this.results.runsOn(b, this.replaying);
        b.forward(COM_STMT_PREPARE, this.frame ?? encodeFrames(this.payload, 0), this);
        return;
      case Pending.Execute:
      case Pending.Fetch:
        // Sent once the statement is on that backend: a connection lost while it is prepared
        // there (or its schema switched) has had nothing of the execute, which may go elsewhere.
        this.runStatementCommand(b);
        return;
      default:
        this.sentToBackend = true;
        this.results.runsOn(b, this.replaying);
        if (this.traits & Trait.Call && this.results.anyForeign) {
          // A routine may read the diagnostics area or FOUND_ROWS() itself (SHOW WARNINGS or
          // GET DIAGNOSTICS in a procedure), where the proxy cannot see it: another client's
          // are cleared first, in the same write.
          b.command(CLEAR_DIAGNOSTICS, IGNORE_ANSWER);
          this.results.owned();
        }
        // SHOW WARNINGS / GET DIAGNOSTICS while the transaction is rolled back (answerAborted):
        // the server's answer says no transaction, and a driver that believes it skips the
        // ROLLBACK that would end the state (the mariadb connector's rollback()). Kept back, and
        // marked IN_TRANS, as the proxy's own answers are then.
        if (this.rolledBackInTransaction && !this.replaying) this.capture = [];
        if (!b.forward(this.command, this.frame ?? encodeFrames(this.payload, 0), this)) {
          this.capture = undefined;
          this.afterResponse(b);
        } else if (this.pureRead) this.shareBackend(b);
    }
  }

  /**
   * Whether the statement just run was a SELECT, for FOUND_ROWS(): a text led by SELECT (or
   * WITH), or a CALL that sent rows. A prepare runs nothing: FOUND_ROWS() is as it was. A
   * function made once: afterResponse hands it over for every response, without a closure each.
   */
  private readonly ranSelect = (resultSets: number): boolean => {
    if (this.pureRead || this.command === COM_STMT_PREPARE) return false;
    const payload = this.statementPayload();
    if (payload === undefined || (payload[0] !== COM_QUERY && payload[0] !== COM_STMT_PREPARE)) return false;
    const lead = this.reader.leadingKeyword(payload.toString('latin1', 1));
    return lead === 'SELECT' || lead === 'WITH' || (lead === 'CALL' && resultSets > 0);
  };

  /**
   * Opens the lazy BEGIN's transaction on `b`, ahead of the command in flight. A pure read goes
   * out with it (`andThen` sends it, inside one gathered write); anything else waits for BEGIN's
   * OK, because if BEGIN failed a write would already have run outside the transaction the
   * client asked for.
   */
  private openLazyBegin(b: BackendConnection, andThen?: () => void): void {
    this.lazyBegin = 'sent';
    b.command(BEGIN_COMMAND, (err, t) => {
      if (this.closed) return;
      if (err !== null) {
        // Lost: a read sent with it fails too and is retried (retryOrFail opens BEGIN again).
        if (andThen === undefined) this.retryOrFail(err);
        return;
      }
      if (t.error !== undefined) {
        // The client was told its transaction began; it cannot go on as if it had. Its
        // statement is answered with the server's reason (a read sent along is dropped).
        this.core.log.warn({ client: this.id, err: t.error.message }, 'lazy BEGIN failed on the backend');
        this.fatal(ProxyError.beginRefused, [t.error.errno, t.error.message]);
        return;
      }
      // The transaction is open on `b` from here: pinned, whatever happens to the statement
      // (a failed re-prepare must not hand the connection back to the pool mid-transaction).
      this.lazyBegin = 'none';
      if (!(this.pins & PIN_BIT.transaction)) {
        this.pins |= PIN_BIT.transaction;
        this.core.countPin('transaction');
      }
      if (andThen === undefined) this.run();
    });
    andThen?.();
  }

  /** A pure read was written on a connection this client holds: let others' reads stack on it. */
  private shareBackend(b: BackendConnection): void {
    if (!this.onShared && this.core.pool.share(b)) this.onShared = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Prepared statements

  private clientStatementOf(payload: Buffer): ClientStatement | undefined {
    return this.replayStatement ?? this.statements.lookup(payload);
  }

  /** Checks an execute/long-data/reset/fetch; false when it was answered here. */
  private statementCommand(payload: Buffer): boolean {
    // The connection goes on. An execute shorter than its header (id, flags, iteration count)
    // is malformed whatever its id, as MariaDB says; a command too short for an id is malformed
    // too (MariaDB reads an id past the packet's end and names whatever it found); long data
    // never has an answer.
    if (payload[0] === COM_STMT_EXECUTE && payload.length < 10) {
      this.writeErr(ProxyError.malformedPacket, ['COM_STMT_EXECUTE shorter than 10 bytes'], this.answerSeq);
      return false;
    }
    if (payload[0] === COM_STMT_BULK_EXECUTE) {
      // As MariaDB checks it: without its id and flags it is malformed; not negotiated at
      // login, it is refused whatever the id.
      if (payload.length < 7) {
        this.writeErr(
          ProxyError.malformedPacket,
          ['COM_STMT_BULK_EXECUTE shorter than 7 bytes'],
          this.answerSeq,
        );
        return false;
      }
      if (!((this.serverSession?.mariadbCapabilities ?? 0) & MARIADB_CLIENT_STMT_BULK_OPERATIONS)) {
        this.writeErrPacket(
          1295,
          'HY000',
          'This command is not supported in the prepared statement protocol yet',
          this.answerSeq,
        );
        return false;
      }
    }
    if (payload.length < 5) {
      if (payload[0] !== COM_STMT_SEND_LONG_DATA)
        this.writeErr(
          ProxyError.malformedPacket,
          [`${commandName(payload[0]!)} shorter than 5 bytes`],
          this.answerSeq,
        );
      return false;
    }
    const cs = this.clientStatementOf(payload);
    if (cs === undefined) {
      if (payload[0] === COM_STMT_SEND_LONG_DATA) return false; // no response, as the server does
      this.writeErrPacket(
        1243,
        'HY000',
        `Unknown prepared statement handler (${payload.readUInt32LE(1)}) given to ${SERVER_FUNCTION_OF[payload[0]!]}`,
        this.answerSeq,
      );
      return false;
    }
    if (payload[0] === COM_STMT_RESET) cs.longDataError = undefined;
    // The server keeps the types an execute binds even when the execute then fails; the
    // client's next execute relies on them whether or not this one reaches a backend.
    if (payload[0] === COM_STMT_EXECUTE) rememberBoundTypes(payload, cs);
    else if (payload[0] === COM_STMT_BULK_EXECUTE) rememberBulkTypes(payload, cs);
    if (
      (payload[0] === COM_STMT_EXECUTE || payload[0] === COM_STMT_BULK_EXECUTE) &&
      cs.longDataError !== undefined
    ) {
      this.failLongData(cs, cs.longDataError);
      return false;
    }
    if (payload[0] === COM_STMT_RESET && this.backend === undefined) {
      // Nothing of it lives on a backend (no long data, no cursor): the reset is a no-op.
      this.writeOk(this.answerSeq);
      return false;
    }
    if (payload[0] === COM_STMT_FETCH && this.backend === undefined) {
      this.writeErrPacket(1421, 'HY000', `The statement (${cs.id}) has no open cursor`, this.answerSeq);
      return false;
    }
    this.executing = { cs };
    if (payload[0] === COM_STMT_EXECUTE) {
      const traits = cs.traits;
      this.traits = traits;
      if (traits & Trait.ViewDdl) this.core.views.invalidate();
      // Without a cursor, with no long data waiting, in the schema and parse settings it was
      // prepared in (a backend that lacks it is switched to those for its prepare, which a
      // connection others' reads are stacked on must not be), and reading no view that hides
      // a write.
      this.pureRead =
        (traits & Trait.PureRead) !== 0 &&
        payload.length > 5 &&
        payload[5] === 0 &&
        !this.statements.longData.has(cs.id) &&
        cs.schema === this.state.schema &&
        cs.vars === this.parseVariables() &&
        !this.readsImpureView(cs);
    } else if (payload[0] === COM_STMT_BULK_EXECUTE) {
      // A statement once a row (INSERT, UPDATE, DELETE, REPLACE): never a pure read.
      this.traits = cs.traits;
    }
    this.pending = payload[0] === COM_STMT_FETCH ? Pending.Fetch : Pending.Execute;
    return true;
  }

  /**
   * Whether the statement may set the connection's insert id with no OK to say so: a CALL
   * (its OK reports none, whatever the procedure inserted) or an INSERT / REPLACE … RETURNING
   * (rows, not an OK) — a text or an execute, not a prepare. The connection is given the
   * client's id first (a CALL that inserts nothing, an insert of explicit ids, leave it so), and
   * counts as holding the client's after. Decided once per command (per statement for executes).
   */
  private mayInsertUnreported(): boolean {
    if (this.insertUnreported !== undefined) return this.insertUnreported;
    let may = false;
    if (this.command === COM_QUERY || this.runsPrepared) {
      if (this.traits & Trait.Call) may = true;
      else if (!(this.traits & (Trait.PureRead | Trait.ReadsInsertId))) {
        const cs = this.executing?.cs;
        if (cs !== undefined) {
          cs.insertsUnreported ??= insertsWithRows(this.reader, this.statementText());
          may = cs.insertsUnreported;
        } else may = insertsWithRows(this.reader, this.statementText());
      }
    }
    this.insertUnreported = may;
    return may;
  }

  /** Whether the text is one XA COMMIT, XA ROLLBACK or XA RECOVER, nothing after it. */
  private endsXa(): boolean {
    const text = this.statementText();
    return XA_WITHOUT_BRANCH_AFTER.test(text) && !MORE_STATEMENTS.test(text);
  }

  /** Whether a prepared statement may read an impure view (cached until the list changes). */
  private readsImpureView(cs: ClientStatement): boolean {
    const views = this.core.views;
    if (cs.viewsVersion !== views.version) {
      cs.readsImpureView = views.mayReadImpureView(
        cs.preparePayload.toString('latin1', 1),
        cs.schema,
        this.clientCharset(),
      );
      cs.viewsVersion = views.version;
    }
    return cs.readsImpureView;
  }

  private runStatementCommand(b: BackendConnection): void {
    const cs = this.executing!.cs;
    // Long data or a cursor lives on the backend statement it was sent to: that one, whatever
    // the client's settings are now.
    const held = this.statements.holds(cs.id);
    let key = held ? cs.backendKey : cs.key;
    let bs = b.statements.get(key);
    if (bs === undefined && held) {
      this.sendBackendError(
        1105,
        'HY000',
        "Proxy: the statement's long data or cursor is gone with its backend statement",
      );
      return;
    }
    if (!held && this.statements.heldByAnother(key, cs.id)) {
      // Another statement of this client, of the same SQL, has its cursor or long data on that
      // backend statement: running this one there would close or take them. It gets its own.
      key = privateStatementKey(key, this.id, cs.id);
      bs = b.statements.get(key);
    }
    if (!held) cs.backendKey = key;
    if (bs === undefined) {
      // Prepared elsewhere (or evicted here): prepare it on this backend first, in the schema
      // it was prepared in; the next statement's sync puts the client's schema back.
      if (cs.schema !== null && b.state.schema !== cs.schema) {
        b.initDb(cs.schema, true, (err, t) => {
          if (err !== null) return this.retryOrFail(err);
          if (t.error !== undefined) {
            // The connection may be left reading utf8mb4 (its state says so): the client's next
            // statement syncs it again.
            b.stateVersion = -1;
            this.failOnTheWay(b);
            return;
          }
          b.state.setSchema(cs.schema);
          b.stateVersion = -1;
          this.runStatementCommand(b);
        });
        return;
      }
      if (this.parsesOtherwise(b, cs.vars)) {
        // The client changed sql_mode or its character set since it prepared the statement:
        // prepared under those of its PREPARE, it reads as the server that first prepared it
        // reads it (ANSI_QUOTES, PIPES_AS_CONCAT…), and is the statement other clients with
        // those settings look up.
        this.switchParseSettings(b, cs.vars, () => this.runStatementCommand(b));
        return;
      }
      this.core.counters.reprepares++;
      const attempt = this.attempt;
      const onShared = this.onShared;
      const onPrepared: InternalCallback = (err, t) => {
        if (attempt !== this.attempt || this.backend !== b || this.closed) {
          // The execute went elsewhere meanwhile: keep the statement for whoever comes next.
          if (err === null && t.error === undefined && t.prepared !== undefined)
            this.rememberBackendStatement(
              b,
              key,
              t.prepared.statementId,
              t.prepared.params,
              t.prepared.columns,
            );
          return;
        }
        if (err !== null) return this.retryOrFail(err);
        if (t.error !== undefined) {
          this.failOnTheWay(b);
          return;
        }
        if (t.prepared === undefined) {
          this.sendBackendError(1105, 'HY000', 'Proxy: the prepare answered no statement');
          return;
        }
        this.rememberBackendStatement(b, key, t.prepared.statementId, t.prepared.params, t.prepared.columns);
        this.runStatementCommand(b);
      };
      // On a shared connection the prepare waits its turn behind others' reads (it changes
      // no session state), and goes elsewhere with the execute if they are diverted.
      b.command(cs.preparePayload, onPrepared, onShared ? this : undefined);
      return;
    }
    if (b.stateVersion === -1 && this.parsesOtherwise(b, this.parseVariables())) {
      // Switched to the statement's parse settings for its prepare: it runs under the client's
      // (a server runs an execute under the session's strictness, time zone…).
      this.switchParseSettings(b, this.parseVariables(), () => this.runStatementCommand(b));
      return;
    }
    // Keep the cache in LRU order.
    b.statements.delete(key);
    b.statements.set(key, bs);
    let payload = this.payload;
    const cmd = payload[0]!;
    if (cmd === COM_STMT_EXECUTE) payload = bindTypes(payload, cs, bs);
    else if (cmd === COM_STMT_BULK_EXECUTE) {
      if (!b.takesBulkExecute) {
        // A server reached after the greeting offered it, that does not take it.
        this.sendBackendError(
          ER_UNKNOWN_COM_ERROR,
          '08S01',
          `Proxy: backend ${b.server.name} does not take COM_STMT_BULK_EXECUTE; send one COM_STMT_EXECUTE a row`,
        );
        return;
      }
      payload = bindBulkTypes(payload, cs, bs);
    }
    // The client's own frame when nothing but the id changes (patched in place below).
    const framed =
      payload === this.payload && this.frame !== undefined ? this.frame : encodeFrames(payload, 0);
    framed.writeUInt32LE(bs.id, 5); // header (4) + command byte (1)
    const cursor = cmd === COM_STMT_EXECUTE && payload.length > 5 && payload[5] !== 0;
    this.sentToBackend = true;
    if (cmd === COM_STMT_EXECUTE || cmd === COM_STMT_BULK_EXECUTE) this.results.runsOn(b, this.replaying);
    if (!b.forward(cmd, framed, this, cursor)) {
      // SEND_LONG_DATA: no response; the data waits on this backend for the execute.
      if (this.pins === 0) this.results.foreignDiagnostics = true;
      this.statements.longData.add(cs.id);
      this.afterLongData(b);
    } else if (this.pureRead) {
      this.shareBackend(b);
    }
  }

  /**
   * Whether `b` parses under other settings than `settings`. It has the client's state, unless
   * switched away for a re-prepare (its stateVersion -1 then, its state what it holds).
   */
  private parsesOtherwise(b: BackendConnection, settings: string): boolean {
    const now = b.stateVersion === -1 ? parseSettingsOf(b.state) : this.parseVariables();
    return now !== settings;
  }

  /**
   * Sets `b`'s parse settings (sql_mode, character sets, collation) to `settings`, the rest of
   * its state kept, then goes on. The connection is nobody's state from then on: the next
   * statement syncs it, as after a re-prepare in the statement's own schema.
   */
  private switchParseSettings(b: BackendConnection, settings: string, then: () => void): void {
    const target = withParseSettings(b.state, settings);
    const set = planStateSync(b.state, target, b.baseline).setStatement;
    b.stateOwner = undefined;
    b.stateVersion = -1;
    if (set === undefined) {
      b.state.copyFrom(target);
      then();
      return;
    }
    this.core.counters.stateSyncs++;
    b.query(set, undefined, (err, t) => {
      if (err !== null) return this.retryOrFail(err);
      if (t.error !== undefined) {
        // A failed SET changes nothing: the connection keeps the state it has.
        this.core.log.warn(
          { client: this.id, sql: set, err: t.error.message },
          'parse settings switch failed',
        );
        this.sendBackendError(
          t.error.errno,
          t.error.sqlState,
          `Proxy: could not set the statement's parse settings: ${t.error.message}`,
        );
        return;
      }
      b.state.copyFrom(target);
      then();
    });
  }

  private rememberBackendStatement(
    b: BackendConnection,
    key: string,
    id: number,
    params: number,
    columns: number,
  ): BackendStatement {
    const bs: BackendStatement = { id, params, columns, boundTypes: undefined };
    const old = b.statements.get(key);
    if (old !== undefined) b.closeStatement(old.id);
    b.statements.set(key, bs);
    if (b.statements.size > this.core.statementCacheSize) {
      // The least recently used, unless this client still has a cursor or long data on it.
      const busy = this.statements.busyBackendKeys();
      for (const [k, old] of b.statements) {
        if (busy.has(k) || k === key) continue;
        b.statements.delete(k);
        b.closeStatement(old.id);
        break;
      }
    }
    return bs;
  }

  private closeStatement(payload: Buffer): void {
    if (payload.length < 5) return;
    const removed = this.statements.remove(this.statements.idIn(payload));
    // The backend statement stays cached for the next client that prepares the same SQL; a
    // cursor or long data of this statement ends with it (closing it on the backend too).
    if (removed?.held) {
      this.dropHeldStatement(removed.cs);
      if (!this.busy) this.releaseIfFree();
    }
  }

  /**
   * A statement's cursor or long data is over: the backend statement holding it is closed (and
   * prepared again when next needed), and the pins follow.
   */
  private dropHeldStatement(cs: ClientStatement): void {
    const b = this.backend;
    const bs = b?.statements.get(cs.backendKey);
    if (b !== undefined && bs !== undefined) {
      b.statements.delete(cs.backendKey);
      b.closeStatement(bs.id);
    }
    this.pins = this.statements.pinsWith(this.pins);
  }

  /**
   * The execute after long data that was lost or refused: it gets that error, and what long data
   * did reach a backend goes with the backend statement (prepared again when next needed).
   */
  private failLongData(cs: ClientStatement, error: NonNullable<ClientStatement['longDataError']>): void {
    cs.longDataError = undefined;
    if (this.statements.longData.delete(cs.id)) this.dropHeldStatement(cs);
    // Counted in `errors` when it was met (the refusal or the loss).
    this.writeErrPacket(error.errno, error.sqlState, error.message, this.answerSeq);
    this.releaseIfFree();
  }

  // ---------------------------------------------------------------------------------------------
  // Responses

  get readsSessionState(): boolean {
    return (this.capabilities & CLIENT_SESSION_TRACK) !== 0;
  }

  onResponseData(chunk: Buffer, start: number, end: number): boolean {
    if (this.replaying) return false;
    this.upload.serverAnswering();
    const part = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
    if (this.capture !== undefined) {
      // Kept back (a prepare's answer, rewritten before it goes out): the client has nothing
      // yet, so an error in its place starts at sequence 1.
      this.capture.push(Buffer.from(part));
      return false;
    }
    this.respondedBytes += end - start;
    if (!this.conn.write(part)) {
      // A client that reads slowly slows its backend down instead of filling the proxy's memory.
      if (this.backend !== undefined) this.output.pause(this.backend);
    }
    // The socket holds `part` until the kernel takes the rest of it: the backend's memory stays.
    return this.conn.writableLength > 0;
  }

  onAwaitingClient(conn: BackendConnection): void {
    this.upload.requested(conn.tracker.lastSequenceId);
    // Packets that arrived while the request was on its way belong to the file.
    let flowing = true;
    while (this.upload.sending && this.queue.length > 0) {
      const p = this.queue.shift()!;
      if (p.refusal !== undefined) {
        // The file is cut short by input that cannot be read: MariaDB fails the LOAD with that
        // error and closes. The backend, closed mid-file, aborts the statement: nothing of the
        // file is applied, as at MariaDB.
        this.fatal(p.refusal.code, p.refusal.args);
        return;
      }
      flowing = this.forwardInfile(p.payload, p.sequenceId);
    }
    // Input paused by a full queue takes the rest of the file from the socket.
    if (flowing) this.queue.resumeIfRoom();
  }

  onResponseEnd(conn: BackendConnection): void {
    if (this.upload.sending) {
      // The server answered before the file's end: it refused the file (a packet out of
      // sequence, one over its max_allowed_packet) and closes, as MariaDB then closes the
      // client's connection. Its answer went out; the rest of the file has nowhere to go.
      this.upload.cutShort();
      this.core.counters.errors++;
      conn.broken = true;
      this.close();
      return;
    }
    if (this.pending === Pending.Prepare) this.finishPrepare(conn);
    else if (this.capture !== undefined) {
      const bytes = Buffer.concat(this.capture);
      this.capture = undefined;
      markResponseInTransaction(bytes);
      this.conn.write(bytes);
    }
    this.afterResponse(conn);
  }

  /**
   * Backend statements are shared by every client of a flavour: the key holds, beside the text,
   * what changes how the server parses it (default schema, sql_mode — ANSI_QUOTES turns a
   * string into a name — and the connection's character set and collation).
   */
  private statementKey(sql: string): string {
    return statementKey(this.state.schema, this.parseVariables(), sql);
  }

  /** sql_mode, the client's character sets and collation as it has them (cached per state version). */
  private parseVariables(): string {
    if (this.parseVariablesVersion !== this.state.version) {
      this.parseVariablesText = parseSettingsOf(this.state);
      this.parseVariablesVersion = this.state.version;
    }
    return this.parseVariablesText;
  }

  private parseVariablesText = '';
  private parseVariablesVersion = -1;

  private finishPrepare(conn: BackendConnection): void {
    const bytes = Buffer.concat(this.capture!);
    this.capture = undefined;
    const t = conn.tracker;
    if (t.prepared !== undefined && t.error === undefined) {
      // One character a byte: texts that differ only in bytes that are not UTF-8 (a latin1
      // client's é and è) must not share a key — decoded as UTF-8 both read U+FFFD.
      const sql = this.payload.toString('latin1', 1);
      const key = this.statementKey(sql);
      const id = this.statements.nextFreeId();
      // Filed under the shared key it would replace the statement another of this client's
      // statements keeps a cursor or long data on (and close it on the server).
      const backendKey = this.statements.heldByAnother(key, id) ? privateStatementKey(key, this.id, id) : key;
      this.rememberBackendStatement(
        conn,
        backendKey,
        t.prepared.statementId,
        t.prepared.params,
        t.prepared.columns,
      );
      const traits = this.prepareTraits;
      this.statements.add(id, backendKey, {
        key,
        vars: this.parseVariables(),
        preparePayload: Buffer.from(this.payload),
        params: t.prepared.params,
        types: undefined,
        traits,
        boundary: traits === Trait.TransactionControl ? transactionBoundary(sql) : undefined,
        schema: this.state.schema,
        readsImpureView: true,
        viewsVersion: -1,
      });
      bytes.writeUInt32LE(id, 5);
    }
    // The prepare ran outside the transaction the proxy said BEGIN opened: the EOFs it sends
    // say so too (C clients take their server status from them).
    if (
      (this.lazyBegin === 'pending' || this.rolledBackInTransaction) &&
      !(this.capabilities & CLIENT_DEPRECATE_EOF)
    )
      markEofsInTransaction(bytes);
    this.conn.write(bytes);
  }

  /** After a response: learn the session's new state, decide pins, release or keep the backend. */
  private afterResponse(b: BackendConnection): void {
    this.output.resumeBackend();
    const t = b.tracker;
    const traits = this.traits;
    const failed = t.error !== undefined;
    // ERR packets sent to clients: a replay's answer goes to nobody.
    if (failed && !this.replaying) this.core.counters.errors++;
    if (this.results.anyForeign) this.results.after(t, this.ranSelect);
    if (
      !failed &&
      this.endingSql !== undefined &&
      this.reader.releasesSession(this.endingSql, this.completionType(b))
    ) {
      // The server ends this session after the OK (COMMIT RELEASE, completion_type=RELEASE):
      // so does the proxy, and the closing connection goes to nobody else.
      this.dropBackend(b);
      this.close();
      return;
    }
    if (traits & Trait.ViewDdl) this.core.viewsChanged();
    if (this.onShared) {
      this.onShared = false;
      // A read that opened a transaction (sessions that start with autocommit off: the global,
      // init_connect) changed the session too: its snapshot must not serve everyone after it.
      if (
        t.sessionState === undefined &&
        (t.statusFlags & AUTOCOMMIT_NOT_IN_TRANS) === SERVER_STATUS_AUTOCOMMIT
      ) {
        // The common case: nothing to learn, nothing held. The connection goes back to the
        // pool by itself when its last response ends.
        this.reader.answered(t.statusFlags);
        this.readHistory.remember(this.payload, this.executing?.cs);
        this.backend = undefined;
        this.releaseLease();
        this.finishCommand();
        return;
      }
      // The read changed the session after all: what ran behind it ran in that state, so it
      // runs again elsewhere; this client holds the connection from here on, like any other
      // (a transaction the read opened pins it below).
      this.core.pool.unshare(b);
      b.divert(true); // this read's entry is gone: the head is the next one
    }
    // Results of the previous statement were held for this one; this one's results replace them
    // — unless it ran no statement (keepsPreviousStatement).
    let pins =
      this.pending === Pending.Prepare || keepsPreviousStatement(this.command)
        ? this.pins
        : this.pins & ~PIN_UNTIL_NEXT_STATEMENT;

    // `SET @@profiling = 1` with no scope word is not reported (it pins as unreplayable): the
    // text says the connection keeps a history.
    if (traits & Trait.Unreplayable && KEEPS_HISTORY.test(this.statementText())) b.keepsHistory = true;
    const s = t.sessionState;
    if (s !== undefined) {
      if (s.schema !== undefined) {
        // An empty name: the session's schema was dropped (DROP DATABASE of its own), and the
        // session has none now — nor may a login name it.
        if (s.schema === '' && this.state.schema !== null)
          this.core.knownSchemas.forget(this.flavour!.user, this.state.schema);
        const schema = s.schema === '' ? null : s.schema;
        this.state.setSchema(schema);
        b.state.setSchema(schema);
      }
      let charsetChanged = false;
      let collationReported = false;
      let resultsReported = false;
      const scoped =
        (traits & Trait.Set) !== 0 && (s.systemVariables.length > 0 || s.unexplainedChange)
          ? this.statementScoped()
          : undefined;
      for (const v of s.systemVariables) {
        if (v.name === 'profiling' || v.name === 'optimizer_trace') b.keepsHistory = true;
        if (scoped?.names.has(v.name)) {
          // A `SET STATEMENT … FOR` statement's own value: the server has put the session's back.
          if (scoped.alone) continue;
          // Beside other statements it may be a plain SET's too, which the report does not tell.
          pins |= PIN_BIT.unreplayable_variable;
          continue;
        }
        if (!isReplayable(v.name)) {
          pins |= PIN_BIT.unreplayable_variable;
          continue;
        }
        this.state.setVariable(v.name, v.value);
        b.state.setVariable(v.name, v.value);
        if (v.name === 'character_set_connection') charsetChanged = true;
        else if (v.name === 'collation_connection') collationReported = true;
        else if (v.name === 'character_set_results') resultsReported = true;
      }
      const learnCollation = charsetChanged && !collationReported;
      if (learnCollation || resultsReported) {
        const statement = this.charsetStatement();
        if (learnCollation) this.learnCollation(b, statement);
        if (resultsReported) this.learnResultsCollation(b, statement);
      }
      // A change no variable or schema of its statement explains (the tracker tells, per OK:
      // `SET time_zone = …; SET ROLE r` is explained by nothing for the ROLE); and a procedure
      // may change a variable and leave a user variable or temporary table behind.
      // Only a pin that lasts for the rest of the session covers such a change: one that ends
      // (LOCK TABLES, GET_LOCK) would hand on what else the statement changed — a stored
      // function's `SET @v` beside a GET_LOCK — once it is released.
      // An execute of a statement prepared in another schema than the session's runs in that
      // one and switches back: for a pure read that is all the flag of a classic EOF says.
      const schemaSwitch =
        this.runsPrepared &&
        this.executing !== undefined &&
        this.executing.cs.schema !== this.state.schema &&
        (traits & Trait.PureRead) !== 0;
      // A classic EOF names no variable: after `SET STATEMENT … FOR` a pure read of no table,
      // the flag is the statement's own values, which the server has put back. One that names
      // a table may read a view whose function changed the session, and the proxy may not know
      // that view yet (see view_check_interval): the flag is all it has, so that one pins.
      const scopedRead =
        scoped?.statementAt !== undefined &&
        this.reader.readsNoTable(this.statementText().slice(scoped.statementAt));
      if (
        s.stateChanged === true &&
        ((s.unexplainedChange && !schemaSwitch && !scopedRead) || traits & Trait.Call)
      ) {
        const lasting = Trait.UserVariable | Trait.TemporaryTable | Trait.SqlPrepare | Trait.Handler;
        if (traits & Trait.Call || !(traits & lasting)) pins |= PIN_BIT.session_state;
      }
    }
    if (this.command === COM_SET_OPTION && !failed) {
      this.applyMultiStatements(this.payload.readUInt16LE(1) === 0);
      // The connection now is one of the client's new flavour (same user and character set,
      // the flag the server now has): pooled with those from here on.
      b.flavour = this.flavour!;
    }
    if (this.pending === Pending.InitDb && !failed) {
      const schema = this.payload.toString(this.clientEncoding(), 1);
      this.state.setSchema(schema);
      b.state.setSchema(schema);
    }
    if (traits & Trait.Use && !b.tracksSession && this.command === COM_QUERY) {
      // A USE forwarded in a multi-statement text (or in a form not taken apart) on a connection
      // that reports no session state: every statement of a text that succeeded ran, so the
      // last USE names the schema. Of one that failed, which ran is unknown: the connection is
      // put back to the recorded schema when it is reset.
      const schema = failed ? undefined : lastUseSchema(this.payload.toString(this.clientEncoding(), 1));
      if (schema !== undefined) {
        this.state.setSchema(schema);
        b.state.setSchema(schema);
      } else b.schemaUnknown = true;
    }
    this.claimState(b);

    // The status flags say whether a transaction is open (see pinsAfterStatement).
    const status = t.statusFlags;
    this.reader.answered(status);
    const hadXa = (pins & PIN_BIT.xa) !== 0;
    pins = pinsAfterStatement(
      pins,
      traits,
      status,
      t.error?.errno,
      b.tracksSession,
      // A procedure or compound statement may take a savepoint its text does not show.
      this.endingSql !== undefined
        ? this.reader.savepointEffect(this.endingSql)
        : traits & Trait.Call
          ? 'takes'
          : undefined,
    );
    if (traits & Trait.Xa && pins & PIN_BIT.xa && this.endsXa()) {
      // XA COMMIT / ROLLBACK leave the session without a branch (one that succeeded: a session
      // cannot end another's while it has its own), XA RECOVER never had one: the connection
      // may go back to the pool instead of closing with its client.
      if (!failed || !hadXa) pins &= ~PIN_BIT.xa;
    }
    if (traits & Trait.Xa) b.holdsXaBranch = (pins & PIN_BIT.xa) !== 0;
    if (!failed) {
      if (traits & Trait.NextTransaction) {
        pins |= PIN_BIT.next_transaction;
        this.nextTransactionBegun = false;
      } else if (pins & PIN_BIT.next_transaction) {
        // The characteristics apply to one transaction: the pin ends once it has come and gone.
        if (status & SERVER_STATUS_IN_TRANS) this.nextTransactionBegun = true;
        else if (this.nextTransactionBegun) pins &= ~PIN_BIT.next_transaction;
      }
    }
    // Results only this backend can answer for: warnings (of any statement of a batch: MariaDB
    // keeps them past statements that read no table), errors (SHOW ERRORS, GET DIAGNOSTICS),
    // FOUND_ROWS, ROW_COUNT, LAST_INSERT_ID. Those of a pure read are not held: it is run
    // again for the statement that asks about them. Nor are those of one other SELECT (a
    // stored function, SLEEP, a locking read, SHOW): holding every such client's connection
    // for result_hold would cost concentration, for a FOUND_ROWS() without SQL_CALC_FOUND_ROWS
    // few ask. Those of a batch or a CALL, whose counts nothing else reproduces, are held.
    // An insert id may be left with no OK to report it (see mayInsertUnreported): the
    // connection has the client's, which the proxy does not know: held like the others, a
    // LAST_INSERT_ID() next reads it there.
    const unreportedInsertId = !failed && t.lastInsertId === 0 && this.mayInsertUnreported();
    if (
      failed ||
      t.warningsSeen ||
      ((t.resultSets > 1 || traits & Trait.Call) && pins === 0) ||
      traits & Trait.CalcFoundRows ||
      t.affectedRows > 0 ||
      t.lastInsertId > 0 ||
      unreportedInsertId ||
      this.replaying ||
      // Still there from an earlier statement (a CALL in a transaction now committed).
      this.results.holdsUnreported(b)
    ) {
      pins |= PIN_BIT.previous_result;
    }
    if (unreportedInsertId) this.results.ranUnreported(b);
    else this.results.ranOn(b, t.lastInsertId, t.lastInsertIdText);
    // Cursors and long data belong to one statement each.
    const id = this.executing?.cs.id;
    if (id !== undefined) this.statements.answered(this.command, id, status, failed);
    pins = this.statements.pinsWith(pins);

    this.setPins(pins);
    if (b.broken) {
      // Out of step with the server (bytes after the response): it cannot be reused, and a
      // session whose state lived there has lost it. Results held for the next statement
      // (warnings, errors, ROW_COUNT) just go with it: no reason to close the client.
      this.dropBackend(b);
      this.pins &= ~PIN_UNTIL_NEXT_STATEMENT;
      if (this.pins !== 0) {
        this.closeAfterLostState();
        return;
      }
      this.releaseLease();
    } else {
      this.releaseIfFree();
    }
    this.finishCommand();
  }

  /**
   * After long data reached `b`. It has no response: the backend's tracker still holds the one
   * before it — maybe another client's, with its insert id — so nothing is read from it.
   */
  private afterLongData(b: BackendConnection): void {
    this.claimState(b);
    this.setPins(this.statements.pinsWith(this.pins));
    this.releaseIfFree();
    this.finishCommand();
  }

  /**
   * A new connection character set came without its collation: MariaDB does not report the
   * collation `SET NAMES cs COLLATE c` sets (what Laravel and others send first), nor the
   * default one a plain `SET NAMES cs` goes back to. Replaying only the character set lost the
   * collation on the next backend.
   */
  private learnCollation(b: BackendConnection, statement: CharsetStatement): void {
    const charset = this.state.variables.get('character_set_connection');
    const collation = collationLeftBy(statement, charset);
    if (collation !== undefined) {
      this.state.setVariable('collation_connection', collation);
      b.state.setVariable('collation_connection', collation);
    } else {
      // The character set's default collation: what setting the character set gives.
      this.state.deleteVariable('collation_connection');
      b.state.deleteVariable('collation_connection');
    }
  }

  /**
   * `character_set_results` was set: by `SET NAMES` (it has the connection's collation) or by
   * name (that set's default collation, which result metadata then reports) — whichever of
   * them the statement's text sets last. See RESULTS_BY_NAME.
   */
  private learnResultsCollation(b: BackendConnection, statement: CharsetStatement): void {
    if (!resultsSetByName(statement)) {
      this.state.deleteVariable(RESULTS_BY_NAME);
      b.state.deleteVariable(RESULTS_BY_NAME);
    } else {
      this.state.setVariable(RESULTS_BY_NAME, '1');
      b.state.setVariable(RESULTS_BY_NAME, '1');
    }
  }

  /** What the statement just run sets for itself only (`SET STATEMENT … FOR`), if anything. */
  private statementScoped(): StatementScopedVariables | undefined {
    return this.reader.statementScoped(this.statementText());
  }

  /** The text of the statement just run, a byte a character (a prepared one's for an execute). */
  private statementText(): string {
    return this.statementPayload()?.toString('latin1', 1) ?? '';
  }

  /** Whether the command is an execute (one or bulk) of a prepared statement. */
  private get runsPrepared(): boolean {
    return this.command === COM_STMT_EXECUTE || this.command === COM_STMT_BULK_EXECUTE;
  }

  /** The payload of the statement just run: its COM_QUERY, or an execute's COM_STMT_PREPARE. */
  private statementPayload(): Buffer | undefined {
    return this.runsPrepared ? this.executing?.cs.preparePayload : this.payload;
  }

  /** The statement that changed character sets (see charsetStatementOf). */
  private charsetStatement(): CharsetStatement {
    return this.reader.charsetStatement(this.statementPayload());
  }

  /** The client's pins from now on; each reason that begins is counted. */
  private setPins(pins: number): void {
    const began = pins & ~this.pins;
    if (began !== 0) for (const r of pinReasons(began)) this.core.countPin(r);
    this.pins = pins;
  }

  /** After a command ran on `b` in this client's state: `b` holds that state now. */
  private claimState(b: BackendConnection): void {
    if (b.stateVersion === -1 && !b.state.equals(this.state)) {
      // Switched to a statement's own schema to re-prepare it there: the connection is not in
      // the client's state, and the next statement must sync it back.
      b.stateOwner = undefined;
    } else {
      b.stateOwner = this;
      b.stateVersion = this.state.version;
    }
  }

  /** The session's state (transaction, variables…) was on a backend that is gone. */
  private closeAfterLostState(): void {
    this.core.counters.backendLost++;
    this.core.log.warn(
      { client: this.id, pins: pinReasons(this.pins) },
      'backend lost with session state; closing the client',
    );
    this.pins = 0;
    this.releaseLease();
    this.close();
    this.conn.destroy();
  }

  /**
   * Gives the backend and the slot back when nothing pins them — marked as keeping the client's
   * previous results if they are there (see keptResults).
   */
  private releaseIfFree(): void {
    const b = this.backend;
    if (b === undefined || this.status === 'active') return;
    if (this.pins !== 0) {
      if (b.broken) {
        // It died, or can no longer be trusted (a KILL QUERY for it went unanswered and may
        // still land), while this client was busy with something answered here (its own KILL):
        // the notice found it busy and went unheeded.
        this.onHeldBackendLost(b);
        return;
      }
      b.holder = this;
      if (this.pins === PIN_UNTIL_NEXT_STATEMENT && !this.busy && this.holdTimer === undefined) {
        this.holdTimer = setTimeout(this.endHold, this.core.resultHold);
      }
      return;
    }
    this.backend = undefined;
    this.core.pool.release(b, this.keptResults === b ? this.results : undefined);
    this.releaseLease();
  }

  /**
   * Called every so often with the time: closes the client if it has sent nothing, between
   * statements, for `waitTimeout` ms (a server's wait_timeout). A transaction left open that
   * long holds one of N backend connections that every other client needs: closing the client
   * rolls it back (the backend is reset) and gives the connection back.
   * @returns true when it closed the client
   */
  closeIfQuiet(now: number, waitTimeout: number): boolean {
    if (this.closed || this.status !== 'idle' || this.queue.length > 0) return false;
    // Since its last command began or ended: the sweep closes it at most one period late.
    const idleMs = now - this.since;
    if (idleMs < this.ownWaitTimeout(waitTimeout)) return false;
    this.core.log.info(
      { client: this.id, idleMs, pins: pinReasons(this.pins) },
      'client idle past wait_timeout; closing it',
    );
    // As the server behind would: MySQL 8 tells the client why before it closes, an unasked-for
    // ERR drivers report as the reason; MariaDB just closes, and drivers that reconnect on a
    // lost connection (Perl's DBD with auto_reconnect: 2006 / 2013 only) then do so unseen.
    if (!MARIADB_SERVER.test(this.core.serverVersion)) {
      this.writeErrFrames(
        4031,
        'HY000',
        'The client was disconnected by the proxy because of inactivity (wait_timeout).',
        0,
      );
    }
    this.close();
    // A client that went quiet may never close its side either (a leaked connection, a stuck
    // worker): after a grace to read the ERR, the socket goes, and its place with it.
    this.conn.close();
    return true;
  }

  /**
   * The client's own `wait_timeout` (`SET SESSION wait_timeout = n`, seconds) if it set one, as a
   * server keeps it per session — longer (a batch job with long pauses) or shorter than the
   * proxy's option (in ms), which applies otherwise.
   */
  private ownWaitTimeout(waitTimeout: number): number {
    const own = this.state.variables.get('wait_timeout');
    return own !== undefined && /^\d+$/.test(own) ? Number(own) * 1000 : waitTimeout;
  }

  /**
   * Called every so often with the time: closes the client if a backend (see onResponseData)
   * or its next commands (see ClientOutput.reading) have waited on its full socket for
   * `netWriteTimeout` ms with none of the answers taken — a server's net_write_timeout. A client
   * that stops reading a result would otherwise hold that backend connection, and everything
   * stacked behind it, for as long as it stays connected.
   * @returns true when it closed the client
   */
  closeIfStuck(now: number, netWriteTimeout: number): boolean {
    // A backend waits on its socket, or commands wait for it to read their answers.
    if (this.closed) return false;
    const stuckMs = this.output.stuckFor(now);
    if (stuckMs < netWriteTimeout) return false;
    this.core.log.warn(
      { client: this.id, stuckMs, pins: pinReasons(this.pins) },
      'client took none of its result for net_write_timeout; closing it',
    );
    // It reads nothing, so an ERR would never be seen: the connection just goes, as a server's.
    this.close();
    this.conn.destroy();
    return true;
  }

  /**
   * The connection this client keeps between statements died (or can no longer be trusted)
   * while it was quiet. Results held for its next statement just go; a session that lived there
   * (a transaction, variables, locks…) is gone, and the client connection is closed, as a
   * server's would be — not left to run its next statements outside the transaction it believes
   * open, nor to hold a place until it speaks again.
   */
  onHeldBackendLost(conn: BackendConnection): void {
    if (this.backend !== conn || this.closed || this.busy) return;
    this.backend = undefined;
    this.core.pool.discard(conn); // closed already, or not to be trusted
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if ((this.pins & ~PIN_UNTIL_NEXT_STATEMENT) !== 0) {
      this.core.counters.backendLost++;
      this.core.log.warn(
        { client: this.id, pins: pinReasons(this.pins) },
        'backend lost with session state while the client was quiet; closing the client',
      );
      this.pins = 0;
      this.close();
      return;
    }
    this.pins = 0;
    this.releaseLease();
  }

  /**
   * The client holds its connection only for its last statement's results (insert id, affected
   * rows, warnings), and the command now in flight does not read them. Commands that run no
   * statement keep them for the one after, as the server does; replays belong to another command.
   */
  private heldOnlyForUnreadResults(): boolean {
    return (
      this.pins === PIN_UNTIL_NEXT_STATEMENT &&
      this.lazyBegin === 'none' &&
      !this.replaying &&
      // A routine (CALL, a compound statement) reads them as its first statements would.
      (this.traits & (Trait.ReadsPreviousResult | Trait.Call)) === 0 &&
      !keepsPreviousStatement(this.command)
    );
  }

  /**
   * A client that went quiet after a statement whose results only its backend holds lets the
   * backend go after `result_hold`: other clients need it more than a FOUND_ROWS() that may
   * never come.
   */
  private readonly endHold = (): void => {
    this.holdTimer = undefined;
    if (this.busy || this.closed) return;
    this.pins &= ~PIN_UNTIL_NEXT_STATEMENT;
    if (this.pins === 0) this.keptResults = this.backend;
    this.releaseIfFree();
  };

  private releaseLease(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }

  private finishCommand(): void {
    // A KILL that came during a replayed read is for the statement the replay is for.
    if (!this.replaying) this.interruptPending = false;
    this.replaying = false;
    this.replayStatement = undefined;
    this.reclaim = undefined;
    this.pending = Pending.None;
    this.executing = undefined;
    this.busy = false;
    this.since = Date.now();
    if (this.status === 'active' || this.status === 'waiting') this.status = 'idle';
    this.releaseIfFree();
    this.runQueued();
  }

  /** Runs the commands that wait behind the one that just finished, while the client reads. */
  private runQueued(): void {
    // A command answered at once (SELECT CONNECTION_ID()) finishes inside this loop's dispatch
    // and calls back here: the loop takes the next one, instead of a call a command deeper
    // until the stack runs out (thousands pipelined in one read).
    if (this.runningQueued) return;
    this.runningQueued = true;
    try {
      this.runQueuedCommands();
    } finally {
      this.runningQueued = false;
    }
    this.queue.resumeIfRoom();
    if (!this.busy) this.core.clientIdle();
  }

  private runQueuedCommands(): void {
    while (
      !this.busy &&
      !this.heldForCheck &&
      !this.closed &&
      this.queue.length > 0 &&
      this.output.reading()
    ) {
      const next = this.queue.shift()!;
      if (next.refusal !== undefined)
        this.fatal(next.refusal.code, next.refusal.args, next.refusal.sequenceId);
      // A change of user waits for its client's answer to an auth switch: the next packet is
      // read as that answer, as MariaDB reads it (a command sent instead is no command).
      else if (this.handshake !== undefined) this.onHandshakePacket(next.payload, next.sequenceId);
      // Out of sequence, and not taken as a file: read as a command, as MariaDB reads it.
      else if (next.sequenceId !== 0) this.fatal(ProxyError.packetsOutOfOrder, []);
      else this.dispatch(next.payload, next.frame, next.replay, next.statement);
    }
  }

  onBackendError(conn: BackendConnection, err: Error): void {
    this.retryOrFail(err, conn);
  }

  /**
   * A fault of the proxy's own (a bug) met while this client's response was handled: what it
   * left undone of the session's bookkeeping is unknown, so the client ends — ERR 1105 after the
   * whole packets it already has, where a server's own mid-result error stands — and only it;
   * its backend is dropped or given back as close() decides.
   */
  onFault(conn: BackendConnection, err: unknown): void {
    // Only while it is this client's alone: one it gave back may be another client's by now.
    if (this.backend === conn && !this.onShared) conn.broken = true;
    if (this.closed) return;
    this.core.log.error(
      { client: this.id, server: this.backend?.server.name, err },
      "internal error handling a server's answer; closing that client",
    );
    const code = ProxyError.internal;
    this.writeErrFrames(code.code, code.sqlState, formatProxyError(code), this.responseSequence());
    this.conn.end();
    this.close();
  }

  /**
   * The backend failed. Before any byte of the client's response went out, and for anything but
   * a statement inside a pinned session, the command is retried on another connection; once a
   * response began — or the session's state lived on that backend — the client gets ERR 9005 and
   * nothing is replayed.
   */
  private retryOrFail(err: Error, conn: BackendConnection | undefined = this.backend): void {
    // Decided before the backend is dropped: where the client's response stands — after the
    // client's last packet if it sent a file.
    const sequenceId = this.upload.fileSent ? this.upload.nextSequenceId : this.responseSequence();
    // A text that ends the session (`COMMIT RELEASE; DO 0`: the server closes after the COMMIT,
    // running nothing more) whose backend closed: the client's connection closes too, with no
    // ERR, as the server's would.
    const released =
      this.sentToBackend &&
      conn !== undefined &&
      this.endingSql !== undefined &&
      this.reader.releasesSession(this.endingSql, this.completionType(conn));
    if (conn !== undefined) this.dropBackend(conn);
    if (this.closed) return;
    if (released) {
      this.close();
      return;
    }
    // The previous statement's results, held for this one, are nothing it needs unless it reads
    // them (ROW_COUNT(), SHOW WARNINGS…): only then does their loss keep it from running elsewhere.
    const wasPinned =
      (this.pins & ~PIN_UNTIL_NEXT_STATEMENT) !== 0 ||
      ((this.pins & PIN_UNTIL_NEXT_STATEMENT) !== 0 && (this.traits & Trait.ReadsPreviousResult) !== 0);
    // A lazy BEGIN sent there is gone with it: a retry opens the transaction again.
    if (this.lazyBegin === 'sent') this.lazyBegin = 'pending';
    // A pure read may run again even though it was sent, as long as none of its answer went out.
    const unsent = !this.sentToBackend || (this.wasPureRead && this.respondedBytes === 0);
    if (unsent && !wasPinned && this.retryElsewhere()) return;
    this.core.counters.backendLost++;
    this.upload.backendLost();
    this.capture = undefined;
    // An ERR ends the response: the backend forwards whole packets only, so it follows whole
    // rows, as a server's own mid-result error does.
    const lostState = this.pins & ~PIN_UNTIL_NEXT_STATEMENT;
    if (lostState !== 0) {
      // A transaction or other state that lived on the backend is gone with it: going on would
      // run the client's next statements outside the transaction it believes open.
      // A statement that went out may have run before the connection died — a COMMIT (or
      // anything that commits: DDL, autocommit on) may have been applied. Told so, a client
      // does not run again a transaction that is in fact there.
      const text = this.statementText();
      const fate =
        this.sentToBackend &&
        !this.wasPureRead &&
        !this.undoneWithTransaction(text, this.reader.leadingKeyword(text))
          ? 'whether it took effect (with a COMMIT, or a statement that commits, the transaction) is unknown'
          : 'an uncommitted transaction is gone';
      const args = [pinReasons(lostState).join(', '), fate, err.message];
      this.pins = 0;
      if (this.upload.discarding) {
        // Mid-file: answered, and the connection closed, once the client has sent the file's end.
        this.upload.answerAtEnd({ code: ProxyError.sessionLost, args, close: true });
        return;
      }
      this.writeErr(ProxyError.sessionLost, args, sequenceId);
      this.close();
      return;
    }
    if (this.upload.discarding) {
      // Mid-file: the client reads no answer before it has sent the whole file (MariaDB answers
      // after the file too), so the error waits for the file's end.
      this.upload.answerAtEnd({
        code: this.failsTransaction(ProxyError.backendLost),
        args: [err.message],
        close: false,
      });
    } else this.writeErr(this.failsTransaction(ProxyError.backendLost), [err.message], sequenceId);
    this.pins = 0;
    // A lazy BEGIN still pending (its OK never came, or this was a prepare outside it) has
    // nothing in it to lose: the statement failed and, unless it was one that rolls the
    // transaction back (see failsTransaction), the transaction the client was told of stays
    // open and opens on a backend with its next statement — as a server's does after an error.
    this.statements.dropHeld();
    // (Whose diagnostics the next connection holds is read there: see ConnectionBoundResults.)
    this.releaseLease();
    this.finishCommand();
  }

  /**
   * Nothing of the command in flight reached a server: asks for another connection, at most
   * twice per command. False when the retries are used up.
   */
  private retryElsewhere(): boolean {
    if (this.retries >= 2) return false;
    this.retries++;
    this.core.counters.retries++;
    this.reacquire();
    return true;
  }

  private dropBackend(conn: BackendConnection): void {
    if (conn.holder === this) conn.holder = undefined;
    this.output.resumeBackend();
    if (this.backend === conn) this.backend = undefined;
    this.core.pool.discard(conn);
    // The slot stays with this client while it retries; retryOrFail releases it otherwise.
  }

  // ---------------------------------------------------------------------------------------------
  // Session commands answered (mostly) by the proxy

  /**
   * KILL names connection ids, and the proxy's are not the servers': a KILL the server ran
   * from a prepared statement would take a backend thread id — another client's statement, or a
   * pooled connection. Only a plain KILL query is mapped (see kill).
   */
  private refusePreparedKill(): void {
    this.writeErrPacket(
      1295,
      'HY000',
      'Proxy: KILL cannot be prepared (connection ids are the proxy’s); send KILL [CONNECTION | QUERY] <id> as a query',
      this.answerSeq,
    );
  }

  /**
   * KILL names connection ids the proxy handed out in its greetings (mysql2's threadId, JDBC's
   * cancel), never backend ids: forwarded as is it would kill whichever client's statement
   * happens to run on that backend thread. KILL CONNECTION closes that client here; KILL QUERY
   * becomes a KILL QUERY of the backend thread that runs its statement now. Only the user's own
   * connections can be killed, as the server allows without PROCESS/SUPER rights.
   */
  private kill(sql: string): void {
    // Answered here, it is the client's previous statement from now on.
    this.keptResults = undefined;
    const killAfterRead = () => {
      this.busy = false;
      this.kill(sql);
      // Answered at once, outside the loop that runs queued commands: it goes on from here.
      if (!this.busy) this.runQueued();
    };
    if (this.readUnreportedInsertIdFirst(killAfterRead)) return;
    this.endHoldForStatement();
    const target = killStatementTarget(sql);
    if (target === undefined) {
      this.writeErrPacket(
        1235,
        '42000',
        'The proxy supports KILL [CONNECTION | QUERY] <connection id> only, as a statement of its own (not in a multi-statement text)',
        this.answerSeq,
      );
      return;
    }
    const request = { id: target.id, query: target.query, user: this.user?.name ?? '' };
    const owner = this.core.threadOfClient(target.id);
    if (owner === this.core.thread && this.core.findClient(target.id) === this) {
      // Its own connection: KILL CONNECTION ends it, answering the KILL itself as MariaDB does
      // (ER 1927; a driver that reconnects then does not run the KILL again, on the new
      // connection, for 1094); KILL QUERY finds nothing else running.
      if (target.query) this.writeOk(this.answerSeq);
      else {
        this.writeErrPacket(1927, '70100', 'Connection was killed', this.answerSeq);
        this.close();
      }
      return;
    }
    // The thread that serves the connection does the killing (this one, or another event
    // thread, asked); commands queue meanwhile, and a drain waits for it.
    this.busy = true;
    this.status = 'waiting';
    const outcome =
      owner === this.core.thread ? this.core.killHere(request) : this.core.killOnThread(owner, request);
    outcome.then(
      (o) => {
        if (this.closed) return;
        if (o.kind === 'unknown')
          this.writeErrPacket(1094, 'HY000', `Unknown thread id: ${target.id}`, this.answerSeq);
        else if (o.kind === 'failed') {
          this.writeErr(
            ProxyError.backendUnavailable,
            [`KILL QUERY could not be sent: ${o.reason}`],
            this.answerSeq,
          );
        } else this.writeOk(this.answerSeq);
        this.finishCommand();
      },
      (err: Error) => {
        if (this.closed) return;
        this.core.log.warn(
          { client: this.id, target: target.id, thread: owner, err: err.message },
          'KILL on another event thread failed',
        );
        this.writeErrPacket(
          1094,
          'HY000',
          `Unknown thread id: ${target.id} (event thread ${owner}: ${err.message})`,
          this.answerSeq,
        );
        this.finishCommand();
      },
    );
  }

  /**
   * A KILL from another client (of this thread or, through another thread): KILL CONNECTION
   * closes this client; KILL QUERY interrupts its statement — answered here if it has not
   * reached the server, else by a KILL QUERY on another connection to the server it runs on
   * (see BackendPool.killQuery).
   */
  killedBy(query: boolean): Promise<KillOutcome> {
    if (!query) {
      this.killed = true;
      this.close();
      this.conn.destroy();
      return Promise.resolve({ kind: 'done' });
    }
    if (this.interruptIfNotRunning()) return Promise.resolve({ kind: 'done' });
    const b = this.backend;
    // Nothing running: nothing to interrupt.
    if (this.status !== 'active' || b === undefined || b.connectionId === 0)
      return Promise.resolve({ kind: 'done' });
    return new Promise((resolve) =>
      this.killQueryOn(b, (err) =>
        resolve(err === null ? { kind: 'done' } : { kind: 'failed', reason: clientReason(err) }),
      ),
    );
  }

  /** KILL QUERY of what runs on `b`, counted once it went out to the server. */
  private killQueryOn(b: BackendConnection, cb?: (err: Error | null) => void): void {
    const counters = this.core.counters;
    this.core.pool.killQuery(b, (err, sent) => {
      if (sent) counters.killQueriesSent++;
      cb?.(err);
    });
  }

  /**
   * KILL QUERY of a statement the server is not running (yet): the client sent it, so for the
   * client it is running, and it is answered ER 1317 as MariaDB would answer it. False when
   * the statement is running on its backend, where KILL QUERY goes.
   * - Waiting in the tenant's queue: it leaves the queue and never runs.
   * - A read stacked on a shared connection behind others': that backend thread is busy with
   *   someone else's statement, so it is not killed there; this read's response is dropped
   *   (the server may still run it — a pure read changes nothing).
   * - Being prepared on its backend (session state applied, a lazy BEGIN opened, a connection
   *   being made): answered when it would have been sent, instead of being sent.
   * - A read run again for the statement after it (see replay): that statement is the one
   *   interrupted. Long data (no response) is never interrupted.
   */
  interruptIfNotRunning(): boolean {
    // Long data has no response, so nothing may answer it: it goes on, as nothing "runs".
    if (this.command === COM_STMT_SEND_LONG_DATA) return false;
    if (this.ticket !== null) {
      this.ticket.cancel();
      this.ticket = null;
      if (this.replaying) {
        // A read run again only for the statement queued behind it (see replay): that
        // statement is the one the client waits for, and the one interrupted.
        this.queue.dropReplays();
        this.queue.shift();
        this.replaying = false;
        this.replayStatement = undefined;
      }
      this.answerInterrupted();
      return true;
    }
    if (this.replaying) {
      // The replayed read runs on (it changes nothing); the statement after it is answered
      // 1317 when it would be sent (see run).
      this.interruptPending = true;
      return true;
    }
    const b = this.backend;
    if (this.onShared && b !== undefined && !b.isRunning(this)) {
      // The read still runs there when its turn comes: its slot covers it until it ends.
      const lease = this.lease;
      this.lease = undefined;
      b.abandon(this, () => lease?.release());
      // A re-prepare stacked there for an execute (owner this, not abandoned) must not go on
      // with whatever this client runs next when it completes.
      this.attempt++;
      this.backend = undefined;
      this.onShared = false;
      this.answerInterrupted();
      return true;
    }
    if (this.busy && this.status !== 'active' && this.pending !== Pending.None) {
      this.interruptPending = true;
      return true;
    }
    return false;
  }

  /**
   * SHOW [FULL] PROCESSLIST: the user's connections at the proxy, on every event thread, as
   * MariaDB lists a user's own threads — ids KILL takes here, not the servers' (see
   * processlist.ts). `waiting` while the rows are gathered, as for a KILL: a KILL QUERY of this
   * client then finds nothing running, and sends none to a backend it holds.
   */
  private processlist(full: boolean): void {
    this.busy = true;
    this.status = 'waiting';
    this.core
      .processlist({ user: this.user?.name ?? '', full })
      .then((rows) => {
        if (this.closed) return;
        this.answerHere(
          encodeProcesslist(rows, {
            full,
            progress: MARIADB_SERVER.test(this.core.serverVersion),
            collation: this.resultsCollation(),
            ...this.resultFraming(),
          }),
        );
      })
      .catch((err: unknown) => {
        if (!this.closed) this.failInternally(err);
      });
  }

  /** How this client's connection frames a result set the proxy answers itself. */
  private resultFraming(): ResultFraming {
    return {
      capabilities: this.capabilities,
      extendedMetadata:
        ((this.serverSession?.mariadbCapabilities ?? 0) & MARIADB_CLIENT_EXTENDED_METADATA) !== 0,
      statusFlags: this.statusFlags(),
      sequenceId: this.answerSeq,
    };
  }

  /**
   * Writes the result of a statement the proxy answered itself (SHOW PROCESSLIST, SELECT
   * CONNECTION_ID()). What the statement before left — its warnings, results the client holds
   * its connection for — stays, as the server keeps it across a table-less SELECT or a SHOW.
   * (The server's SELECT CONNECTION_ID() sets FOUND_ROWS() to 1 and ROW_COUNT() to -1; the
   * proxy's leaves them as they were.)
   */
  private answerHere(result: Buffer): void {
    this.conn.write(result);
    this.finishCommand();
  }

  /**
   * The collation of text the proxy sends in a result set: the login's, as MariaDB's results
   * are while the client has not changed character_set_results; after that (the proxy knows the
   * charset's name, not its default collation) utf8mb4, declared as such.
   */
  private resultsCollation(): number {
    const login = this.handshakeCollation;
    const results = this.state.variables.get('character_set_results');
    const sameCharset = results === undefined || results === charsetOfCollation(login);
    return sameCharset && collationEncoding(login) === this.messageEncoding()
      ? login
      : CollationId.UTF8MB4_GENERAL_CI;
  }

  /** This connection as a row of SHOW PROCESSLIST (undefined until it has logged in). */
  processRow(now: number, full: boolean): ProcessRow | undefined {
    if (this.user === undefined || this.status === 'handshake') return undefined;
    return {
      id: this.id,
      user: this.user.name,
      host: this.conn.remoteAddress === 'unix' ? 'localhost' : this.conn.peer,
      db: this.state.schema ?? null,
      command: this.busy ? commandLabel(this.command) : 'Sleep',
      time: Math.max(0, Math.floor((now - this.since) / 1000)),
      state: this.processState(),
      info: this.busy ? this.statementInfo(full) : null,
    };
  }

  /** SHOW PROCESSLIST's State: what the proxy does for the client now. */
  private processState(): string | null {
    const b = this.backend;
    switch (this.status) {
      case 'waiting':
        // Otherwise a KILL or a SHOW PROCESSLIST the proxy carries out.
        return this.ticket !== null || this.acquiring
          ? 'Waiting for a backend connection'
          : 'Answered by the proxy';
      case 'active':
        return b === undefined ? 'Answered by the proxy' : `Running on ${b.server.name}`;
      case 'closing':
        return 'Closing';
      default:
        if (this.pins === 0) return null;
        return `Pinned${b === undefined ? '' : ` to ${b.server.name}`}: ${pinReasons(this.pins).join(', ')}`;
    }
  }

  /** SHOW PROCESSLIST's Info: the statement in flight (an execute's prepared text). */
  private statementInfo(full: boolean): string | null {
    if (this.command !== COM_QUERY && this.command !== COM_STMT_PREPARE && !this.runsPrepared) return null;
    const payload = this.statementPayload();
    return payload === undefined ? null : infoText(payload, this.clientEncoding(), full);
  }

  /** Answers the command in flight as interrupted; a backend it holds goes back unless pinned. */
  private answerInterrupted(): void {
    this.writeErrPacket(1317, '70100', 'Query execution was interrupted', this.answerSeq);
    this.finishCommand();
  }

  private initDb(schema: string): void {
    this.pending = Pending.InitDb;
    // Runs on a connection in the client's character set (the sync before it sees to that).
    const payload = buildInitDb(schema, this.clientEncoding());
    this.command = COM_INIT_DB;
    this.payload = payload;
    this.frame = undefined;
    this.withBackend();
  }

  private setOption(payload: Buffer): void {
    const op = payload.length >= 3 ? payload.readUInt16LE(1) : -1;
    if (op !== 0 && op !== 1) {
      this.writeErrPacket(1047, '08S01', 'Unknown COM_SET_OPTION value', this.answerSeq);
      return;
    }
    if (this.backend !== undefined) {
      // A held backend (a transaction, locks, the previous statement's results) runs the next
      // statements: the server must split them as the client now asks. It forwards the
      // command and answers it (see afterResponse).
      this.pending = Pending.Forward;
      this.withBackend();
      return;
    }
    this.applyMultiStatements(op === 0);
    // The server answers COM_SET_OPTION with an EOF packet (an OK with the EOF header under
    // CLIENT_DEPRECATE_EOF).
    const eof = encodeResultEnd({ statusFlags: this.statusFlags() }, this.capabilities);
    this.conn.write(encodeFrames(eof, this.answerSeq));
  }

  private applyMultiStatements(on: boolean): void {
    this.capabilities = on
      ? this.capabilities | CLIENT_MULTI_STATEMENTS
      : this.capabilities & ~CLIENT_MULTI_STATEMENTS;
    // Connections are grouped by this flag, so the next statement gets a backend that has it.
    this.flavour = this.core.flavourFor(
      this.user!,
      this.capabilities,
      this.serverSession!.charset,
      this.serverSession!.mariadbCapabilities,
    );
  }

  /**
   * COM_RESET_CONNECTION: the client's tracked state, statements and pins go; a pinned backend
   * is reset on the server (rolling back, dropping temporary tables and locks) before reuse.
   */
  private resetSession(schema: string | null | undefined, done: () => void): void {
    this.statements.clear();
    this.lazyBegin = 'none';
    this.abortedBy = undefined;
    this.state.reset(schema === undefined ? this.state.schema : schema);
    // A reset session has the global autocommit: init_connect ran at login only.
    if (this.core.autocommitOffByInitConnect) this.state.setVariable('autocommit', 'ON');
    const b = this.backend;
    this.pins = 0;
    // A new session has no insert id and no previous statement, wherever it runs next.
    this.reader.reset();
    this.results.reset(b !== undefined);
    this.readHistory.clear();
    this.keptResults = undefined;
    if (b === undefined) {
      done();
      return;
    }
    this.busy = true;
    this.status = 'active';
    b.reset((err) => {
      this.backend = undefined;
      if (err !== null) this.core.pool.discard(b);
      else this.core.pool.release(b);
      this.releaseLease();
      this.status = 'idle';
      done();
      this.finishCommand();
    });
  }

  /**
   * COM_CHANGE_USER, as MariaDB answers it: the session is reset whatever the outcome (its
   * transaction rolled back, its state forgotten), then the new user authenticates as at a login —
   * with an auth switch where its stored credentials need another plugin than the client used.
   * A refusal leaves the connection logged in as before (ERR 1045); after three, the command is
   * refused (1047), MariaDB's guard against guessing passwords on one connection.
   */
  private changeUser(payload: Buffer): void {
    let cmd: ChangeUserCommand;
    try {
      cmd = decodeChangeUser(payload, this.capabilities, this.serverSession?.charset);
    } catch (err) {
      this.fatal(ProxyError.malformedPacket, [(err as Error).message]);
      return;
    }
    if (this.changeUserFailures >= MAX_CHANGE_USER_FAILURES) {
      // MariaDB resets the session before it refuses (its transaction rolled back): so does the proxy.
      this.resetSession(undefined, () => {
        if (!this.closed)
          this.writeErrPacket(ER_UNKNOWN_COM_ERROR, '08S01', 'Unknown command', this.answerSeq);
      });
      return;
    }
    this.resetSession(undefined, () => {
      if (this.closed) return;
      const login = this.serverSession!;
      // The client scrambled its password with the greeting's nonce.
      const hs = this.gate.handshake(this.nonce);
      this.handshake = hs;
      this.changingUser = cmd;
      this.onChangeUserStep(
        hs.changeUser(cmd, {
          clientCapabilities: login.clientCapabilities,
          mariadbCapabilities: login.mariadbCapabilities,
          maxPacketSize: login.maxPacketSize,
          charset: login.charset,
          tls: login.tls,
        }),
      );
    });
  }

  private onChangeUserStep(step: ServerStep): void {
    if (step.kind === 'send') {
      this.conn.write(step.bytes);
      return;
    }
    const cmd = this.changingUser!;
    this.handshake = undefined;
    this.changingUser = undefined;
    if (step.kind !== 'authenticated') {
      this.gate.abandoned();
      this.changeUserFailures++;
      this.core.counters.authFailures++;
      if (step.kind === 'failed') {
        this.core.counters.errors++;
        this.conn.write(step.bytes);
        // An answer out of sequence ends the connection, as at a login (MariaDB's).
        if (step.error.errno === ER_NET_PACKETS_OUT_OF_ORDER) this.close();
      }
      return;
    }
    // Packets before the final OK (caching_sha2's fast-auth-success) go out whatever follows.
    this.conn.write(step.bytes.subarray(0, lastPacketStart(step.bytes)));
    const user = this.gate.authenticatedUser(step.session.user);
    // MariaDB words a refusal in UTF-8 (the session reset), and the messages of one that goes
    // through in its new character set.
    this.handshakeCollation = user === undefined ? CollationId.UTF8MB4_GENERAL_CI : step.session.charset;
    if (user === undefined) {
      this.changeUserFailures++;
      this.core.counters.authFailures++;
      const denied = this.gate.accessDenied(step.session);
      this.writeErr(denied.code, denied.args, step.sequenceId);
      return;
    }
    const unusable = unusableClientCharset(step.session.charset);
    if (unusable !== undefined) {
      // Refused, and the connection stays logged in as before, as MariaDB leaves it.
      this.writeErr(ProxyError.clientCharsetRefused, [unusable], step.sequenceId);
      return;
    }
    // The database is checked as at a login, with the new user's account.
    const flavour = this.core.flavourFor(
      user,
      step.session.capabilities,
      step.session.charset,
      step.session.mariadbCapabilities,
    );
    this.withSchemaChecked(flavour, user.name, cmd.schema === '' ? null : cmd.schema, (refusal) => {
      if (refusal === undefined) {
        this.changeUserTo(user, step, cmd);
        return;
      }
      // Refused, and the connection stays logged in as before, as MariaDB leaves it.
      this.changeUserFailures++;
      this.core.counters.authFailures++;
      this.writeErr(refusal.code, refusal.args, step.sequenceId);
    });
  }

  /** The rest of a COM_CHANGE_USER that authenticated `user`: the login switches to it. */
  private changeUserTo(
    user: ProxyUser,
    step: ServerStep & { kind: 'authenticated' },
    cmd: ChangeUserCommand,
  ): void {
    this.core.removeUserConnection(this.user!.name);
    this.tenantSession?.close();
    // The old login no longer counts: if the new one is refused, close() must not uncount it again.
    this.user = undefined;
    this.tenantSession = undefined;
    // COM_SET_OPTION's choice outlives a change of user, as at MariaDB.
    const multiStatements = this.capabilities & CLIENT_MULTI_STATEMENTS;
    const refusal = this.login(user, {
      ...step.session,
      // A request without attributes keeps the login's (tenant_attribute may read one).
      attributes: cmd.attributes ?? this.serverSession!.attributes,
    });
    if (refusal !== undefined) {
      this.writeErr(refusal.code, refusal.args, step.sequenceId);
      this.close();
      return;
    }
    if ((this.capabilities & CLIENT_MULTI_STATEMENTS) !== multiStatements)
      this.applyMultiStatements(multiStatements !== 0);
    const schema = cmd.schema === '' ? null : cmd.schema;
    this.state.setSchema(schema);
    // As MariaDB's: the OK reports the schema to a client that tracks session state.
    this.writeOk(step.sequenceId, schema === null ? undefined : { systemVariables: [], schema });
  }

  // ---------------------------------------------------------------------------------------------
  // Writing to the client

  private statusFlags(): number {
    let s = 0;
    // Autocommit as the last response said (before any, as the servers' defaults say).
    s |= this.reader.statusFlags & SERVER_STATUS_AUTOCOMMIT;
    if (this.pins & PIN_BIT.transaction || this.lazyBegin !== 'none' || this.rolledBackInTransaction) {
      s |= SERVER_STATUS_IN_TRANS;
      // A READ ONLY transaction says so, as the server's last answer in it did.
      if (this.pins & PIN_BIT.transaction) s |= this.reader.statusFlags & SERVER_STATUS_IN_TRANS_READONLY;
    }
    // The sql_mode bits MariaDB reports in every answer, which clients escape and quote by.
    return s | (this.reader.statusFlags & (SERVER_STATUS_NO_BACKSLASH_ESCAPES | SERVER_STATUS_ANSI_QUOTES));
  }

  private writeOk(sequenceId: number, sessionState?: SessionStateChanges): void {
    this.conn.write(
      encodeFrames(
        encodeOk({ statusFlags: this.statusFlags(), sessionState }, this.capabilities),
        sequenceId,
      ),
    );
  }

  /** The sequence id a response to the command in flight continues with. */
  private responseSequence(): number {
    // The backend forwards whole packets only, so this continues after the last one sent.
    if (this.backend !== undefined && this.respondedBytes > 0)
      return (this.backend.tracker.lastEndedSequenceId + 1) & 0xff;
    return this.answerSeq;
  }

  writeErr(code: ProxyErrorCode, args: (string | number)[], sequenceId: number): void {
    if (this.replaying && !this.closed) {
      // A read run again for the statement after it failed (its backend lost, no slot in time):
      // that statement would run without what it asks about — SHOW WARNINGS answering none.
      // It gets the error instead; the rest of the replay is dropped.
      this.replayFailure ??= { code, args };
      this.queue.dropReplays();
      return;
    }
    this.writeErrPacket(code.code, code.sqlState, formatProxyError(code, ...args), sequenceId);
  }

  private writeErrPacket(errno: number, sqlState: string, message: string, sequenceId: number): void {
    // A replay answers nobody: the client waits for the statement that follows it.
    if (this.closed || this.replaying) return;
    if (this.command === COM_STMT_SEND_LONG_DATA) {
      // No reply to long data, ever: a client reads none, and would take this one for the
      // answer to its next command. The statement's execute gets it.
      const cs = this.clientStatementOf(this.payload);
      if (cs !== undefined) cs.longDataError ??= { errno, sqlState, message };
      return;
    }
    this.writeErrFrames(errno, sqlState, message, sequenceId);
  }

  private writeErrFrames(errno: number, sqlState: string, message: string, sequenceId: number): void {
    // Every ERR the proxy writes itself counts here; a server's, forwarded, in afterResponse.
    this.core.counters.errors++;
    // The client's last outcome is this error, which no connection holds.
    this.keptResults = undefined;
    if (
      this.command === COM_QUERY ||
      this.command === COM_STMT_PREPARE ||
      this.command === COM_STMT_EXECUTE ||
      this.command === COM_STMT_BULK_EXECUTE
    ) {
      // The statement's outcome, which the server's diagnostics area does not hold: what the
      // client read before it is not the previous statement's any more.
      this.results.failedHere({ errno, sqlState, message });
      this.readHistory.clear();
    }
    const err = encodeErr({ errno, sqlState, message }, this.capabilities || 0x200, this.messageEncoding());
    this.conn.write(encodeFrames(err, sequenceId));
  }

  /** The client's character set: its character_set_client, else its login's. */
  private clientCharset(): string | undefined {
    return this.state.variables.get('character_set_client') ?? charsetOfCollation(this.handshakeCollation);
  }

  /** How the client's names (a schema's) are bytes: in its character_set_client. */
  private clientEncoding(): BufferEncoding {
    return charsetEncoding(this.clientCharset());
  }

  /**
   * The encoding MariaDB would write this client's messages in: its character_set_results, or
   * until it sets one, the character set of its login (or last COM_CHANGE_USER). A message that
   * quotes a name the client sent (a user, a schema) then reads back as the client sent it.
   */
  private messageEncoding(): BufferEncoding {
    return charsetEncoding(
      this.state.variables.get('character_set_results') ?? charsetOfCollation(this.handshakeCollation),
    );
  }

  /**
   * An execute the server refused on its way to running it — its re-prepare on this backend
   * (a table dropped since), or its schema — gets that error as its outcome, and the error
   * stays in the connection's diagnostics as a statement's does: afterResponse decides, as for
   * any failed statement, what is held for SHOW WARNINGS / SHOW ERRORS after it.
   */
  private failOnTheWay(b: BackendConnection): void {
    const e = b.tracker.error!;
    // The error (of a re-prepare, a schema switch) is this client's statement's, there.
    this.results.runsOn(b, this.replaying);
    // The server's error, passed on as it sent it (its message in the client's character set):
    // counted in afterResponse. A replay answers nobody.
    if (!this.closed && !this.replaying) {
      const payload =
        b.tracker.errorPayload ?? encodeErr(e, this.capabilities || 0x200, this.messageEncoding());
      this.conn.write(encodeFrames(payload, this.answerSeq));
    }
    this.afterResponse(b);
  }

  private sendBackendError(errno: number, sqlState: string, message: string): void {
    this.writeErrPacket(errno, sqlState, message, this.answerSeq);
    if (this.onShared) {
      this.onShared = false;
      this.backend = undefined;
    }
    const b = this.backend;
    if (b?.broken) this.dropBackend(b);
    if (this.backend === undefined) this.releaseLease();
    this.finishCommand();
  }

  /** A protocol error from the client: tell it why and close this connection only. */
  private fatal(code: ProxyErrorCode, args: (string | number)[], at?: number): void {
    // The connection ends here: the reason goes out whatever the command was — mid-file, as the
    // packet after the client's last.
    const sequenceId = this.upload.midFile ? this.upload.nextSequenceId : (at ?? 1);
    if (!this.closed)
      this.writeErrFrames(code.code, code.sqlState, formatProxyError(code, ...args), sequenceId);
    this.conn.end();
    this.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  /**
   * The client is gone. Its backend is reset (rolling back an open transaction, dropping
   * temporary tables and locks) before anyone else gets it; one mid-response is discarded.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.status = 'closing';
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    clearTimeout(this.loginTimer);
    this.output.close();
    this.ticket?.cancel();
    this.ticket = null;
    const b = this.backend;
    this.backend = undefined;
    if (b !== undefined && this.onShared) {
      // Others' reads share that connection: only this client's response is dropped. Its read,
      // if the server is running it now, is interrupted (reads stacked behind it move): left
      // to run, a long one would keep the connection and the slot for nobody.
      this.onShared = false;
      const lease = this.lease;
      this.lease = undefined;
      if (b.isRunning(this) && b.connectionId !== 0 && !b.broken) {
        this.killQueryOn(b);
      }
      b.abandon(this, () => lease?.release());
    } else if (b !== undefined) {
      if (b.busy && !b.broken && !this.upload.sending && b.onlyFor(this)) {
        this.leaveRunning(b);
      } else if (b.busy || b.broken) {
        this.core.pool.discard(b);
        this.releaseLease();
      } else if (this.pins !== 0) {
        b.reset((err) => {
          if (err !== null) this.core.pool.discard(b);
          else this.core.pool.release(b);
          this.releaseLease();
        });
      } else {
        this.core.pool.release(b);
        this.releaseLease();
      }
    } else if (!this.acquiring) {
      this.releaseLease(); // else onBackend does, with the connection
    }
    if (this.user !== undefined) this.core.removeUserConnection(this.user.name);
    this.tenantSession?.close();
    this.core.removeClient(this);
    if (!this.conn.isClosed) this.conn.end();
  }

  /**
   * Whether the statement in flight ends with its client, as at MariaDB or because nothing of it
   * can outlast the client: a SELECT or DO calling SLEEP() or GET_LOCK() (MariaDB ends such a
   * wait once it finds the client gone; a write beside the wait is the server's to end, so only
   * those two leads); a SELECT that sends rows (MariaDB stops one at its first send to the gone
   * client — one INTO variables or a file sends none and runs on); and, inside a transaction,
   * which the client's leaving rolls back anyway, any SELECT, INSERT, UPDATE, DELETE or REPLACE
   * (a wait for a row lock would hold the connection for innodb_lock_wait_timeout, 50 s by
   * default, for a transaction nobody can commit). Not the last two for a text of several
   * statements. Read in the text, strings and comments included: a false match interrupts a
   * statement whose client is gone, which MariaDB might have let run on; a false miss only lets
   * it run.
   */
  private endsWithItsClient(): boolean {
    const text = this.statementText();
    const lead = this.reader.leadingKeyword(text);
    if (lead === undefined) return false;
    if ((lead === 'SELECT' || lead === 'DO') && CLIENT_WAITS.test(text)) return true;
    // Of several statements in one text, what runs when the KILL lands may be any of them.
    if (MORE_STATEMENTS.test(text)) return false;
    // Not WITH: on MySQL 8 a WITH may lead an UPDATE or DELETE, a write that runs to its end.
    if (lead === 'SELECT' && !SELECT_INTO.test(text)) return true;
    return this.undoneWithTransaction(text, lead);
  }

  /**
   * Whether the statement (`text`, led by `lead`) is one statement whose whole effect the
   * open transaction's rollback undoes — not DDL, a COMMIT, a CALL, several statements, or a
   * statement outside a transaction, which may take effect for good.
   */
  private undoneWithTransaction(text: string, lead: string | undefined): boolean {
    if (lead === undefined || MORE_STATEMENTS.test(text)) return false;
    const inTransaction = (this.pins & PIN_BIT.transaction) !== 0 || this.lazyBegin === 'sent';
    return inTransaction && ROLLED_BACK_WITH_TRANSACTION.has(lead);
  }

  /**
   * The client left while its statement runs on a connection of its own. Closing that
   * connection would not stop the statement: the server goes on with it until it ends, beside
   * the connection the pool opens in its place — more than N at the server, and at the worst
   * time (clients that time out on slow statements and leave). So the connection is kept: a
   * pure read, which changes nothing, is interrupted with KILL QUERY, and so is a statement
   * that {@link endsWithItsClient} (a wait in SLEEP(), a SELECT, a transaction's DML); anything
   * else runs to its end, as MariaDB runs a statement whose client has gone (a write in
   * autocommit is not lost) — unless the client was closed by a KILL CONNECTION, which
   * interrupts it as MariaDB's does. Its response is
   * dropped; then the connection is reset and goes back. Its QoS slot covers it until then.
   */
  private leaveRunning(b: BackendConnection): void {
    const pool = this.core.pool;
    const lease = this.lease;
    this.lease = undefined;
    b.holder = undefined;
    // KILL CONNECTION stops the statement too, as MariaDB's does (a write is rolled back): left
    // to run, it would commit after its client was told it was killed.
    if (
      (this.pureRead || this.wasPureRead || this.killed || this.endsWithItsClient()) &&
      b.connectionId !== 0
    ) {
      this.killQueryOn(b);
    }
    b.abandon(this, () =>
      // A KILL that lands after the reset could interrupt the next holder's statement.
      b.whenKillsAnswered(() => {
        if (b.broken) {
          pool.discard(b);
          lease?.release();
          return;
        }
        b.reset((err) => {
          if (err !== null) pool.discard(b);
          else pool.release(b);
          lease?.release();
        });
      }),
    );
  }
}

/**
 * Statements that leave a client's kept results in place (see ClientSession.keptResults): those
 * that read them, and those the proxy answers as leaving the previous statement's results as
 * they were (SELECT CONNECTION_ID(), SHOW PROCESSLIST).
 */
/** Said after the error of a statement that rolled back its transaction (see failsTransaction). */
const TRANSACTION_ROLLED_BACK =
  'the transaction is rolled back: its statements get ERR 9009 until ROLLBACK (or BEGIN)';
const REFUSED_WITH_BEGIN = 'the statements sent behind it get ERR 9009 up to its COMMIT or ROLLBACK';

const KEEPS_KEPT_RESULTS = Trait.ReadsPreviousResult | Trait.ConnectionId | Trait.Processlist;

/** A server version string that is MariaDB's. */
const MARIADB_SERVER = /MariaDB/i;

/** XA statements after which the session has no branch (see endsXa); leading comments not read. */
const XA_WITHOUT_BRANCH_AFTER = /^\s*XA\s+(?:COMMIT|ROLLBACK|RECOVER)\b/i;

/** Variables whose history stays on a connection (see BackendConnection.keepsHistory). */
const KEEPS_HISTORY = /\b(?:profiling|optimizer_trace)\b/i;

/** Statements that may insert and answer rows (… RETURNING): no OK reports their insert id. */
const INSERTS_WITH_ROWS = new Set(['INSERT', 'REPLACE']);
const RETURNING = /\bRETURNING\b/i;

/** Whether `text` is an INSERT / REPLACE … RETURNING (the keyword first, the scan only then). */
function insertsWithRows(reader: SqlReader, text: string): boolean {
  return INSERTS_WITH_ROWS.has(reader.leadingKeyword(text) ?? '') && RETURNING.test(text);
}

/** Calls whose wait MariaDB ends once it finds the client gone (see endsWithItsClient). */
const CLIENT_WAITS = /\b(?:SLEEP|GET_LOCK)\s*\(/i;
/** A `;` with more after it: a text of several statements, or one in a string (see endsWithItsClient). */
const MORE_STATEMENTS = /;\s*\S/;
/** A SELECT that sends no rows: it stores them (see endsWithItsClient). */
const SELECT_INTO = /\bINTO\b/i;
/** Statements whose whole effect a rollback undoes (see endsWithItsClient); DDL commits first. */
const ROLLED_BACK_WITH_TRANSACTION = new Set(['SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/**
 * Commands that run no statement: the server keeps the warnings, errors, FOUND_ROWS() and
 * ROW_COUNT() of the statement before across them — a prepare (for the execute after it), long
 * data, COM_STMT_RESET, and COM_SET_OPTION (PHP's mysqli sends one between multi_query and
 * SHOW WARNINGS).
 */
function keepsPreviousStatement(command: number): boolean {
  return (
    command === COM_STMT_PREPARE ||
    command === COM_STMT_SEND_LONG_DATA ||
    command === COM_STMT_RESET ||
    command === COM_SET_OPTION
  );
}

/**
 * Uses a table (a derived one: no privilege needed) and changes nothing: the server replaces
 * the diagnostics area with its empty one, ROW_COUNT() and FOUND_ROWS() become 0.
 */
const CLEAR_DIAGNOSTICS = Buffer.from('\x03DO (SELECT 1 FROM (SELECT 1) AS t LIMIT 0)', 'latin1');
/** The answer to a command the proxy sends for itself and needs nothing of. */
const IGNORE_ANSWER: InternalCallback = () => {};

/** Status bits that tell a statement left the session in autocommit, outside a transaction. */
const AUTOCOMMIT_NOT_IN_TRANS = SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS;
