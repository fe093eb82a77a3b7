import { FAST_AUTH_SUCCESS } from '../auth/caching-sha2.js';
import { ProtocolError } from '../errors.js';
import { frameCount } from '../framing/encoder.js';
import type { PacketListener } from '../framing/scanner.js';
import { PacketScanner } from '../framing/scanner.js';
import { CLIENT_DEPRECATE_EOF, CLIENT_PROTOCOL_41, CLIENT_SESSION_TRACK } from '../packets/capabilities.js';
import {
  COM_CHANGE_USER,
  COM_FIELD_LIST,
  COM_QUIT,
  COM_SET_OPTION,
  COM_STATISTICS,
  COM_STMT_CLOSE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  COM_STMT_SEND_LONG_DATA,
} from '../packets/commands.js';
import { decodeErr, type ErrPacket, PROGRESS_REPORT_CODE } from '../packets/err.js';
import {
  AUTH_MORE_DATA_HEADER,
  AUTH_SWITCH_HEADER,
  EOF_HEADER,
  ERR_HEADER,
  LOCAL_INFILE_HEADER,
  OK_HEADER,
} from '../packets/headers.js';
import { decodeSessionState, type SessionStateChanges } from '../packets/session-state.js';
import {
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_SESSION_STATE_CHANGED,
  SERVER_STATUS_CURSOR_EXISTS,
} from '../packets/status.js';
import { PacketReader } from '../wire/reader.js';

/** What the tracker waits for next. */
enum Phase {
  Idle,
  /** First packet of a result: OK, ERR, LOCAL INFILE request or column count. */
  First,
  ColumnDefs,
  ColumnsEof,
  Rows,
  /** After a LOCAL INFILE request: the client sends the file, then the server sends OK/ERR. */
  Infile,
  PrepareFirst,
  PrepareParams,
  PrepareParamsEof,
  PrepareColumns,
  PrepareColumnsEof,
  /** COM_FIELD_LIST: column definitions until EOF. */
  FieldList,
  /** COM_STATISTICS, COM_SET_OPTION: one packet, any content. */
  Single,
  /** COM_CHANGE_USER: OK or ERR, possibly after auth-switch / more-data exchanges with the client. */
  ChangeUser,
  Done,
}

/** Largest OK/EOF payload captured for decoding (session state); larger ones keep fixed fields only. */
const MAX_CAPTURE = 1024 * 1024;

/** Options for {@link ResponseTracker.begin}. */
export interface BeginOptions {
  /** COM_STMT_EXECUTE asked for a cursor (flags != 0): a result then stops after its metadata. */
  cursor?: boolean;
}

/** The result of COM_STMT_PREPARE. */
export interface PrepareResult {
  statementId: number;
  columns: number;
  params: number;
  warnings: number;
}

/**
 * Whether the server answers `command` (its first byte): COM_QUIT, COM_STMT_CLOSE and
 * COM_STMT_SEND_LONG_DATA get no response at all.
 */
export function commandHasResponse(command: number): boolean {
  return command !== COM_QUIT && command !== COM_STMT_CLOSE && command !== COM_STMT_SEND_LONG_DATA;
}

/** The largest integer a number holds exactly (2^53 − 1), as a bigint. */
const MAX_EXACT_NUMBER = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Follows the server's response to one command packet by packet — from packet headers and a few
 * leading bytes, never decoding rows — and knows when it is complete.
 *
 * Feed it raw chunks with {@link ResponseTracker.feed} (it runs its own {@link PacketScanner}),
 * or whole payloads with {@link ResponseTracker.packet}. At completion it exposes the last status
 * flags, warnings, affected rows / insert id of the last OK, merged session-state changes and the
 * error, if the response ended in one: what a proxy needs to decide whether to release a backend.
 */
