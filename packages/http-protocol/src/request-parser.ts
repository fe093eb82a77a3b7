import { CR, LF } from './chars.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { HttpParseError } from './errors.js';
import { parseHead } from './parse-head.js';
import type { RequestHead } from './request-head.js';

/**
 * What a {@link RequestParser} reports. One object per connection implements it, so parsing
 * allocates no closures per request.
 */
export interface RequestEvents {
  /** A request head was parsed; its body (if any) follows through `onBody`. */
  onHead(head: RequestHead): void;
  /** A slice of the input holding body bytes (de-chunked). Valid until the input is reused. */
  onBody(chunk: Buffer): void;
  /** Trailer fields of a chunked body, flat `[name, value, ...]`. */
  onTrailers?(trailers: string[]): void;
  /** The request (head and body) is complete. */
  onEnd(): void;
  /** The input is malformed; the parser stops. Answer with `error.status` and close. */
  onError(error: HttpParseError): void;
}

/** Limits that keep a parser's memory bounded whatever a client sends. */
export interface ParserLimits {
  /** Most bytes in a request head (request line + header fields). Default 16384. Larger: 431 (414 while still in the request line). */
  readonly maxHeaderBytes?: number;
  /** Most header fields. Default 100. More: 431. */
  readonly maxHeaderCount?: number;
  /**
   * Most bytes of chunk extensions per chunk, counting the whitespace before them and any
   * leading zeros of the chunk size too. Default 4096.
   */
  readonly maxChunkExtBytes?: number;
}

enum State {
  /** Before a request: skipping the empty lines RFC 9112 §2.2 allows between requests. */
  Start,
  /** Saw a CR before a request line; the next byte must be LF. */
  StartLf,
  Head,
  FixedBody,
  ChunkedBody,
  Failed,
}

/**
 * An I/O-free HTTP/1.1 request parser: feed it bytes with {@link execute}, in any split, and it
 * reports heads, body slices and ends through {@link RequestEvents}. Pipelined requests in one
 * buffer are parsed one after another; call {@link pause} from a callback to stop after it
 * (e.g. until the response to the current request is written) and feed the rest later.
 */
export class RequestParser {
  private state = State.Start;
  private paused = false;
  private remaining = 0;
  // A head split across inputs is gathered here (bounded by maxHeaderBytes).
  private headBuf: Buffer | undefined;
  private headLength = 0;
  // Scan state of the head, in offsets relative to the head's first byte.
  private lineStart = 0;
  private lastWasCr = false;
  private readonly chunked: ChunkedDecoder;
  private readonly maxHeaderBytes: number;
  private readonly maxHeaderCount: number;

