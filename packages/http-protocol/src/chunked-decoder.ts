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
  /**
   * Most bytes of chunk extensions on one chunk-size line; the whitespace before them and any
   * leading zeros of the size count too, so the whole line is bounded.
   */
  readonly maxChunkExtBytes: number;
  /** Most bytes in the trailer section. */
  readonly maxTrailerBytes: number;
  /** Most trailer fields. */
  readonly maxTrailerCount: number;
}

enum State {
  SizeFirst,
  Size,
  /** Whitespace after the size (BWS): only more of it or ";" may follow, not CR. */
  SizeSpace,
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ): one state per
  // place in that grammar, so that any split of the line is judged the same.
  /** After ";": whitespace, then a name. */
  ExtBeforeName,
  ExtName,
  /** Whitespace after a name: "=" or ";" must follow (BWS only ever precedes one of them). */
  ExtNameSpace,
  /** After "=": whitespace, then a token or a quoted-string. */
  ExtBeforeValue,
  ExtValue,
  ExtQuoted,
  ExtEscape,
  /** Just after a closing quote: ";", CR or whitespace. */
  ExtQuotedEnd,
  /** Whitespace after a value: ";" must follow. */
  ExtValueSpace,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerEndLf,
  Done,
}

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

// 13 hex digits keep the size below 2^52, inside Number's exact integers. Leading zeros are not
// digits here: they are counted against maxChunkExtBytes instead (see lineBytes).
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
  /**
   * Bytes of the chunk-size line beyond its first digit that are not significant size digits —
   * leading zeros, whitespace after the size, extensions — bounded by maxChunkExtBytes.
   */
  private lineBytes = 0;
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
    this.lineBytes = 0;
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
            // A digit after a size still 0 makes the zero before it a leading zero.
            if (
              this.state === State.Size &&
              this.size === 0 &&
              ++this.lineBytes > this.limits.maxChunkExtBytes
            ) {
              throw badRequest(
                'bad-chunk-size',
                `chunk size with more than ${this.limits.maxChunkExtBytes} leading zeros`,
              );
            }
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
          // chunk-size [ chunk-ext ] CRLF: whitespace may only be the BWS before a ";".
          if (b === CR) badExt('whitespace after the chunk size must be followed by ";"');
          this.afterSize(b);
          pos++;
          break;
        case State.ExtBeforeName:
        case State.ExtName:
        case State.ExtNameSpace:
        case State.ExtBeforeValue:
        case State.ExtValue:
        case State.ExtQuoted:
        case State.ExtEscape:
        case State.ExtQuotedEnd:
        case State.ExtValueSpace:
          this.countExt();
          this.state = nextExtState(this.state, b);
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
          this.lineBytes = 0;
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
    else if (b === SEMICOLON) {
      this.state = State.ExtBeforeName;
      this.countExt();
    } else if (b === SP || b === HTAB) {
      this.state = State.SizeSpace;
      this.countExt();
    } else if (b === LF) throw badRequest('bare-lf', 'chunk-size line must end in CRLF, not a bare LF');
    else throw badRequest('bad-chunk-size', 'chunk size must be hex digits');
  }

  /** Counts a byte of whitespace after the size or of an extension against maxChunkExtBytes. */
  private countExt(): void {
    if (++this.lineBytes > this.limits.maxChunkExtBytes) {
      throw badRequest(
        'bad-chunk-extension',
        `chunk extensions (with the whitespace before them) longer than ${this.limits.maxChunkExtBytes} bytes`,
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

/**
 * One byte of a chunk extension: the state it leads to, or a 400 when the byte breaks the
 * grammar (RFC 9112 §7.1.1; a value is a token or a quoted-string, RFC 9110 §5.6.4).
 */
function nextExtState(state: State, b: number): State {
  const space = b === SP || b === HTAB;
  switch (state) {
    case State.ExtBeforeName:
      if (space) return state;
      if (TOKEN[b] === 1) return State.ExtName;
      return badExt('a chunk extension needs a name (a token) after ";"');
    case State.ExtName:
      if (TOKEN[b] === 1) return state;
      if (b === CR) return State.SizeLf;
      return afterNameOrValue(b, space ? State.ExtNameSpace : State.ExtName, true);
    case State.ExtNameSpace:
      if (space) return state;
      return afterNameOrValue(b, state, true);
    case State.ExtBeforeValue:
      if (space) return state;
      if (TOKEN[b] === 1) return State.ExtValue;
      if (b === DQUOTE) return State.ExtQuoted;
      return badExt('a chunk extension value must be a token or a quoted-string');
    case State.ExtValue:
      if (TOKEN[b] === 1) return state;
      if (b === CR) return State.SizeLf;
      return afterNameOrValue(b, space ? State.ExtValueSpace : State.ExtValue, false);
    case State.ExtQuoted:
      if (b === DQUOTE) return State.ExtQuotedEnd;
      if (b === BACKSLASH) return State.ExtEscape;
      if (QDTEXT[b] === 1) return state;
      return badExt('chunk extension contains a forbidden byte');
    case State.ExtEscape:
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (b === HTAB || (b >= 0x20 && b !== 0x7f)) return State.ExtQuoted;
      return badExt('chunk extension contains a forbidden byte');
    case State.ExtQuotedEnd:
      if (b === CR) return State.SizeLf;
      return afterNameOrValue(b, space ? State.ExtValueSpace : State.ExtQuotedEnd, false);
    case State.ExtValueSpace:
      if (space) return state;
      return afterNameOrValue(b, state, false);
    default:
      throw new Error(`not a chunk-extension state: ${state}`);
  }
}

/**
 * After a name or value (or whitespace after one): `stay` for more whitespace, ";" starts the
 * next extension, and "=" a value when a name came before it. Anything else is refused.
 */
function afterNameOrValue(b: number, stay: State, afterName: boolean): State {
  if (b === SP || b === HTAB) return stay;
  if (b === SEMICOLON) return State.ExtBeforeName;
  if (b === EQUALS && afterName) return State.ExtBeforeValue;
  if (b === CR) return badExt('whitespace at the end of a chunk extension is not accepted');
  return badExt('chunk extension does not follow name[=value] *(;name[=value])');
}

function badExt(message: string): never {
  throw badRequest('bad-chunk-extension', message);
}
