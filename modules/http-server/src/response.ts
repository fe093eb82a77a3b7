import {
  CHUNK_END,
  checkHeaderField,
  chunkHeader,
  LAST_CHUNK,
  serializeResponseHead,
} from '@scalestack/http-protocol';

/** What a response needs from its connection. */
export interface ResponseSink {
  /** The current `Date` header value (refreshed once a second by the server). */
  readonly date: string;
  /** Whether the connection may stay open after this response (false when draining too). */
  keepAliveAfter(): boolean;
  /** The client connection is gone: nothing written reaches it any more. */
  readonly closed: boolean;
  write(data: string | Buffer, encoding?: BufferEncoding): boolean;
  cork(): void;
  uncork(): void;
  /** Resolves when the socket's write buffer drained; rejects once the connection closed. */
  drained(): Promise<void>;
  /** The response has been completely written. */
  responseFinished(closeAfter: boolean): void;
}

enum Framing {
  None,
  Length,
  Chunked,
  Close,
}

/**
 * The response to one request. Either {@link send} a whole body (sets Content-Length) or stream
 * with {@link write} and {@link end} (chunked for HTTP/1.1, close-delimited for HTTP/1.0 unless
 * a Content-Length was set). For HEAD requests the body is counted but not sent.
 */
export class HttpResponse {
  statusCode = 200;
  private readonly fields: string[] = [];
  private sent = false;
  private done = false;
  private framing = Framing.None;
  private closeAfter = false;

  constructor(
    private readonly sink: ResponseSink,
    private readonly isHead: boolean,
    private readonly versionMinor: 0 | 1,
  ) {}

  /** Bytes a streamed body still owes its handler-set Content-Length (-1: none set). */
  private lengthLeft = -1;

  /** True once the status line and headers were written. */
  get headersSent(): boolean {
    return this.sent;
  }

  /** True once the response was completely written. */
  get finished(): boolean {
    return this.done;
  }

  /** True once the client connection is gone: a streaming handler should stop producing. */
  get closed(): boolean {
    return this.sink.closed;
  }

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  /**
   * Sets a header field, replacing any earlier value of the same name. `Transfer-Encoding` is
   * the server's (it frames the body); `Connection: close` closes the connection after this
   * response.
   */
  setHeader(name: string, value: string | number): this {
    if (this.sent) throw new Error('headers already sent');
    const text = String(value);
    // Refused here, in the handler's own call (and so a 500), not when the head is written.
    checkHeaderField(name, text);
    checkFramingField(name);
    return this.put(name, text);
  }

