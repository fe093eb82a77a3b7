/**
 * A request the parser refuses. `status` is the response the server should send before closing
 * the connection (400, 414, 431, 501 or 505); `code` is a stable machine-readable reason.
 */
export class HttpParseError extends Error {
  constructor(
    readonly status: 400 | 414 | 431 | 501 | 505,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpParseError';
  }
}

/** Shorthand for the common case: a 400 Bad Request with a reason. */
export function badRequest(code: string, message: string): HttpParseError {
  return new HttpParseError(400, code, message);
}
