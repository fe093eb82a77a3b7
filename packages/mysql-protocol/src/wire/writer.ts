import { encodeFrames, MAX_FRAME_PAYLOAD } from '../framing/encoder.js';

const EMPTY_HEADER = 4;

/**
 * Builds one payload into a growable buffer, leaving room for the 4-byte packet header in front
 * so {@link PacketWriter.toPacket} can frame a small packet without copying it.
 */
export class PacketWriter {
  private buf: Buffer;
  private len = EMPTY_HEADER;

  constructor(initialCapacity = 128) {
    this.buf = Buffer.allocUnsafe(Math.max(initialCapacity, 16) + EMPTY_HEADER);
  }

  /** Payload bytes written so far. */
  get length(): number {
    return this.len - EMPTY_HEADER;
  }

  private ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.len);
    this.len += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    const b = this.buf;
    b[this.len] = v & 0xff;
    b[this.len + 1] = (v >>> 8) & 0xff;
    b[this.len + 2] = (v >>> 16) & 0xff;
    this.len += 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }

  /** int<8> from a number (must be a non-negative safe integer) or a bigint. */
  u64(v: number | bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.len);
    this.len += 8;
    return this;
  }

  /** A length-encoded integer. */
  lenencInt(v: number | bigint): this {
    if (typeof v === 'bigint') {
      if (v >= 0x1000000n) {
        this.u8(0xfe);
        return this.u64(v);
      }
      v = Number(v);
    }
    if (v < 0) throw new RangeError(`lenenc integer must be >= 0, got ${v}`);
    if (v < 0xfb) return this.u8(v);
    if (v <= 0xffff) return this.u8(0xfc).u16(v);
    if (v <= 0xffffff) return this.u8(0xfd).u24(v);
    this.u8(0xfe);
    return this.u64(v);
  }

  /** The SQL NULL marker of a text row (0xFB). */
  nullMarker(): this {
    return this.u8(0xfb);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** `n` zero bytes (fillers). */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** A string without terminator or length. */
  string(s: string, encoding: BufferEncoding = 'utf8'): this {
    const n = Buffer.byteLength(s, encoding);
    this.ensure(n);
    this.buf.write(s, this.len, n, encoding);
    this.len += n;
    return this;
  }

  nulString(s: string, encoding: BufferEncoding = 'utf8'): this {
    return this.string(s, encoding).u8(0);
  }

  lenencString(s: string, encoding: BufferEncoding = 'utf8'): this {
    const n = Buffer.byteLength(s, encoding);
    this.lenencInt(n);
    this.ensure(n);
    this.buf.write(s, this.len, n, encoding);
    this.len += n;
    return this;
  }

  lenencBytes(b: Uint8Array): this {
    return this.lenencInt(b.length).bytes(b);
  }

  /** The payload as a view (valid until the writer is written to again). */
  payload(): Buffer {
    return this.buf.subarray(EMPTY_HEADER, this.len);
  }

  /**
   * The framed packet(s) with sequence id `sequenceId`. Payloads under 16 MiB are framed in place
   * (no copy); larger ones are split as the protocol requires, the ids counting up from there.
   */
  toPacket(sequenceId: number): Buffer {
    const n = this.len - EMPTY_HEADER;
    if (n >= MAX_FRAME_PAYLOAD) return encodeFrames(this.payload(), sequenceId);
    const b = this.buf;
    b[0] = n & 0xff;
    b[1] = (n >>> 8) & 0xff;
    b[2] = (n >>> 16) & 0xff;
    b[3] = sequenceId & 0xff;
    return b.subarray(0, this.len);
  }

  /** Forgets the payload so the writer can be reused for the next packet. */
  reset(): this {
    this.len = EMPTY_HEADER;
    return this;
  }
}
