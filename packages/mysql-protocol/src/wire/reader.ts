import { ProtocolError } from '../errors.js';

/**
 * Reads MySQL wire types from one payload, with a bounds check on every read.
 *
 * Reads never pass `end`: a truncated packet or a forged length throws a {@link ProtocolError}
 * before anything is allocated, so a hostile peer cannot make us read garbage or reserve memory.
 * The reader keeps a view on the caller's Buffer; `bytes()` results are views too (no copy).
 */
export class PacketReader {
  /** Current read position (absolute index into `buffer`). */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;

  constructor(
    readonly buffer: Buffer,
    start = 0,
    end = buffer.length,
  ) {
    if (start < 0 || end > buffer.length || start > end) {
      throw new RangeError(`PacketReader: bad window [${start}, ${end}) over ${buffer.length} bytes`);
    }
    this.pos = start;
    this.end = end;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** True when every byte was read. */
  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new ProtocolError(
        `truncated packet: ${what} needs ${n} byte(s) at offset ${this.pos}, only ${this.end - this.pos} left`,
      );
    }
  }

  /** The next byte without consuming it, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.buffer[this.pos]! : -1;
  }

  skip(n: number): void {
    this.need(n, 'skip');
    this.pos += n;
  }

  u8(): number {
    this.need(1, 'int<1>');
    return this.buffer[this.pos++]!;
  }

  u16(): number {
    this.need(2, 'int<2>');
    const v = this.buffer.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3, 'int<3>');
    const b = this.buffer;
    const p = this.pos;
    this.pos += 3;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
  }

  u32(): number {
    this.need(4, 'int<4>');
    const v = this.buffer.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int<8> as a number (exact up to 2^53). */
  u64(): number {
    this.need(8, 'int<8>');
    const lo = this.buffer.readUInt32LE(this.pos);
    const hi = this.buffer.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  /** int<8> as a bigint (exact). */
  u64Big(): bigint {
    this.need(8, 'int<8>');
    const v = this.buffer.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * A length-encoded integer as a number (exact up to 2^53; larger 8-byte values lose precision —
   * use {@link lenencBigInt} where that matters). 0xFB (NULL) and 0xFF are refused.
   */
  lenencInt(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) return this.u64();
    throw new ProtocolError(
      `bad length-encoded integer: first byte 0x${first.toString(16)} at offset ${this.pos - 1}`,
    );
  }

  /** A length-encoded integer as a bigint. */
  lenencBigInt(): bigint {
    const first = this.peek();
    if (first === 0xfe) {
      this.pos++;
      return this.u64Big();
    }
    return BigInt(this.lenencInt());
  }

  /** A length-encoded integer where 0xFB means SQL NULL (returned as -1). */
  lenencIntOrNull(): number {
    if (this.peek() === 0xfb) {
      this.pos++;
      return -1;
    }
    return this.lenencInt();
  }

  /** `n` bytes as a view on the underlying buffer (no copy). */
  bytes(n: number): Buffer {
    this.need(n, `string<${n}>`);
    const v = this.buffer.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** `n` bytes decoded as a string. */
  string(n: number, encoding: BufferEncoding = 'utf8'): string {
    this.need(n, `string<${n}>`);
    const s = this.buffer.toString(encoding, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A length-encoded byte string (view, no copy); the length is checked before anything else. */
  lenencBytes(): Buffer {
    const n = this.lenencInt();
    return this.bytes(n);
  }

  lenencString(encoding: BufferEncoding = 'utf8'): string {
    const n = this.lenencInt();
    return this.string(n, encoding);
  }

  /** A NUL-terminated byte string (view, without the NUL). */
  nulBytes(): Buffer {
    const at = this.buffer.indexOf(0, this.pos);
    if (at < 0 || at >= this.end) {
      throw new ProtocolError(`truncated packet: NUL-terminated string at offset ${this.pos} has no NUL`);
    }
    const v = this.buffer.subarray(this.pos, at);
    this.pos = at + 1;
    return v;
  }

  nulString(encoding: BufferEncoding = 'utf8'): string {
    const at = this.buffer.indexOf(0, this.pos);
    if (at < 0 || at >= this.end) {
      throw new ProtocolError(`truncated packet: NUL-terminated string at offset ${this.pos} has no NUL`);
    }
    const s = this.buffer.toString(encoding, this.pos, at);
    this.pos = at + 1;
    return s;
  }

  /** Everything left (view, no copy). */
  restBytes(): Buffer {
    const v = this.buffer.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  restString(encoding: BufferEncoding = 'utf8'): string {
    const s = this.buffer.toString(encoding, this.pos, this.end);
    this.pos = this.end;
    return s;
  }
}

/** Byte length of the length-encoded integer `n` on the wire. */
export function lenencIntSize(n: number): number {
  if (n < 0xfb) return 1;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffff) return 4;
  return 9;
}
