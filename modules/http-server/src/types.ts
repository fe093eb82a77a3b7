import type { HttpRequest } from './request.js';
import type { HttpResponse } from './response.js';

/**
 * Handles one request. Respond through `res` (now or later); a returned promise that rejects
 * before a response was sent becomes a 500 (or the status of an {@link HttpError}).
 */
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

/** Throw this from a handler to answer with a specific status and plain-text message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