export class ResponseTracker implements PacketListener {
  /** Negotiated capabilities of the connection whose responses are tracked. */
  capabilities: number;
  /** Status flags last reported by the server (kept across commands; unchanged by ERR). */
  statusFlags: number;
  /** Warnings of the last OK/EOF of the response. */
  warnings = 0;
  /**
   * Some OK/EOF of the response reported warnings — in a batch, an earlier statement's, which
   * the server keeps for SHOW WARNINGS when the statements after it read no table.
   */
  warningsSeen = false;
  affectedRows = 0;
  /** The last non-zero insert id among the response's OKs (0: none generated one). */
  lastInsertId = 0;
  /**
   * {@link lastInsertId} in decimal, exact, when it is past 2^53 (where the number is rounded):
   * an id written back to a server must be the one it gave (BIGINT UNSIGNED reaches 2^64 − 1).
   */
  lastInsertIdText: string | undefined = undefined;
  /** Set when the response ended in ERR. */
  error: ErrPacket | undefined;
  /**
   * That ERR's payload as the server sent it (when it arrived whole): its message is in the
   * connection's character_set_results, which {@link error}'s decoded text may not keep.
   */
  errorPayload: Buffer | undefined;
  /** Merged session-state changes of every OK in the response; undefined when none. */
  sessionState: SessionStateChanges | undefined;
  /** Result sets completed in this response. */
  resultSets = 0;
  /** Rows seen in this response (all result sets). */
  rows = 0;
  /** Columns of the result set being read (0 between result sets and once the response is done). */
  columns = 0;
  /** Set after a successful COM_STMT_PREPARE. */
  prepared: PrepareResult | undefined;
  /** File name of a LOCAL INFILE request; the client must now send the file. */
  infileName: string | undefined;
  /** Sequence id of the last packet seen. */
  lastSequenceId = 0;
  /** Sequence id of the last packet that ended (a proxy continues a cut response after it). */
  lastEndedSequenceId = 0;
  /**
   * Where in the chunk of the last {@link ResponseTracker.feed} call the last complete packet
   * ended, or -1 if none ended in it: forwarding only up to there keeps the receiver at a
   * packet boundary, so a response cut by a lost server can still end with an ERR packet.
   */
  lastPacketEnd = -1;
  /**
   * Where in the chunk of the last {@link ResponseTracker.feed} call the first complete packet
   * ended, or -1 if none ended in it: the end of a packet that began in an earlier chunk, which a
   * proxy holding that packet's start can complete with just these bytes.
   */
  firstPacketEnd = -1;
  /** Progress reports (MariaDB) seen in this response. */
  progressReports = 0;
  /**
   * The OK packets of the last {@link ResponseTracker.feed} call that reported session-state
   * changes (under CLIENT_SESSION_TRACK), each as where in that chunk it ended and its length
   * with header: a proxy rewrites them for a client that did not ask for session tracking
   * (see okWithoutSessionState). Usually empty.
   */
  readonly sessionStateOks: { end: number; length: number }[] = [];

  private phase = Phase.Idle;
  /** Phase when the current packet started (its end is interpreted in that phase). */
  private packetPhase = Phase.Idle;
  private waitingForClient = false;
  private remaining = 0;
  private cursor = false;
  private startFirstByte = -1;
  private startLength = 0;
  /** The packet being read is an OK that reports session-state changes. */
  private sessionStateOk = false;
  private readonly scanner: PacketScanner;

  constructor(capabilities: number, statusFlags = 0) {
    this.capabilities = capabilities;
    this.statusFlags = statusFlags;
    this.scanner = new PacketScanner(this);
  }

  /** The response is complete (or none was expected). */
  get done(): boolean {
    // The packet that ends a response is decoded from its first MiB (MAX_CAPTURE): the phase
    // turns Done then, but the response ends only where that packet does.
    return (this.phase === Phase.Done && this.scanner.atPacketBoundary) || this.phase === Phase.Idle;
  }

  /**
   * The server waits for the client before it answers further: LOCAL INFILE data (see
   * `infileName`), or an authentication exchange during COM_CHANGE_USER.
   */
  get awaitingClient(): boolean {
    return this.waitingForClient;
  }