  constructor(
    private readonly events: RequestEvents,
    limits: ParserLimits = {},
  ) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16384;
    this.maxHeaderCount = limits.maxHeaderCount ?? 100;
    this.chunked = new ChunkedDecoder({
      maxChunkExtBytes: limits.maxChunkExtBytes ?? 4096,
      maxTrailerBytes: this.maxHeaderBytes,
      maxTrailerCount: this.maxHeaderCount,
    });
  }

  /** True after a parse error: the connection must be closed. */
  get failed(): boolean {
    return this.state === State.Failed;
  }

  /** True between requests with no partial request buffered (a clean place to close). */
  get idle(): boolean {
    return this.state === State.Start && this.headLength === 0;
  }

  /** True while a request head is partly received. */
  get inHead(): boolean {
    return this.state === State.Head || this.state === State.StartLf;
  }

  /** Stops {@link execute} after the current callback returns. */
  pause(): void {
    this.paused = true;
  }

  /** Allows {@link execute} to continue; feed it the unconsumed bytes again. */
  resume(): void {
    this.paused = false;
  }

  /**
   * Parses `data`. Returns how many bytes were consumed: all of them, unless a callback called
   * {@link pause} (the rest must be fed again after {@link resume}) or the input was refused.
   */
  execute(data: Buffer): number {
    let pos = 0;
    const end = data.length;
    try {
      while (pos < end && !this.paused) {
        switch (this.state) {
          case State.Start: {
            const b = data[pos];
            if (b === CR) {
              this.state = State.StartLf;
              pos++;
            } else if (b === LF) {
              throw new HttpParseError(400, 'bare-lf', 'a bare LF before the request line is not accepted');
            } else {
              this.state = State.Head;
              this.lineStart = 0;
              this.lastWasCr = false;
            }
            break;
          }
          case State.StartLf:
            if (data[pos] !== LF) throw new HttpParseError(400, 'bare-cr', 'a CR not followed by LF');
            this.state = State.Start;
            pos++;
            break;
          case State.Head:
            pos = this.scanHead(data, pos);
            break;
          case State.FixedBody: {
            const take = Math.min(this.remaining, end - pos);
            this.remaining -= take;
            const chunk = data.subarray(pos, pos + take);
            pos += take;
            this.events.onBody(chunk);
            if (this.remaining === 0) this.finish();
            break;
          }
          case State.ChunkedBody:
            pos = this.chunked.decode(data, pos, this);
            if (this.chunked.done) this.finish();
            break;
          case State.Failed:
            return pos;
        }
      }
    } catch (error) {
      if (!(error instanceof HttpParseError)) throw error;
      this.state = State.Failed;
      this.events.onError(error);
    }
    return pos;
  }

  /** Called by the chunked decoder (this object is its sink). */
  onBody(chunk: Buffer): void {
    this.events.onBody(chunk);
  }

  /** Called by the chunked decoder. */
  onTrailers(trailers: string[]): void {
    this.events.onTrailers?.(trailers);
  }

  /**
   * Looks for the empty line ending the head, checking that every LF follows a CR. A head
   * wholly inside `data` is parsed in place; otherwise it is gathered into `headBuf`.
   */
  private scanHead(data: Buffer, pos: number): number {
    const base = pos - this.headLength; // data offset of the head's first byte (may be negative)
    let i = pos;
    for (;;) {
      const lf = data.indexOf(LF, i);
      if (lf < 0) break;
      const offset = lf - base;
      const prevCr = lf > pos ? data[lf - 1] === CR : this.lastWasCr;
      if (!prevCr) throw new HttpParseError(400, 'bare-lf', 'a header line must end in CRLF, not a bare LF');
      if (offset + 1 > this.maxHeaderBytes) this.tooLarge();
      if (offset - this.lineStart === 1) {
        // Empty line: the head is complete.
        const after = lf + 1;
        let head: RequestHead;
        if (this.headLength === 0) {
          head = parseHead(data, pos, lf - 1, { maxHeaderCount: this.maxHeaderCount });
        } else {
          this.append(data, pos, after);
          head = parseHead(this.headBuf!, 0, this.headLength - 2, { maxHeaderCount: this.maxHeaderCount });
          this.headLength = 0;
        }
        this.startBody(head);
        return after;
      }
      this.lineStart = offset + 1;
      i = lf + 1;
    }
    if (this.headLength + (data.length - pos) > this.maxHeaderBytes) this.tooLarge();
    this.append(data, pos, data.length);
    this.lastWasCr = data[data.length - 1] === CR;
    return data.length;
  }

  private append(data: Buffer, from: number, to: number): void {
    const need = this.headLength + (to - from);
    if (this.headBuf === undefined || this.headBuf.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxHeaderBytes, Math.max(1024, need * 2)));
      if (this.headBuf !== undefined) this.headBuf.copy(grown, 0, 0, this.headLength);
      this.headBuf = grown;
    }
    data.copy(this.headBuf, this.headLength, from, to);
    this.headLength = need;
  }

  private tooLarge(): never {
    if (this.lineStart === 0) {
      throw new HttpParseError(
        414,
        'request-line-too-long',
        `request line longer than ${this.maxHeaderBytes} bytes`,
      );
    }
    throw new HttpParseError(
      431,
      'headers-too-large',
      `request head larger than ${this.maxHeaderBytes} bytes`,
    );
  }

  private startBody(head: RequestHead): void {
    this.events.onHead(head);
    if (head.contentLength === 0) {
      this.finish();
    } else if (head.contentLength > 0) {
      this.remaining = head.contentLength;
      this.state = State.FixedBody;
    } else {
      this.chunked.reset();
      this.state = State.ChunkedBody;
    }
  }

  private finish(): void {
    this.state = State.Start;
    this.events.onEnd();
  }
}
