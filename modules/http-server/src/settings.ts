/** Limits and timeouts of an HTTP server; every field has a default. Times in milliseconds. */
export interface ServerSettings {
  /** Connections open at once; more are answered 503 and closed. */
  readonly maxConnections: number;
  /** Time to receive a whole request head, from its first byte (slowloris defence). */
  readonly headersTimeout: number;
  /** Time to receive a request body, from the end of its head; 0 disables. */
  readonly requestTimeout: number;
  /** Idle time allowed between requests on a kept-alive connection. */
  readonly keepAliveTimeout: number;
  /**
   * Time a client may take none of an answer written for it (it is not reading): the connection
   * is closed after it. A client that reads, however slowly, is not cut.
   */
  readonly sendTimeout: number;
  /** Most bytes in a request head (431 beyond). */
  readonly maxHeaderBytes: number;
  /** Most header fields in a request (431 beyond). */
  readonly maxHeaderCount: number;
  /** Default limit for `req.body()` (413 beyond). */
  readonly maxBodyBytes: number;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  maxConnections: 10_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  sendTimeout: 60_000,
  maxHeaderBytes: 16_384,
  maxHeaderCount: 100,
  maxBodyBytes: 1_048_576,
};
