import { splitInlineArgs } from './inline.js';
import { parseLength } from './integer.js';

const LF = 0x0a;
const CR = 0x0d;
const STAR = 0x2a;
const DOLLAR = 0x24;
const INT_MAX = 2 ** 31 - 1;
const EMPTY: Buffer = Buffer.alloc(0);

/** Limits of {@link RespDecoder}; the defaults are redis-server's. */
export interface DecoderLimits {
  /** Largest bulk string (`$<size>`) accepted, like Redis's `proto-max-bulk-len` (512 MiB). */
  maxBulkSize?: number;
  /**
   * Longest inline command or length line (Redis: 64 KiB). Redis only checks lines still
   * waiting for their end; here a longer line is refused even when whole, so the outcome is
   * the same however the stream is split.
   */
  maxInlineSize?: number;
}

// #region guide:decoder
/**
 * Decodes client commands — RESP arrays of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and
 * inline commands (`GET k\r\n`) — from a byte stream split in any way.
 *
 * A pure state machine: {@link push} bytes in, pull commands out with {@link next}. It never
 * touches a socket, so the same code runs under a server, a fuzzer and a benchmark. Arguments
 * are slices of the input (no copy); bytes are only joined once enough have arrived to make
 * progress, and a declared length is never allocated up front, so a forged `$2000000000` costs
 * nothing until the bytes really come.
 */
export class RespDecoder {
  readonly #maxBulkSize: number;
  readonly #maxInlineSize: number;
  /** The bytes being decoded, from #off, and later chunks not yet joined to them. */
  #buf: Buffer = EMPTY;
  #off = 0;
  #queued: Buffer[] = [];
  #queuedLength = 0;
  /** False while the input cannot complete the next step: wait for #awaitByte or #want bytes. */
  #ready = true;
  #awaitByte = -1;
  #want = 0;
  /** The command being read: arguments left, those read, the length of the next bulk (-1: none). */
  #argsLeft = 0;
  #args: Buffer[] = [];
  #bulkLength = -1;
  #error: string | undefined;

  constructor(limits: DecoderLimits = {}) {
    this.#maxBulkSize = limits.maxBulkSize ?? 512 * 1024 * 1024;
    this.#maxInlineSize = limits.maxInlineSize ?? 64 * 1024;
  }

  /** The protocol error that stopped decoding, as Redis words it after `Protocol error: `. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Bytes received but not yet decoded into a command. */
  get buffered(): number {
    return this.#buf.length - this.#off + this.#queuedLength;
  }

  /** Adds bytes from the stream. Cheap: decoding happens in {@link next}. */
  push(chunk: Buffer): void {
    if (this.#error !== undefined || chunk.length === 0) return;
    if (this.#off >= this.#buf.length && this.#queuedLength === 0) {
      this.#buf = chunk;
      this.#off = 0;
      this.#ready = true;
      return;
    }
    this.#queued.push(chunk);
    this.#queuedLength += chunk.length;
    if (this.#ready) return;
    const available = this.buffered;
    this.#ready =
      this.#awaitByte >= 0
        ? chunk.includes(this.#awaitByte) || available > this.#maxInlineSize
        : available >= this.#want;
  }

  /**
   * The next complete command (its arguments), or `undefined` when more bytes are needed or a
   * protocol error stopped the decoder ({@link error} then says why; later input is ignored).
   */
  next(): Buffer[] | undefined {
    if (!this.#ready || this.#error !== undefined) return undefined;
    if (this.#queuedLength > 0) this.#join();
    for (;;) {
      if (this.#off >= this.#buf.length) {
        this.#buf = EMPTY;
        this.#off = 0;
        return undefined;
      }
      if (this.#argsLeft === 0) {
        if (this.#buf[this.#off] !== STAR) {
          const args = this.#inline();
          if (args === undefined || args.length > 0) return args;
          continue; // an empty line is no command
        }
        const count = this.#lengthLine('mbulk count');
        if (count === undefined) return undefined;
        if (Number.isNaN(count) || count > INT_MAX) return this.#fail('invalid multibulk length');
        if (count <= 0) continue;
        this.#argsLeft = count;
        this.#args = [];
      }
      while (this.#argsLeft > 0) {
        if (this.#bulkLength < 0) {
          const first = this.#buf[this.#off]!;
          const length = this.#lengthLine('bulk count');
          if (length === undefined) return undefined;
          if (first !== DOLLAR) return this.#fail(`expected '$', got '${String.fromCharCode(first)}'`);
          if (Number.isNaN(length) || length < 0 || length > this.#maxBulkSize) {
            return this.#fail('invalid bulk length');
          }
          this.#bulkLength = length;
        }
        // Like Redis, the two bytes after the data are skipped, not checked.
        const end = this.#off + this.#bulkLength;
        if (end + 2 > this.#buf.length) return this.#wait(this.#bulkLength + 2);
        this.#args.push(this.#buf.subarray(this.#off, end));
        this.#off = end + 2;
        this.#bulkLength = -1;
        this.#argsLeft--;
      }
      return this.#args;
    }
  }
  // #endregion

  /** Reads `*<n>` / `$<n>` up to its CR (plus the byte after it); `undefined` until complete. */
  #lengthLine(what: string): number | undefined {
    const cr = this.#buf.indexOf(CR, this.#off);
    // Too long whether or not its end has arrived, so the outcome never depends on the split.
    if ((cr === -1 ? this.#buf.length : cr) - this.#off > this.#maxInlineSize) {
      return this.#fail(`too big ${what} string`);
    }
    if (cr === -1) return this.#awaitLine(CR);
    if (cr + 1 >= this.#buf.length) {
      this.#wait(cr + 2 - this.#off);
      return undefined;
    }
    const value = parseLength(this.#buf, this.#off + 1, cr);
    this.#off = cr + 2;
    return value;
  }

  #inline(): Buffer[] | undefined {
    const lf = this.#buf.indexOf(LF, this.#off);
    if ((lf === -1 ? this.#buf.length : lf) - this.#off > this.#maxInlineSize) {
      return this.#fail('too big inline request');
    }
    if (lf === -1) return this.#awaitLine(LF);
    const end = lf > this.#off && this.#buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitInlineArgs(this.#buf.subarray(this.#off, end));
    this.#off = lf + 1;
    return args ?? this.#fail('unbalanced quotes in request');
  }

  #awaitLine(byte: number): undefined {
    this.#ready = false;
    this.#awaitByte = byte;
    return undefined;
  }

  #wait(bytes: number): undefined {
    this.#ready = false;
    this.#awaitByte = -1;
    this.#want = bytes;
    return undefined;
  }

  #join(): void {
    const rest = this.#buf.subarray(this.#off);
    this.#buf =
      rest.length === 0 && this.#queued.length === 1
        ? this.#queued[0]!
        : Buffer.concat([rest, ...this.#queued], rest.length + this.#queuedLength);
    this.#off = 0;
    this.#queued = [];
    this.#queuedLength = 0;
  }

  #fail(message: string): undefined {
    this.#error = message;
    this.#buf = EMPTY;
    this.#off = 0;
    this.#queued = [];
    this.#queuedLength = 0;
    this.#args = [];
    return undefined;
  }
}
