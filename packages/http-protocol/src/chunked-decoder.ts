import { CR, HEX, HTAB, LF, QDTEXT, SP, TOKEN } from './chars.js';
import { badRequest, HttpParseError } from './errors.js';
import { parseFieldLine } from './field-line.js';

/** Receives what a {@link ChunkedDecoder} decodes. */
export interface ChunkSink {
  /** A slice of the input buffer holding chunk data (never a copy). */
  onBody(chunk: Buffer): void;
  /** The trailer fields, flat `[name, value, ...]`, when the trailer section was not empty. */
  onTrailers(trailers: string[]): void;
}

/** Limits for a chunked body. */
export interface ChunkedLimits {
  /** Most bytes of chunk extensions on one chunk-size line. */
  readonly maxChunkExtBytes: number;
  /** Most bytes in the trailer section. */
  readonly maxTrailerBytes: number;
  /** Most trailer fields. */
  readonly maxTrailerCount: number;
}

enum State {
  SizeFirst,
  Size,
  SizeSpace,
  Ext,
  ExtQuoted,
  ExtEscape,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerEndLf,
  Done,
}

// 13 hex digits keep the size below 2^52, inside Number's exact integers.
const MAX_SIZE_DIGITS = 13;

/**
 * Decodes a `Transfer-Encoding: chunked` body (RFC 9112 §7.1) one byte state at a time, so any
 * split of the input decodes the same. Chunk data is handed out as slices of the input.
 * Chunk extensions are validated and skipped; trailers are parsed like header fields.
 */
export class ChunkedDecoder {
  private state = State.SizeFirst;
  private size = 0;
  private digits = 0;
  private extBytes = 0;
  private trailerBytes: Buffer | undefined;
  private trailerLength = 0;
  private trailerLineStart = 0;
  private trailers: string[] = [];

  constructor(private readonly limits: ChunkedLimits) {}

  /** True once the last chunk and the trailer section were consumed. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Prepares for the next message's body. */
  reset(): void {
    this.state = State.SizeFirst;
    this.size = 0;
    this.digits = 0;
    this.extBytes = 0;
    this.trailerLength = 0;
    this.trailers = [];
  }

  /**
   * Decodes from `data[pos]` on. Returns the position reached: the end of `data`, the end of
   * the body ({@link done}), or just after a data slice was handed to the sink (so the caller
   * can honour a pause requested from inside the sink). Throws {@link HttpParseError}.
   */
  decode(data: Buffer, pos: number, sink: ChunkSink): number {
    const end = data.length;
    while (pos < end) {
      const b = data[pos];
      switch (this.state) {
        case State.SizeFirst:
        case State.Size: {
          const h = HEX[b];
          if (h !== 255) {
            if (this.size !== 0 || h !== 0) this.digits++;
            if (this.digits > MAX_SIZE_DIGITS) throw badRequest('bad-chunk-size', 'chunk size too large');
            this.size = this.size * 16 + h;
            this.state = State.Size;
            pos++;
            break;
          }
          if (this.state === State.SizeFirst)
            throw badRequest('bad-chunk-size', 'chunk size must be hex digits');
          this.afterSize(b);
          pos++;
          break;
        }
        case State.SizeSpace:
          this.afterSize(b);
          pos++;
          break;
        case State.Ext:
          if (b === CR) this.state = State.SizeLf;
          else if (b === 0x22) this.state = State.ExtQuoted;
          else if (TOKEN[b] !== 1 && b !== 0x3b && b !== 0x3d && b !== SP && b !== HTAB) {
            throw badRequest('bad-chunk-extension', 'chunk extension contains a forbidden byte');
          }
          this.countExt();
          pos++;
          break;
        case State.ExtQuoted:
          if (b === 0x22) this.state = State.Ext;
          else if (b === 0x5c) this.state = State.ExtEscape;
          else if (QDTEXT[b] !== 1)
            throw badRequest('bad-chunk-extension', 'chunk extension contains a forbidden byte');
          this.countExt();
          pos++;
          break;
        case State.ExtEscape:
          if (b !== HTAB && (b < 0x20 || b === 0x7f)) {
            throw badRequest('bad-chunk-extension', 'chunk extension contains a forbidden byte');
          }
          this.state = State.ExtQuoted;
          this.countExt();
          pos++;
          break;
        case State.SizeLf:
          if (b !== LF) throw badRequest('bare-cr', 'chunk-size line must end in CRLF');
          pos++;
          if (this.size === 0) {
            this.state = State.TrailerLineStart;
          } else {
            this.state = State.Data;
          }
          break;
        case State.Data: {
          const take = Math.min(this.size, end - pos);
          this.size -= take;
          if (this.size === 0) this.state = State.DataCr;
          sink.onBody(data.subarray(pos, pos + take));
          return pos + take;
        }
        case State.DataCr:
          if (b !== CR) throw badRequest('bad-chunk-data', 'chunk data must be followed by CRLF');
          this.state = State.DataLf;
          pos++;
          break;
        case State.DataLf:
          if (b !== LF) throw badRequest('bad-chunk-data', 'chunk data must be followed by CRLF');
          this.state = State.SizeFirst;
          this.digits = 0;
          this.extBytes = 0;
          pos++;
          break;
        case State.TrailerLineStart:
          if (b === CR) {
            this.state = State.TrailerEndLf;
            pos++;
            break;
          }
          this.state = State.TrailerLine;
          this.trailerLineStart = this.trailerLength;
          pos = this.collectTrailerLine(data, pos);
          break;
        case State.TrailerLine:
          pos = this.collectTrailerLine(data, pos);
          break;
        case State.TrailerEndLf:
          if (b !== LF) throw badRequest('bare-cr', 'trailer section must end in CRLF');
          this.state = State.Done;
          if (this.trailers.length > 0) sink.onTrailers(this.trailers);
          return pos + 1;
        case State.Done:
          return pos;
      }
    }
    return pos;
  }