  /**
   * Starts tracking the response to the command whose first byte is `command`.
   * @returns false when the command has no response (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
   */
  begin(command: number, options: BeginOptions = {}): boolean {
    if (this.phase !== Phase.Idle && this.phase !== Phase.Done) {
      throw new ProtocolError(`a new command began before the previous response was complete`);
    }
    this.warnings = 0;
    this.warningsSeen = false;
    this.affectedRows = 0;
    this.lastInsertId = 0;
    this.lastInsertIdText = undefined;
    this.error = undefined;
    this.errorPayload = undefined;
    this.sessionState = undefined;
    this.resultSets = 0;
    this.rows = 0;
    this.columns = 0;
    this.prepared = undefined;
    this.infileName = undefined;
    this.waitingForClient = false;
    this.progressReports = 0;
    this.cursor = options.cursor === true;
    if (!commandHasResponse(command)) {
      this.phase = Phase.Done;
      return false;
    }
    switch (command) {
      case COM_STMT_PREPARE:
        this.phase = Phase.PrepareFirst;
        break;
      case COM_STMT_FETCH:
        this.phase = Phase.Rows;
        break;
      case COM_FIELD_LIST:
        this.phase = Phase.FieldList;
        break;
      case COM_STATISTICS:
      case COM_SET_OPTION: // EOF (or an OK with the EOF header) or ERR
        this.phase = Phase.Single;
        break;
      case COM_CHANGE_USER:
        this.phase = Phase.ChangeUser;
        break;
      default:
        this.phase = Phase.First;
    }
    return true;
  }

  /**
   * Feeds raw bytes from the server. Returns the offset in `chunk` just past the response's last
   * packet once it is complete (or when a LOCAL INFILE request makes the server wait for the
   * client), or -1 when every byte belongs to the response and more are needed.
   */
  feed(chunk: Buffer, from = 0): number {
    if (this.done) {
      if (from < chunk.length)
        throw new ProtocolError('unexpected data from the server: no command is pending');
      return from;
    }
    this.lastPacketEnd = -1;
    this.firstPacketEnd = -1;
    if (this.sessionStateOks.length > 0) this.sessionStateOks.length = 0;
    // The server speaks again, so it no longer waits for the client — already when these bytes
    // are only the start of a packet's header, before onPacketStart would say so.
    if (from < chunk.length) this.waitingForClient = false;
    const stop = this.scanner.scan(chunk, from);
    if (this.done || this.awaitingClient) return stop;
    return -1;
  }

  /**
   * Feeds one complete payload (e.g. from a {@link PacketDecoder}).
   * @returns true when the response is complete
   */
  packet(payload: Buffer, sequenceId = 0): boolean {
    if (this.done) throw new ProtocolError('unexpected packet from the server: no command is pending');
    const wanted = this.onPacketStart(0, payload.length, sequenceId, payload.length ? payload[0]! : -1);
    if (wanted > 0) this.onPayloadPrefix(payload, 0, Math.min(wanted, payload.length));
    this.firstPacketEnd = -1;
    if (this.sessionStateOks.length > 0) this.sessionStateOks.length = 0;
    this.onPacketEnd(payload.length + 4, (sequenceId + frameCount(payload.length) - 1) & 0xff);
    return this.done;
  }