  /** setHeader for fields the server builds itself (nothing to check). */
  private put(name: string, value: string): this {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.fields.length; i += 2) {
      if (this.fields[i].toLowerCase() === lower) {
        this.fields[i + 1] = value;
        return this;
      }
    }
    this.fields.push(name, value);
    return this;
  }

  /**
   * Adds a header field even if one of the same name exists (e.g. Set-Cookie). A first
   * `Content-Length` is set as by {@link setHeader}; a second one throws, and so does
   * `Transfer-Encoding`.
   */
  appendHeader(name: string, value: string | number): this {
    if (this.sent) throw new Error('headers already sent');
    const text = String(value);
    checkHeaderField(name, text);
    checkFramingField(name);
    // Two would contradict each other: a client may read either, and a proxy in front the
    // other — the stuff of response splitting. One alone frames the body like any other.
    if (name.toLowerCase() === 'content-length' && this.getHeader(name) !== undefined)
      throw new Error('Content-Length is already set: use setHeader() to replace it');
    this.fields.push(name, text);
    return this;
  }

  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.fields.length; i += 2)
      if (this.fields[i].toLowerCase() === lower) return this.fields[i + 1];
    return undefined;
  }

  /** Sends a complete response with `body` and ends it. */
  send(body: string | Buffer = '', contentType?: string): void {
    if (this.done) throw new Error('response already finished');
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
    const noBody = hasNoBody(this.statusCode);
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (!noBody) this.put('Content-Length', String(length));
    this.sink.cork();
    try {
      this.writeHead();
      this.framing = Framing.Length;
      if (!noBody && !this.isHead && length > 0) this.sink.write(body);
    } finally {
      this.sink.uncork();
    }
    this.finish();
  }

  /** Sends `value` as JSON. */
  json(value: unknown): void {
    this.send(JSON.stringify(value), 'application/json');
  }

  /**
   * Writes part of a streamed body. Returns false when the socket's buffer is full: wait for
   * {@link drained} before writing more.
   */
  write(chunk: string | Buffer): boolean {
    if (this.done) throw new Error('response already finished');
    if (hasNoBody(this.statusCode) && (typeof chunk === 'string' ? chunk.length : chunk.byteLength) > 0) {
      // Its bytes would be read as the start of the next response on the connection.
      throw new Error(`a ${this.statusCode} response has no body`);
    }
    if (!this.sent) this.startStream();
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.length === 0 || this.isHead) return true;
    if (this.lengthLeft >= 0) {
      // More than the Content-Length the handler set would run into the next response.
      if (data.length > this.lengthLeft) {
        throw new RangeError(
          `response body longer than its Content-Length (${data.length} bytes over ${this.lengthLeft} left)`,
        );
      }
      this.lengthLeft -= data.length;
    }
    if (this.framing === Framing.Chunked) {
      this.sink.cork();
      this.sink.write(chunkHeader(data.length), 'latin1');
      this.sink.write(data);
      const ok = this.sink.write(CHUNK_END, 'latin1');
      this.sink.uncork();
      return ok;
    }
    return this.sink.write(data);
  }

  /**
   * Resolves when the connection can take more data. Rejects with a
   * {@link ConnectionClosedError} once the client connection is gone (a client that takes none
   * of a stream for `send_timeout` is closed too), which ends a `write` / `drained` loop. Await
   * it or catch it: a `.then()` alone turns a client going away into an unhandled rejection.
   */
  drained(): Promise<void> {
    return this.sink.drained();
  }

  /** Ends the response, optionally with a last piece of body. */
  end(chunk?: string | Buffer): void {
    if (this.done) return;
    if (!this.sent && this.framing === Framing.None) {
      this.send(chunk ?? '');
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    if (this.framing === Framing.Chunked && !this.isHead) this.sink.write(LAST_CHUNK);
    // Shorter than its Content-Length: the client waits for bytes that never come, and would
    // read the next response as the rest of this one. Closing is the only honest end.
    if (this.lengthLeft > 0 && !this.isHead) this.closeAfter = true;
    this.finish();
  }

  private startStream(): void {
    if (hasNoBody(this.statusCode)) {
      this.writeHead();
      this.framing = Framing.Length;
      return;
    }
    const length = this.getHeader('content-length');
    if (length !== undefined) {
      this.framing = Framing.Length;
      const n = Number(length);
      if (Number.isSafeInteger(n) && n >= 0) this.lengthLeft = n;
    } else if (this.versionMinor === 1) {
      this.framing = Framing.Chunked;
      this.put('Transfer-Encoding', 'chunked');
    } else {
      this.framing = Framing.Close;
      this.closeAfter = true;
    }
    this.writeHead();
  }

  private writeHead(): void {
    // A handler's Connection field says close or nothing: whether the connection stays open is
    // the server's to say, in one field (two contradicting ones leave the client guessing).
    for (let i = this.fields.length - 2; i >= 0; i -= 2) {
      if (this.fields[i].toLowerCase() !== 'connection') continue;
      if (/(?:^|,)\s*close\s*(?:,|$)/i.test(this.fields[i + 1])) this.closeAfter = true;
      this.fields.splice(i, 2);
    }
    if (!this.closeAfter && !this.sink.keepAliveAfter()) this.closeAfter = true;
    const fields = this.fields.concat('Date', this.sink.date);
    if (this.closeAfter) fields.push('Connection', 'close');
    else if (this.versionMinor === 0) fields.push('Connection', 'keep-alive');
    const head = serializeResponseHead(this.statusCode, fields);
    this.sent = true;
    this.sink.write(head, 'latin1');
  }

  private finish(): void {
    this.done = true;
    this.sink.responseFinished(this.closeAfter);
  }
}

/** 1xx, 204 and 304 responses end at their head (RFC 9112 §6.3): a body has no place. */
function hasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/**
 * Refuses Transfer-Encoding when a handler sets it: it is the server's, which frames a streamed
 * body itself (beside a Content-Length, or over an unchunked body, it misframes the answer).
 */
function checkFramingField(name: string): void {
  if (name.toLowerCase() === 'transfer-encoding')
    throw new Error('Transfer-Encoding is set by the server: stream with write() for a chunked body');
}
