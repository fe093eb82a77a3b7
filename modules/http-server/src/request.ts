import { getHeader, type RequestHead } from '@scalestack/http-protocol';
import { BODY_HIGH_WATER, BodyCollector, BodyQueue } from './body-queue.js';
import { HttpError } from './types.js';

/** What a request needs from its connection to stream its body. */
export interface BodySource {
  /** Called on the first body read: sends `100 Continue` when the client waits for it. */
  bodyWanted(): void;
  /** Stops reading the socket while the handler has too much body queued. */
  pauseBody(): void;
  resumeBody(): void;
}

/**
 * A request as handlers see it: head fields, route params, and the body as a stream of Buffer
 * slices (`for await (const chunk of req)`) or collected with {@link body} / {@link text}.
 */
export class HttpRequest implements AsyncIterable<Buffer> {
  readonly method: string;
  /** The request-target as received (`/path?query`). */
  readonly target: string;
  /** The path part of the target, still percent-encoded. */
  readonly path: string;
  /** The query string without `?` (empty when absent). */
  readonly query: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: 0 | 1;
  /** Header fields, flat `[name, value, ...]`, names as sent. */
  readonly headers: readonly string[];
  /** Route parameters (`:name` → value, percent-decoded). */
  params: Record<string, string> = {};
  /** Trailer fields of a chunked body, once it has ended. */
  trailers: readonly string[] = [];
  /** Body length announced by Content-Length, or -1 for chunked. */
  readonly contentLength: number;

  /** Body bytes not read yet; its cost (bytes plus a per-slice overhead) drives pause/resume. */
  private readonly queue = new BodyQueue();
  private ended: boolean;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private wanted = false;
  private discarding = false;

  constructor(
    head: RequestHead,
    private readonly source: BodySource,
    private readonly maxBodyBytes: number,
  ) {
    this.method = head.method;
    this.target = head.target;
    const q = head.target.indexOf('?');
    this.path = q < 0 ? head.target : head.target.slice(0, q);
    this.query = q < 0 ? '' : head.target.slice(q + 1);
    this.versionMinor = head.versionMinor;
    this.headers = head.headers;
    this.contentLength = head.contentLength;
    this.ended = head.contentLength === 0;
  }

  /** The first value of a header field (case-insensitive name). */
  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  /** True once the whole body has arrived. */
  get complete(): boolean {
    return this.ended;
  }

  /**
   * Collects the body into one Buffer; rejects with a 413 {@link HttpError} past `limit` payload
   * bytes (the per-slice overhead counts for backpressure only, not toward this limit).
   */
  async body(limit = this.maxBodyBytes): Promise<Buffer> {
    if (this.contentLength > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    const collected = new BodyCollector(Math.max(this.contentLength, 0), limit);
    for await (const chunk of this) {
      if (collected.length + chunk.length > limit) {
        throw new HttpError(413, `request body larger than ${limit} bytes`);
      }
      collected.append(chunk);
    }
    return collected.result();
  }

  /** The body decoded as UTF-8. */
  async text(limit?: number): Promise<string> {
    return (await this.body(limit)).toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (!this.wanted) {
      this.wanted = true;
      if (!this.ended) this.source.bodyWanted();
    }
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        if (this.queue.cost < BODY_HIGH_WATER / 2) this.source.resumeBody();
        yield chunk;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** @internal From the connection: the response is done, drop queued and further body bytes. */
  discard(): void {
    this.discarding = true;
    this.queue.clear();
  }

  /** @internal From the connection: a slice of body bytes. */
  push(chunk: Buffer): void {
    if (this.discarding) return;
    this.queue.push(chunk);
    if (this.queue.cost > BODY_HIGH_WATER) this.source.pauseBody();
    this.wake();
  }

  /** @internal From the connection: the body is complete. */
  end(trailers: readonly string[] | undefined): void {
    if (trailers) this.trailers = trailers;
    this.ended = true;
    this.wake();
  }

  /** @internal From the connection: the body will never complete (connection lost). */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w();
    }
  }
}