  /** @internal scanner callback */
  onPacketStart(_offset: number, length: number, sequenceId: number, firstByte: number): number {
    this.lastSequenceId = sequenceId;
    this.packetPhase = this.phase;
    this.waitingForClient = false;
    this.startFirstByte = firstByte;
    this.startLength = length;
    if (length === 0 && this.phase !== Phase.Single) {
      // Every packet of a response has at least a header byte; COM_STATISTICS' text may be empty.
      throw new ProtocolError('unexpected empty packet from the server');
    }
    if (
      this.phase === Phase.ColumnsEof &&
      this.cursor &&
      this.capabilities & CLIENT_DEPRECATE_EOF &&
      firstByte !== EOF_HEADER &&
      firstByte !== ERR_HEADER
    ) {
      // A cursor was asked for but the server opened none (e.g. CALL): under DEPRECATE_EOF the
      // rows follow the column definitions directly, and this packet is the first of them.
      this.phase = Phase.Rows;
      this.packetPhase = Phase.Rows;
    }
    switch (this.phase) {
      case Phase.Rows:
        if (firstByte === EOF_HEADER && this.isTerminator(length)) return Math.min(length, MAX_CAPTURE);
        if (firstByte === ERR_HEADER) return Math.min(length, MAX_CAPTURE);
        this.rows++;
        return 0;
      case Phase.ColumnDefs:
      case Phase.PrepareParams:
      case Phase.PrepareColumns:
        if (firstByte === ERR_HEADER) return Math.min(length, MAX_CAPTURE);
        return 0;
      case Phase.FieldList:
        return firstByte === ERR_HEADER || (firstByte === EOF_HEADER && length < 0xffffff)
          ? Math.min(length, MAX_CAPTURE)
          : 0;
      case Phase.Single:
        // An ERR (COM_STATISTICS refused) is decoded like any other.
        return firstByte === ERR_HEADER ? Math.min(length, MAX_CAPTURE) : 0;
      case Phase.Idle:
      case Phase.Done:
        throw new ProtocolError('unexpected packet from the server: no command is pending');
      default:
        // First packets, EOFs, OKs: small, decoded whole.
        return Math.min(length, MAX_CAPTURE);
    }
  }

  /** @internal scanner callback */
  onPayloadPrefix(buffer: Buffer, start: number, end: number): void {
    const first = this.startFirstByte;
    const truncated = end - start < this.startLength;
    if (first === ERR_HEADER) {
      if (end - start >= 3 && buffer.readUInt16LE(start + 1) === PROGRESS_REPORT_CODE) {
        this.progressReports++;
        return;
      }
      this.error = decodeErr(buffer, start, end);
      if (!truncated) this.errorPayload = Buffer.from(buffer.subarray(start, end));
      this.phase = Phase.Done;
      return;
    }
    switch (this.phase) {
      case Phase.First:
      case Phase.Infile:
        if (first === OK_HEADER || first === EOF_HEADER) {
          this.readOk(buffer, start, end, truncated, first === EOF_HEADER && this.classicEof);
          this.endOfResult();
        } else if (first === LOCAL_INFILE_HEADER && this.phase === Phase.First) {
          this.infileName = buffer.toString('utf8', start + 1, end);
          this.waitingForClient = true;
          this.phase = Phase.Infile;
        } else if (this.phase === Phase.First) {
          const count = new PacketReader(buffer, start, end).lenencInt();
          if (count === 0) throw new ProtocolError('result set with 0 columns');
          this.columns = count;
          this.remaining = count;
          this.phase = Phase.ColumnDefs;
        } else {
          throw new ProtocolError(
            `expected OK or ERR after LOCAL INFILE data, got header 0x${first.toString(16)}`,
          );
        }
        return;
      case Phase.ColumnsEof:
        if (first !== EOF_HEADER) {
          throw new ProtocolError(
            `expected EOF after column definitions, got header 0x${first.toString(16)}`,
          );
        }
        this.readOk(buffer, start, end, truncated, this.classicEof);
        if (this.cursor && this.statusFlags & SERVER_STATUS_CURSOR_EXISTS) {
          this.resultSets++;
          this.phase = Phase.Done;
        } else if (this.cursor && this.capabilities & CLIENT_DEPRECATE_EOF) {
          this.endOfResult();
        } else {
          this.phase = Phase.Rows;
        }
        return;
      case Phase.Rows:
      case Phase.FieldList:
        this.readOk(buffer, start, end, truncated, this.classicEof);
        this.endOfResult();
        return;
      case Phase.PrepareFirst:
        this.readPrepareOk(buffer, start, end);
        return;
      case Phase.ChangeUser:
        if (first === OK_HEADER) {
          this.readOk(buffer, start, end, truncated, false);
          this.phase = Phase.Done;
        } else if (
          first === AUTH_MORE_DATA_HEADER &&
          end - start >= 2 &&
          buffer[start + 1] === FAST_AUTH_SUCCESS
        ) {
          // caching_sha2_password's fast path: the server's OK follows at once.
        } else if (first === AUTH_SWITCH_HEADER || first === AUTH_MORE_DATA_HEADER) {
          // The client must answer (auth switch response, caching_sha2 exchange) before the OK.
          this.waitingForClient = true;
        } else {
          throw new ProtocolError(`unexpected packet 0x${first.toString(16)} in a COM_CHANGE_USER response`);
        }
        return;
      case Phase.PrepareParamsEof:
      case Phase.PrepareColumnsEof:
        if (first !== EOF_HEADER) {
          throw new ProtocolError(
            `expected EOF after statement metadata, got header 0x${first.toString(16)}`,
          );
        }
        this.readOk(buffer, start, end, truncated, true);
        return;
      default:
        return;
    }
  }

