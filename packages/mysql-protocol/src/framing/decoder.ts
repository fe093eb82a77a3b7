import {
  ER_NET_PACKET_TOO_LARGE,
  ER_NET_PACKETS_OUT_OF_ORDER,
  ProtocolError,
  sqlStateFor,
} from '../errors.js';
import { MAX_FRAME_PAYLOAD } from './encoder.js';

/** One logical packet: continuation frames already joined. */
export interface Packet {
  /** Sequence id of the packet's first frame. */
  sequenceId: number;
  /** Sequence id of its last frame (differs from `sequenceId` only for payloads >= 16 MiB). */
  lastSequenceId: number;
  /**
   * The payload. When a whole frame arrived inside one chunk this is a view on that chunk
   * (no copy), so callers must not recycle the chunks they push.
   */
  payload: Buffer;
}

/** Options of {@link PacketDecoder}. */
export interface PacketDecoderOptions {
  /**
   * Largest logical payload accepted, in bytes (default 64 MiB). A larger packet is refused as
   * soon as its header announces it, before its bytes are buffered.
   */
  maxPacketSize?: number;
}

const DEFAULT_MAX_PACKET_SIZE = 64 * 1024 * 1024;

/**
 * Turns a byte stream split anyhow (one byte at a time too) into complete logical packets.
 *
 * Frames of exactly 0xFFFFFF bytes are joined with the frames that follow into one payload.
 * After a {@link ProtocolError} the decoder stays failed: the stream cannot be resynchronised.
 */
export class PacketDecoder {
  readonly maxPacketSize: number;
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** Payload bytes still to come in the current frame, or -1 while reading a header. */
  private frameRemaining = -1;
  private frameLength = 0;
  private firstSequenceId = 0;
  private lastSequenceId = 0;
  /** The previous frame was full (0xFFFFFF): the next frame continues the same packet. */
  private continuing = false;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private failure: ProtocolError | undefined;
  /**
   * The raw bytes from a refused header on, when packets completed before it in the same chunk
   * were handed out: {@link takeBuffered} may still take them for another protocol.
   */
  private refused: Buffer | undefined;

