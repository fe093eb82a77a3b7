import type { HttpRequest } from './request.js';
import type { HttpResponse } from './response.js';

/**
 * Handles one request. Respond through `res` (now or later); a returned promise that rejects
 * before a response was sent becomes a 500 (or the status of an {@link HttpError}).
 */
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

/** Throw this from a handler to answer with a specific status and plain-text message. */
/**
 * The client's connection closed before the response was complete: what {@link
 * HttpResponse.drained} rejects with, so a streaming handler stops instead of writing into
 * nothing (a write there returns false at once, and a loop waiting for drains would spin).
 */
export class ConnectionClosedError extends Error {
  constructor() {
    super('the client connection closed before the response was complete');
    this.name = 'ConnectionClosedError';
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