  /** @internal scanner callback */
  onPacketEnd(offset: number, lastSequenceId = this.lastSequenceId): boolean {
    if (this.firstPacketEnd < 0) this.firstPacketEnd = offset;
    this.lastPacketEnd = offset;
    this.lastEndedSequenceId = lastSequenceId;
    if (this.sessionStateOk) {
      this.sessionStateOk = false;
      this.sessionStateOks.push({ end: offset, length: this.startLength + 4 });
    }
    // A packet that moved the phase (column count, PREPARE OK, ERR, terminators) is fully handled.
    if (this.phase !== this.packetPhase) return this.phase === Phase.Done || this.waitingForClient;
    switch (this.phase) {
      case Phase.ColumnDefs:
        if (--this.remaining === 0) {
          this.phase =
            this.capabilities & CLIENT_DEPRECATE_EOF && !this.cursor ? Phase.Rows : Phase.ColumnsEof;
        }
        break;
      case Phase.PrepareParams:
        if (--this.remaining === 0) this.afterPrepareParams();
        break;
      case Phase.PrepareParamsEof:
        this.afterPrepareParamsEof();
        break;
      case Phase.PrepareColumns:
        if (--this.remaining === 0) {
          this.phase = this.capabilities & CLIENT_DEPRECATE_EOF ? Phase.Done : Phase.PrepareColumnsEof;
        }
        break;
      case Phase.PrepareColumnsEof:
        this.phase = Phase.Done;
        break;
      case Phase.Single:
        this.phase = Phase.Done;
        break;
      default:
        break;
    }
    return this.phase === Phase.Done || this.awaitingClient;
  }

  /** 0xFE terminators are EOF packets, or OK packets under CLIENT_DEPRECATE_EOF. */
  private get classicEof(): boolean {
    return (this.capabilities & CLIENT_DEPRECATE_EOF) === 0;
  }

  /** 0xFE ends rows: a short EOF, or under DEPRECATE_EOF an OK that cannot be a row (< 16 MiB). */
  private isTerminator(length: number): boolean {
    return this.capabilities & CLIENT_DEPRECATE_EOF ? length < 0xffffff : length < 9;
  }

  private endOfResult(): void {
    if (this.columns > 0) this.resultSets++;
    this.columns = 0;
    this.phase = this.statusFlags & SERVER_MORE_RESULTS_EXISTS ? Phase.First : Phase.Done;
  }

