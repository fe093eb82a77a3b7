/** What timed out: connecting, a TLS handshake, or a connection that stayed idle. */
export type TimeoutKind = 'connect' | 'handshake' | 'idle';

/** A socket operation that did not complete in time; `code` is `ETIMEDOUT`. */
export class SocketTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly kind: TimeoutKind,
    readonly ms: number,
    readonly peer: string,
  ) {
    super(`${describe(kind)} ${peer} timed out after ${ms}ms`);
    this.name = 'SocketTimeoutError';
  }
}

function describe(kind: TimeoutKind): string {
  switch (kind) {
    case 'connect':
      return 'connecting to';
    case 'handshake':
      return 'TLS handshake with';
    case 'idle':
      return 'idle connection with';
  }
}

/** Listening failed; the message names the address and the reason (`address already in use`). */
export class ListenError extends Error {
  constructor(
    readonly address: string,
    reason: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(`cannot listen on ${address}: ${reason}`, options);
    this.name = 'ListenError';
  }
}

/** Connecting failed; the message names the address and the system error. */
export class ConnectError extends Error {
  constructor(
    readonly address: string,
    reason: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(`cannot connect to ${address}: ${reason}`, options);
    this.name = 'ConnectError';
  }
}

/** A short reason for a Node system error: `address already in use (EADDRINUSE)`. */
export function systemReason(err: unknown): { reason: string; code?: string } {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'address not available on this host',
    ECONNREFUSED: 'connection refused',
    ENOENT: 'no such file or directory',
    ENOTFOUND: 'host not found',
    EHOSTUNREACH: 'host unreachable',
    ECONNRESET: 'connection reset by peer',
  };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && known[code]) return { reason: `${known[code]} (${code})`, code };
  return { reason: e?.message ?? String(err), code };
}
