/**
 * The memcached binary protocol: a 24-byte header (the same layout for requests and responses)
 * followed by extras, key and value. Decoding and encoding here; what the opcodes mean is up to
 * the caller.
 */

import { ChunkQueue } from './chunk-queue.js';

export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;
export const HEADER_LENGTH = 24;

/** Opcodes of the binary protocol (the quiet variants are the `Q` ones). */
export const Opcode = Object.freeze({
  Get: 0x00,
  Set: 0x01,
  Add: 0x02,
  Replace: 0x03,
  Delete: 0x04,
  Increment: 0x05,
  Decrement: 0x06,
  Quit: 0x07,
  Flush: 0x08,
  GetQ: 0x09,
  Noop: 0x0a,
  Version: 0x0b,
  GetK: 0x0c,
  GetKQ: 0x0d,
  Append: 0x0e,
  Prepend: 0x0f,
  Stat: 0x10,
  SetQ: 0x11,
  AddQ: 0x12,
  ReplaceQ: 0x13,
  DeleteQ: 0x14,
  IncrementQ: 0x15,
  DecrementQ: 0x16,
  QuitQ: 0x17,
  FlushQ: 0x18,
  AppendQ: 0x19,
  PrependQ: 0x1a,
  Verbosity: 0x1b,
  Touch: 0x1c,
  GAT: 0x1d,
  GATQ: 0x1e,
});

/** Response status codes. */
export const BinaryStatus = Object.freeze({
  Success: 0x0000,
  KeyNotFound: 0x0001,
  KeyExists: 0x0002,
  ValueTooLarge: 0x0003,
  InvalidArguments: 0x0004,
  ItemNotStored: 0x0005,
  NonNumeric: 0x0006,
  UnknownCommand: 0x0081,
  OutOfMemory: 0x0082,
  NotSupported: 0x0083,
  InternalError: 0x0084,
  Busy: 0x0085,
  TemporaryFailure: 0x0086,
});

/** One binary packet. `extras`, `key` and `value` are slices of the input, not copies. */
export interface BinaryPacket {
  magic: number;
  opcode: number;
  dataType: number;
  /** vbucket id in a request, status in a response. */
  status: number;
  opaque: number;
  cas: bigint;
  extras: Buffer;
  key: Buffer;
  value: Buffer;
  /** The whole packet as received. */
  raw: Buffer;
}

/** What the decoder delivers: a packet, or a refusal it could recover from, or a fatal error. */
export type BinaryEvent =
  | { kind: 'packet'; packet: BinaryPacket }
  /** The body was larger than allowed and has been skipped; answer with ValueTooLarge. */
  | { kind: 'too-large'; opcode: number; opaque: number; bodyLength: number }
  /** The stream is not binary protocol (bad magic or lengths); close the connection. */
  | { kind: 'invalid'; reason: string };

/**
 * Decodes binary packets (requests or responses, by `magic`) from any split of the stream.
 * Bodies beyond `maxBodyLength` are skipped as they arrive, never buffered.
 */
export class BinaryDecoder {
  private readonly pending = new ChunkQueue();
  private want = HEADER_LENGTH;
  private skipBytes = 0;
  private stopped = false;
  /** Set by {@link hold}: bytes are kept, not decoded, until {@link release}. */
  private held = false;

  constructor(
    private readonly onEvent: (event: BinaryEvent) => void,
    private readonly magic: number = REQUEST_MAGIC,
    private readonly maxBodyLength = 1024 * 1024 + 512,
  ) {}

  /** Stops decoding after the packet being delivered; the rest is kept until {@link release}. */
  hold(): void {
    this.held = true;
  }

