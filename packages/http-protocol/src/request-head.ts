/** A parsed request head: request line, header fields and the framing decided from them. */
export interface RequestHead {
  /** The method token, case preserved (methods are case-sensitive). */
  readonly method: string;
  /** The request-target as received: origin-form (`/path?query`) or `*` for OPTIONS. */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: 0 | 1;
  /** Header fields as a flat list `[name, value, name, value, ...]`; names keep their case. */
  readonly headers: string[];
  /** Body length in bytes, or -1 for a chunked body. */
  readonly contentLength: number;
  /** Whether the connection may carry another request after this one. */
  readonly keepAlive: boolean;
  /** The client sent `Expect: 100-continue` (HTTP/1.1 only) and waits before sending the body. */
  readonly expectContinue: boolean;
}

/** Returns the first value of header `name` (case-insensitive) in a flat header list. */
export function getHeader(headers: readonly string[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i];
    if (n.length === lower.length && n.toLowerCase() === lower) return headers[i + 1];
  }
  return undefined;
}
