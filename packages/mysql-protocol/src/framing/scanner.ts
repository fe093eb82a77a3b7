import { MAX_FRAME_PAYLOAD } from './encoder.js';

/**
 * What a {@link PacketScanner} reports to. Methods are called synchronously from
 * {@link PacketScanner.scan}; nothing is allocated per packet unless a prefix spans chunks.
 */
export interface PacketListener {
  /**
   * A packet begins. Called once its header and first payload byte are known.
   * @param offset where its header starts in the current chunk (negative: it began in an earlier one)
   * @param length payload length of its first frame (0xFFFFFF: continuation frames follow)
   * @param sequenceId sequence id of its first frame
   * @param firstByte first payload byte, or -1 for an empty payload
   * @returns how many leading payload bytes to receive through {@link onPayloadPrefix} (0: none)
   */
  onPacketStart(offset: number, length: number, sequenceId: number, firstByte: number): number;
  /**
   * The requested leading payload bytes, contiguous: `buffer[start..end)`. A view on the chunk
   * when they lie in one chunk, else a buffer assembled once. Valid only during the call.
   */
  onPayloadPrefix(buffer: Buffer, start: number, end: number): void;
  /**
   * The packet (with all continuation frames) ended at `offset` in the current chunk.
   * @param lastSequenceId sequence id of its last frame (its first's, for a one-frame packet):
   *   what a packet written after it continues from
   * @returns true to stop scanning here (e.g. the response is complete)
   */
  onPacketEnd(offset: number, lastSequenceId: number): boolean;
}

/**
 * Walks a byte stream and reports packet boundaries without copying it, keeping state across
 * chunks (a header split anywhere, a payload spanning many chunks, continuation frames), so a
 * proxy can forward chunks untouched while it follows the packets inside them.
 */
export class PacketScanner {
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** Payload bytes left in the current frame; -1 while a header is due. */
  private frameRemaining = -1;
  private frameLength = 0;
  private frameSequenceId = 0;
  private continuing = false;
  private awaitingFirstByte = false;
  /** Stream position of the current chunk's first byte and of the current packet's header. */
  private chunkStart = 0;
  private packetStart = 0;
  private prefixWanted = 0;
  private prefixBuffer: Buffer | undefined;
  private prefixFill = 0;

  constructor(private listener: PacketListener) {}

  /** Replaces the listener (e.g. per command); scanning state is kept. */
  setListener(listener: PacketListener): void {
    this.listener = listener;
  }

  /** True when the scanner stands exactly between two packets. */
  get atPacketBoundary(): boolean {
    return this.headerFill === 0 && this.frameRemaining < 0 && !this.continuing;
  }

  /**
   * Scans `chunk` (or its part from `from`). Returns the offset where scanning stopped: the end of
   * the packet for which the listener asked to stop, or `chunk.length` when all was consumed.
   * To continue after a stop, call again with `from` set to the returned offset.
   */
  scan(chunk: Buffer, from = 0): number {
    const n = chunk.length;
    const listener = this.listener;
    let pos = from;
    this.chunkStart -= from;
    for (;;) {
      if (this.frameRemaining < 0) {
        if (pos >= n) break;
        const headerAt = pos - this.headerFill;
        let len: number;
        if (this.headerFill === 0 && n - pos >= 4) {
          len = chunk[pos]! | (chunk[pos + 1]! << 8) | (chunk[pos + 2]! << 16);
          this.frameSequenceId = chunk[pos + 3]!;
          pos += 4;
        } else {
          const take = Math.min(4 - this.headerFill, n - pos);
          chunk.copy(this.header, this.headerFill, pos, pos + take);
          this.headerFill += take;
          pos += take;
          if (this.headerFill < 4) break;
          len = this.header[0]! | (this.header[1]! << 8) | (this.header[2]! << 16);
          this.frameSequenceId = this.header[3]!;
          this.headerFill = 0;
        }
        this.frameLength = len;
        this.frameRemaining = len;
        if (!this.continuing) {
          this.packetStart = this.chunkStart + headerAt;
          if (len === 0) {
            listener.onPacketStart(headerAt, 0, this.frameSequenceId, -1);
          } else {
            this.awaitingFirstByte = true;
          }
        }
      }
      if (this.awaitingFirstByte) {
        if (pos >= n) break;
        this.awaitingFirstByte = false;
        const wanted = listener.onPacketStart(
          this.packetStart - this.chunkStart,
          this.frameLength,
          this.frameSequenceId,
          chunk[pos]!,
        );
        this.prefixWanted = wanted > 0 ? Math.min(wanted, this.frameLength) : 0;
        if (this.prefixWanted > 0) {
          if (n - pos >= this.prefixWanted) {
            listener.onPayloadPrefix(chunk, pos, pos + this.prefixWanted);
            this.prefixWanted = 0;
          } else {
            this.prefixBuffer = Buffer.allocUnsafe(this.prefixWanted);
            this.prefixFill = 0;
          }
        }
      }
      if (this.frameRemaining > 0) {
        const take = Math.min(this.frameRemaining, n - pos);
        if (take === 0) break;
        if (this.prefixBuffer !== undefined) this.fillPrefix(chunk, pos, take);
        pos += take;
        this.frameRemaining -= take;
        if (this.frameRemaining > 0) break;
      }
      this.frameRemaining = -1;
      this.continuing = this.frameLength === MAX_FRAME_PAYLOAD;
      if (!this.continuing && listener.onPacketEnd(pos, this.frameSequenceId)) {
        this.chunkStart += pos;
        return pos;
      }
    }
    this.chunkStart += n;
    return n;
  }

  private fillPrefix(chunk: Buffer, pos: number, available: number): void {
    const buf = this.prefixBuffer!;
    const take = Math.min(this.prefixWanted - this.prefixFill, available);
    chunk.copy(buf, this.prefixFill, pos, pos + take);
    this.prefixFill += take;
    if (this.prefixFill === this.prefixWanted) {
      this.prefixBuffer = undefined;
      this.prefixWanted = 0;
      this.listener.onPayloadPrefix(buf, 0, buf.length);
    }
  }
}