  /** Reads an OK or EOF payload's status fields (and session state) into the tracker. */
  private readOk(buffer: Buffer, start: number, end: number, truncated: boolean, classicEof: boolean): void {
    const r = new PacketReader(buffer, start, end);
    r.u8();
    if (classicEof) {
      if (this.capabilities & CLIENT_PROTOCOL_41) {
        this.warnings = r.u16();
        if (this.warnings > 0) this.warningsSeen = true;
        this.statusFlags = r.u16();
        // A classic EOF has no room for the changes, only the flag: the session changed (a
        // stored function the SELECT called set a variable), and that is all anyone is told.
        if (this.capabilities & CLIENT_SESSION_TRACK && this.statusFlags & SERVER_SESSION_STATE_CHANGED)
          this.mergeSessionState({ systemVariables: [], stateChanged: true });
      }
      return;
    }
    this.affectedRows = r.lenencInt();
    // The last id any statement of the response generated: after `INSERT …; UPDATE …` the
    // session's LAST_INSERT_ID() is the INSERT's, though the last OK says 0.
    let insertId: number;
    let exact: string | undefined;
    if (r.peek() === 0xfe) {
      // Eight bytes: read exactly, kept as text past 2^53 (rare: no cost for the common ids).
      const big = r.lenencBigInt();
      insertId = Number(big);
      if (big > MAX_EXACT_NUMBER) exact = big.toString();
    } else insertId = r.lenencInt();
    if (insertId !== 0) {
      this.lastInsertId = insertId;
      this.lastInsertIdText = exact;
    }
    this.statusFlags = r.u16();
    this.warnings = r.u16();
    if (this.warnings > 0) this.warningsSeen = true;
    if (this.capabilities & CLIENT_SESSION_TRACK && this.statusFlags & SERVER_SESSION_STATE_CHANGED)
      this.sessionStateOk = true;
    if (
      truncated ||
      r.atEnd ||
      !(this.capabilities & CLIENT_SESSION_TRACK) ||
      !(this.statusFlags & SERVER_SESSION_STATE_CHANGED)
    ) {
      return;
    }
    r.skip(r.lenencInt()); // info
    if (r.atEnd) return;
    const block = r.lenencBytes();
    this.mergeSessionState(decodeSessionState(block));
  }

  private mergeSessionState(s: SessionStateChanges): void {
    if (s.stateChanged && s.systemVariables.length === 0 && s.schema === undefined)
      s.unexplainedChange = true;
    const into = this.sessionState;
    if (!into) {
      this.sessionState = s;
      return;
    }
    into.systemVariables.push(...s.systemVariables);
    if (s.schema !== undefined) into.schema = s.schema;
    if (s.stateChanged !== undefined) into.stateChanged = into.stateChanged || s.stateChanged;
    if (s.unexplainedChange) into.unexplainedChange = true;
    if (s.gtids !== undefined) into.gtids = s.gtids;
    if (s.transactionCharacteristics !== undefined)
      into.transactionCharacteristics = s.transactionCharacteristics;
    if (s.transactionState !== undefined) into.transactionState = s.transactionState;
  }

  private readPrepareOk(buffer: Buffer, start: number, end: number): void {
    const r = new PacketReader(buffer, start, end);
    if (r.u8() !== OK_HEADER) {
      throw new ProtocolError(
        `expected COM_STMT_PREPARE OK or ERR, got header 0x${buffer[start]!.toString(16)}`,
      );
    }
    const statementId = r.u32();
    const columns = r.u16();
    const params = r.u16();
    let warnings = 0;
    if (r.remaining >= 3) {
      r.skip(1);
      warnings = r.u16();
    }
    this.prepared = { statementId, columns, params, warnings };
    this.warnings = warnings;
    if (warnings > 0) this.warningsSeen = true;
    this.remaining = params;
    if (params > 0) this.phase = Phase.PrepareParams;
    else this.afterPrepareParamsEof();
  }

  private afterPrepareParams(): void {
    if (this.capabilities & CLIENT_DEPRECATE_EOF) this.afterPrepareParamsEof();
    else this.phase = Phase.PrepareParamsEof;
  }

  private afterPrepareParamsEof(): void {
    const columns = this.prepared!.columns;
    this.remaining = columns;
    this.phase = columns > 0 ? Phase.PrepareColumns : Phase.Done;
  }
}
