import {
  CLIENT_DEPRECATE_EOF,
  type ColumnDefinition,
  encodeFrames,
  frameCount,
  MAX_FRAME_PAYLOAD,
  type OkPacket,
  PacketWriter,
  SERVER_MORE_RESULTS_EXISTS,
  type SqlValue,
  writeBinaryRow,
  writeColumnDefinition,
  writeEof,
  writeErr,
  writeOk,
  writeResultEnd,
  writeTextRow,
} from '@scalestack/mysql-protocol';

const FLUSH_AT = 64 * 1024;

/** Where a response goes: a connection's write side. */
export interface ResponseSink {
  write(bytes: Buffer): boolean;
}

/** The fields of an OK packet we send. */
export interface OkFields {
  affectedRows?: number;
  lastInsertId?: bigint;
  statusFlags: number;
  warnings?: number;
  info?: string;
}

/**
 * Builds one command's response: packets are framed with consecutive sequence ids and
 * gathered into one buffer, written out every 64 KiB and at the end, so a result set of many
 * small rows costs a handful of socket writes and no per-row allocation (each payload is
 * encoded into one reused scratch writer and copied once into the output).
 */
export class ResponseWriter {
  /** Sequence id of the next packet; 1 after the client's command packet (id 0). */
  sequenceId = 1;
  private out: Buffer = Buffer.allocUnsafe(FLUSH_AT + 1024);
  private length = 0;
  private readonly scratch = new PacketWriter(1024);
  private readonly valueScratch = Buffer.allocUnsafe(16);

  constructor(
    private readonly sink: ResponseSink,
    public capabilities: number,
  ) {}

  /** Starts the response to a new command. */
  begin(sequenceId = 1): void {
    this.sequenceId = sequenceId & 0xff;
  }

  /** Appends one framed packet. */
  packet(payload: Buffer): void {
    const n = payload.length;
    if (n >= MAX_FRAME_PAYLOAD) {
      this.append(encodeFrames(payload, this.sequenceId));
      this.sequenceId = (this.sequenceId + frameCount(n)) & 0xff;
      return;
    }
    this.reserve(4 + n);
    const o = this.out;
    let p = this.length;
    o[p++] = n & 0xff;
    o[p++] = (n >>> 8) & 0xff;
    o[p++] = (n >>> 16) & 0xff;
    o[p++] = this.sequenceId;
    payload.copy(o, p);
    this.length = p + n;
    this.sequenceId = (this.sequenceId + 1) & 0xff;
    if (this.length >= FLUSH_AT) this.flush();
  }

  private append(bytes: Buffer): void {
    this.flush();
    this.sink.write(bytes);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.out.length) return;
    this.flush();
    if (n > this.out.length) this.out = Buffer.allocUnsafe(n);
  }

  /** Writes what is gathered (the buffer is handed to the socket, so a new one is started). */
  flush(): void {
    if (this.length === 0) return;
    const bytes = this.out.subarray(0, this.length);
    this.out = Buffer.allocUnsafe(FLUSH_AT + 1024);
    this.length = 0;
    this.sink.write(bytes);
  }

  private get scratchWriter(): PacketWriter {
    return this.scratch.reset();
  }

  ok(fields: OkFields): void {
    // OkPacket types the id as a number, but writeOk writes it with lenencInt, which takes a
    // bigint as well: ids above 2^53 must not be rounded on the way.
    const packet = fields as Omit<OkFields, 'lastInsertId'> as Partial<OkPacket>;
    this.packet(writeOk(this.scratchWriter, packet, this.capabilities).payload());
  }

  err(errno: number, sqlState: string, message: string): void {
    this.packet(writeErr(this.scratchWriter, { errno, sqlState, message }, this.capabilities).payload());
  }

  /** The end of column definitions or rows: EOF, or under CLIENT_DEPRECATE_EOF an 0xFE-headed OK. */
  eof(statusFlags: number, warnings = 0): void {
    this.packet(writeResultEnd(this.scratchWriter, { statusFlags, warnings }, this.capabilities).payload());
  }

  /** A classic EOF packet (only used where no OK may stand in, i.e. without DEPRECATE_EOF). */
  classicEof(statusFlags: number): void {
    this.packet(writeEof(this.scratchWriter, { statusFlags }, this.capabilities).payload());
  }

  columnDefinitions(columns: readonly ColumnDefinition[], fieldList = false): void {
    for (const c of columns)
      this.packet(writeColumnDefinition(this.scratchWriter, c, { fieldList }).payload());
  }

  /**
   * A whole result set: column count, definitions, (EOF), rows in the text or binary protocol,
   * and the closing EOF/OK with `statusFlags` (add SERVER_MORE_RESULTS_EXISTS when another
   * result follows).
   */
  resultSet(
    columns: readonly ColumnDefinition[],
    rows: readonly (readonly SqlValue[])[],
    binary: boolean,
    statusFlags: number,
  ): void {
    this.packet(this.scratchWriter.lenencInt(columns.length).payload());
    this.columnDefinitions(columns);
    if (!(this.capabilities & CLIENT_DEPRECATE_EOF))
      this.classicEof(statusFlags & ~SERVER_MORE_RESULTS_EXISTS);
    const scratch = this.valueScratch;
    for (const row of rows) {
      const w = this.scratchWriter;
      if (binary) writeBinaryRow(w, columns, row, scratch);
      else writeTextRow(w, row, columns);
      this.packet(w.payload());
    }
    this.eof(statusFlags);
  }
}