  /** Decodes what {@link hold} kept (synchronously), and goes on decoding input as it comes. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.pending.length === 0 || this.stopped) return;
    this.run(this.pending.take());
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    if (this.held) {
      this.pending.push(chunk);
      return;
    }
    if (this.skipBytes > 0) {
      const n = Math.min(this.skipBytes, chunk.length);
      this.skipBytes -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    if (this.pending.length < this.want) return;
    this.run(this.pending.take());
  }

  private run(buf: Buffer): void {
    let off = 0;
    while (!this.stopped && !this.held) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, buf.length - off);
        this.skipBytes -= n;
        off += n;
      }
      const available = buf.length - off;
      if (available < HEADER_LENGTH) {
        this.want = HEADER_LENGTH;
        break;
      }
      if (buf[off] !== this.magic) {
        this.fail(`bad magic byte 0x${buf[off]!.toString(16)}`);
        return;
      }
      const opcode = buf[off + 1]!;
      const keyLength = buf.readUInt16BE(off + 2);
      const extrasLength = buf[off + 4]!;
      const bodyLength = buf.readUInt32BE(off + 8);
      const opaque = buf.readUInt32BE(off + 12);
      if (keyLength + extrasLength > bodyLength) {
        this.fail('key and extras longer than the body');
        return;
      }
      if (bodyLength > this.maxBodyLength) {
        this.onEvent({ kind: 'too-large', opcode, opaque, bodyLength });
        off += HEADER_LENGTH;
        this.skipBytes = bodyLength;
        continue;
      }
      const total = HEADER_LENGTH + bodyLength;
      if (available < total) {
        this.want = total;
        break;
      }
      const body = off + HEADER_LENGTH;
      this.onEvent({
        kind: 'packet',
        packet: {
          magic: buf[off]!,
          opcode,
          dataType: buf[off + 5]!,
          status: buf.readUInt16BE(off + 6),
          opaque,
          cas: buf.readBigUInt64BE(off + 16),
          extras: buf.subarray(body, body + extrasLength),
          key: buf.subarray(body + extrasLength, body + extrasLength + keyLength),
          value: buf.subarray(body + extrasLength + keyLength, off + total),
          raw: buf.subarray(off, off + total),
        },
      });
      off += total;
    }
    if (!this.stopped && off < buf.length) this.pending.replace(buf.subarray(off));
  }

  private fail(reason: string): void {
    this.stopped = true;
    this.pending.clear();
    this.onEvent({ kind: 'invalid', reason });
  }
}

/** Fields of a packet to encode; missing parts are empty. */
export interface BinaryPacketFields {
  opcode: number;
  /** Status (responses) or vbucket (requests); default 0. */
  status?: number;
  opaque?: number;
  cas?: bigint;
  extras?: Buffer;
  key?: Buffer | string;
  value?: Buffer | string;
}

const EMPTY = Buffer.alloc(0);

/** Encodes a packet. The value is appended by copy into one buffer (binary replies are small). */
export function encodeBinary(magic: number, fields: BinaryPacketFields): Buffer {
  const extras = fields.extras ?? EMPTY;
  const key = typeof fields.key === 'string' ? Buffer.from(fields.key, 'latin1') : (fields.key ?? EMPTY);
  const value =
    typeof fields.value === 'string' ? Buffer.from(fields.value, 'latin1') : (fields.value ?? EMPTY);
  if (key.length > 0xffff || extras.length > 0xff)
    throw new RangeError('binary packet key or extras too long');
  const bodyLength = extras.length + key.length + value.length;
  const out = Buffer.allocUnsafe(HEADER_LENGTH + bodyLength);
  out[0] = magic;
  out[1] = fields.opcode;
  out.writeUInt16BE(key.length, 2);
  out[4] = extras.length;
  out[5] = 0;
  out.writeUInt16BE(fields.status ?? 0, 6);
  out.writeUInt32BE(bodyLength, 8);
  out.writeUInt32BE(fields.opaque ?? 0, 12);
  out.writeBigUInt64BE(fields.cas ?? 0n, 16);
  extras.copy(out, HEADER_LENGTH);
  key.copy(out, HEADER_LENGTH + extras.length);
  value.copy(out, HEADER_LENGTH + extras.length + key.length);
  return out;
}

/** A binary request packet. */
export function encodeBinaryRequest(fields: BinaryPacketFields): Buffer {
  return encodeBinary(REQUEST_MAGIC, fields);
}

/** A binary response packet. */
export function encodeBinaryResponse(fields: BinaryPacketFields): Buffer {
  return encodeBinary(RESPONSE_MAGIC, fields);
}
