import { ChunkQueue } from './chunk-queue.js';

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** What {@link Framer.step} reports when the buffered bytes do not hold a whole message yet. */
export const INCOMPLETE = 0;

/**
 * Input side of a line-oriented decoder: collects chunks and hands complete lines (plus any data
 * block announced by a line) to {@link step}. Chunks are only concatenated once enough bytes for
 * progress have arrived, so a value or line split into many small chunks is copied once, not once
 * per chunk. It can also discard bytes without buffering them (the rest of an over-long line, a
 * refused value), so a forged length never causes an allocation.
 */
export abstract class Framer {
  private readonly pending = new ChunkQueue();
  /** Bytes that must be buffered before {@link step} can make progress again. */
  private want = 0;
  /** True while the buffered bytes hold no line end yet. */
  private awaitingLine = false;
  /** Bytes still to discard (a refused data block). */
  private skipBytes = 0;
  /** True while discarding up to the next line end (the rest of an over-long line). */
  private skipLine = false;
  /** Set when the stream cannot be resynchronised; further input is ignored. */
  protected stopped = false;
  /** Set by {@link hold}: bytes are kept, not decoded, until {@link release}. */
  private held = false;

  constructor(protected readonly maxLineLength: number) {}

  /**
   * Stops decoding after the message being delivered (callable from the message callback):
   * the rest of the input is kept, undecoded, until {@link release}. For a consumer that has
   * taken as many messages as it can answer — one chunk can hold thousands.
   */
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

  /** Feeds bytes from the stream; complete messages are delivered synchronously. */
  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    if (this.held) {
      this.pending.push(chunk);
      return;
    }
    if (this.skipBytes > 0 || this.skipLine) {
      chunk = this.discard(chunk);
      if (chunk.length === 0) return;
    }
    if (this.pending.length === 0) {
      this.run(chunk);
      return;
    }
    this.pending.push(chunk);
    if (this.awaitingLine && chunk.indexOf(LF) === -1) {
      if (this.pending.length > this.maxLineLength + 1) this.lineTooLong();
      return;
    }
    if (this.pending.length < this.want) return;
    this.run(this.pending.take());
  }

  /** Bytes buffered but not yet decoded. */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Decodes one message starting at `off`. Returns the bytes consumed, or {@link INCOMPLETE}
   * after calling {@link needMore}.
   */
  protected abstract step(buf: Buffer, off: number): number;

  /** Called when a line exceeds the limit; the framer then discards up to the next line end. */
  protected abstract onLineTooLong(): void;

  /** Finds the end of the line starting at `off`: returns the index of its LF, or -1. */
  protected findLine(buf: Buffer, off: number): number {
    const lf = buf.indexOf(LF, off);
    if (lf === -1) {
      this.awaitingLine = true;
      this.want = buf.length - off + 1;
    }
    return lf;
  }

  /** The line's content end: strips the CR of a CRLF terminator (a bare LF is accepted too). */
  protected lineEnd(buf: Buffer, off: number, lf: number): number {
    return lf > off && buf[lf - 1] === CR ? lf - 1 : lf;
  }

  /** True when `buf[at..at+2]` is CRLF. */
  protected isCrlf(buf: Buffer, at: number): boolean {
    return buf[at] === CR && buf[at + 1] === LF;
  }

  /** Reports that the message starting at `off` needs `total` bytes from `off`. */
  protected needMore(buf: Buffer, off: number, total: number): number {
    this.awaitingLine = false;
    this.want = total;
    void buf;
    void off;
    return INCOMPLETE;
  }

  /** Discards the next `n` bytes of the stream as they arrive, without buffering them. */
  protected skip(n: number): void {
    this.skipBytes += n;
  }

  private run(buf: Buffer): void {
    let off = 0;
    this.awaitingLine = false;
    while (off < buf.length && !this.stopped && !this.held) {
      if (this.skipBytes > 0 || this.skipLine) {
        const rest = this.discard(buf.subarray(off));
        off = buf.length - rest.length;
        continue;
      }
      const used = this.step(buf, off);
      if (used === INCOMPLETE) break;
      off += used;
      this.awaitingLine = false;
    }
    if (off >= buf.length || this.stopped) {
      this.awaitingLine = false;
      this.want = 0;
      return;
    }
    const rest = buf.subarray(off);
    if (this.held) {
      // Kept as is; release() decodes it from the start of a message.
      this.awaitingLine = false;
      this.want = 0;
      this.pending.replace(rest);
      return;
    }
    if (this.awaitingLine && rest.length > this.maxLineLength + 1) {
      this.lineTooLong();
      return;
    }
    this.pending.replace(rest);
  }

  private lineTooLong(): void {
    this.pending.clear();
    this.awaitingLine = false;
    this.want = 0;
    this.skipLine = true;
    this.onLineTooLong();
  }

  /** Drops skipped bytes from the front of `chunk` and returns what is left. */
  private discard(chunk: Buffer): Buffer {
    if (this.skipBytes > 0) {
      const n = Math.min(this.skipBytes, chunk.length);
      this.skipBytes -= n;
      chunk = chunk.subarray(n);
    }
    if (this.skipLine && chunk.length > 0) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) return EMPTY;
      this.skipLine = false;
      chunk = chunk.subarray(lf + 1);
    }
    return chunk;
  }
}