  constructor(options: PacketDecoderOptions = {}) {
    const max = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`PacketDecoder: maxPacketSize must be a positive integer, got ${max}`);
    }
    this.maxPacketSize = max;
  }

  /**
   * The error that stopped decoding, if any — also one that {@link push} has not thrown yet
   * because it returned the packets before it.
   */
  get error(): ProtocolError | undefined {
    return this.failure;
  }

  /** True while a packet is partly received (useful to detect a truncated stream at close). */
  get hasPartialPacket(): boolean {
    return this.headerFill > 0 || this.frameRemaining >= 0 || this.continuing;
  }

  /**
   * Feeds bytes; returns the packets they complete (often none or one). A header announcing too
   * large a packet throws — after the packets completed before it in the same chunk, if any: those
   * are returned, and the refusal is thrown by the next call (unless {@link takeBuffered} takes
   * the bytes first: after an SSLRequest a TLS ClientHello reads as a 66,326-byte header).
   */
  push(chunk: Buffer): Packet[] {
    if (this.failure) throw this.failure;
    const out: Packet[] = [];
    let pos = 0;
    const n = chunk.length;
    while (pos < n || this.frameRemaining === 0) {
      if (this.frameRemaining < 0) {
        let len: number;
        let seq: number;
        const fastHeader = this.headerFill === 0 && n - pos >= 4;
        if (fastHeader) {
          len = chunk[pos]! | (chunk[pos + 1]! << 8) | (chunk[pos + 2]! << 16);
          seq = chunk[pos + 3]!;
          pos += 4;
        } else {
          const take = Math.min(4 - this.headerFill, n - pos);
          chunk.copy(this.header, this.headerFill, pos, pos + take);
          this.headerFill += take;
          pos += take;
          if (this.headerFill < 4) break;
          len = this.header[0]! | (this.header[1]! << 8) | (this.header[2]! << 16);
          seq = this.header[3]!;
          this.headerFill = 0;
        }
        try {
          this.startFrame(len, seq);
        } catch (err) {
          if (out.length === 0) throw err;
          const header = fastHeader ? chunk.subarray(pos - 4, pos) : this.header;
          this.refused = Buffer.concat([header, chunk.subarray(pos)]);
          return out;
        }
        // Fast path: a whole single-frame packet inside this chunk is handed out as a view.
        if (!this.continuing && len < MAX_FRAME_PAYLOAD && n - pos >= len) {
          out.push({ sequenceId: seq, lastSequenceId: seq, payload: chunk.subarray(pos, pos + len) });
          pos += len;
          this.frameRemaining = -1;
          continue;
        }
        // Keep the header bytes of a partial frame so takeBuffered() can give them back.
        if (fastHeader) chunk.copy(this.header, 0, pos - 4, pos);
      }
      if (this.frameRemaining > 0) {
        const take = Math.min(this.frameRemaining, n - pos);
        if (take === 0) break;
        this.parts.push(chunk.subarray(pos, pos + take));
        this.partsLength += take;
        this.frameRemaining -= take;
        pos += take;
        if (this.frameRemaining > 0) break;
      }
      // The frame is complete.
      this.frameRemaining = -1;
      this.continuing = this.frameLength === MAX_FRAME_PAYLOAD;
      if (this.continuing) continue;
      const payload =
        this.parts.length === 1
          ? this.parts[0]!
          : this.parts.length === 0
            ? Buffer.alloc(0)
            : Buffer.concat(this.parts, this.partsLength);
      out.push({ sequenceId: this.firstSequenceId, lastSequenceId: this.lastSequenceId, payload });
      this.parts = [];
      this.partsLength = 0;
    }
    return out;
  }

  /**
   * Gives back, and forgets, the raw bytes received after the last complete packet. Used when the
   * stream changes hands mid-chunk — after an SSLRequest the next bytes are the TLS ClientHello,
   * which may arrive in the same chunk and must go to the TLS layer, not to the decoder.
   */
  takeBuffered(): Buffer {
    const refused = this.refused;
    if (refused !== undefined) {
      // Refused as MySQL, but they were never MySQL: the stream changes hands.
      this.refused = undefined;
      this.failure = undefined;
      return refused;
    }
    if (this.failure) throw this.failure;
    if (this.continuing) throw new ProtocolError('takeBuffered() in the middle of a multi-frame packet');
    let out: Buffer;
    if (this.frameRemaining < 0) out = Buffer.from(this.header.subarray(0, this.headerFill));
    else out = Buffer.concat([this.header, ...this.parts]);
    this.headerFill = 0;
    this.frameRemaining = -1;
    this.parts = [];
    this.partsLength = 0;
    return out;
  }

  private startFrame(len: number, seq: number): void {
    if (this.partsLength + len > this.maxPacketSize) {
      // A server answers it after the frame whose header made it too large (MariaDB reads no
      // further): 1 for a single frame, 2 when the second tips it over, whatever came after.
      this.failure = new ProtocolError(
        `packet too large: ${this.partsLength + len} bytes announced, maxPacketSize is ${this.maxPacketSize}`,
        ER_NET_PACKET_TOO_LARGE,
        sqlStateFor(ER_NET_PACKET_TOO_LARGE),
        (seq + 1) & 0xff,
      );
      throw this.failure;
    }
    if (this.continuing && seq !== ((this.lastSequenceId + 1) & 0xff)) {
      // The sender lost count mid-packet: what the frames add up to cannot be trusted.
      this.failure = new ProtocolError(
        `continuation frame numbered ${seq} after ${this.lastSequenceId}`,
        ER_NET_PACKETS_OUT_OF_ORDER,
      );
      throw this.failure;
    }
    if (!this.continuing) this.firstSequenceId = seq;
    this.lastSequenceId = seq;
    this.frameLength = len;
    this.frameRemaining = len;
  }
}