  private afterSize(b: number): void {
    if (b === CR) this.state = State.SizeLf;
    else if (b === 0x3b) {
      this.state = State.Ext;
      this.countExt();
    } else if (b === SP || b === HTAB) this.state = State.SizeSpace;
    else if (b === LF) throw badRequest('bare-lf', 'chunk-size line must end in CRLF, not a bare LF');
    else throw badRequest('bad-chunk-size', 'chunk size must be hex digits');
  }

  private countExt(): void {
    if (++this.extBytes > this.limits.maxChunkExtBytes) {
      throw badRequest(
        'bad-chunk-extension',
        `chunk extensions longer than ${this.limits.maxChunkExtBytes} bytes`,
      );
    }
  }

  /** Copies trailer bytes up to and including the line's LF, then parses the line. */
  private collectTrailerLine(data: Buffer, pos: number): number {
    const lf = data.indexOf(LF, pos);
    const stop = lf < 0 ? data.length : lf + 1;
    const need = this.trailerLength + (stop - pos);
    if (need > this.limits.maxTrailerBytes) {
      throw new HttpParseError(
        431,
        'trailers-too-large',
        `trailer section larger than ${this.limits.maxTrailerBytes} bytes`,
      );
    }
    if (this.trailerBytes === undefined || this.trailerBytes.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(this.limits.maxTrailerBytes, Math.max(need, 256) * 2));
      if (this.trailerBytes !== undefined) this.trailerBytes.copy(grown, 0, 0, this.trailerLength);
      this.trailerBytes = grown;
    }
    data.copy(this.trailerBytes, this.trailerLength, pos, stop);
    this.trailerLength = need;
    if (lf < 0) return stop;
    const buf = this.trailerBytes;
    const start = this.trailerLineStart;
    const lineEnd = need - 1;
    if (lineEnd === start || buf[lineEnd - 1] !== CR)
      throw badRequest('bare-lf', 'trailer line must end in CRLF');
    const crAt = buf.indexOf(CR, start);
    if (crAt !== lineEnd - 1) throw badRequest('bare-cr', 'a CR inside a trailer line is not accepted');
    if (this.trailers.length >= this.limits.maxTrailerCount * 2) {
      throw new HttpParseError(
        431,
        'too-many-trailers',
        `more than ${this.limits.maxTrailerCount} trailer fields`,
      );
    }
    parseFieldLine(buf, start, lineEnd - 1, this.trailers);
    this.state = State.TrailerLineStart;
    return stop;
  }
}
