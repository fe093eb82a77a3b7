/**
 * Every error the proxy itself sends to clients, as MySQL ERR packets. Codes from the server's
 * own range are used where the meaning is the same (so drivers and ORMs react as they already
 * do); the proxy's own conditions use 9000–9099, a range no MySQL or MariaDB server uses.
 * The module README has this table; keep the two in step.
 */
export interface ProxyErrorCode {
  readonly code: number;
  readonly sqlState: string;
  /** Message template; `%s` is replaced in order. */
  readonly message: string;
}

export const ProxyError = {
  /** Wrong user or password at the proxy. */
  accessDenied: {
    code: 1045,
    sqlState: '28000',
    message: "Access denied for user '%s'@'%s' (using password: %s)",
  },
  /** The user's max_connections is reached. */
  tooManyConnections: {
    code: 1040,
    sqlState: '08004',
    message: 'Too many connections for user %s (limit %s)',
  },
  /** The listener's max_connections is reached (MariaDB's own text, with the limit). */
  listenerFull: {
    code: 1040,
    sqlState: '08004',
    message: 'Too many connections (the proxy takes %s)',
  },
  /** A login whose character set cannot be a client's (ucs2, utf16, utf16le, utf32), as MariaDB refuses it. */
  clientCharsetRefused: {
    code: 1231,
    sqlState: '42000',
    message: "Variable 'character_set_client' can't be set to the value of '%s'",
  },
  /** A login naming a database that does not exist (checked on a backend), as MariaDB refuses it. */
  unknownDatabase: { code: 1049, sqlState: '42000', message: "Unknown database '%s'" },
  /** A login naming a database the user's backend account may not use, as MariaDB refuses it. */
  databaseAccessDenied: {
    code: 1044,
    sqlState: '42000',
    message: "Access denied for user '%s'@'%s' to database '%s'",
  },
  /** Unknown command byte. */
  unknownCommand: { code: 1047, sqlState: '08S01', message: 'Unknown command %s' },
  /** A command packet whose sequence id is not 0 (the client lost count: its stream cannot be trusted). */
  packetsOutOfOrder: { code: 1156, sqlState: '08S01', message: 'Got packets out of order' },
  /** A malformed packet from the client. */
  malformedPacket: { code: 1835, sqlState: '08S01', message: 'Malformed communication packet: %s' },
  /** A packet larger than the proxy's max_packet_size. */
  packetTooLarge: {
    code: 1153,
    sqlState: '08S01',
    message: "Got a packet bigger than 'max_allowed_packet' bytes (%s)",
  },
  /** No backend connection became free within the queue timeout. */
  queueTimeout: {
    code: 9001,
    sqlState: 'HY000',
    message: 'Proxy: no backend connection free within %s ms (tenant %s)',
  },
  /** The wait queue is full. */
  queueFull: {
    code: 9002,
    sqlState: 'HY000',
    message: 'Proxy: too many requests waiting for a backend (tenant %s, limit %s)',
  },
  /** The tenant's rate limit refused the request. */
  rateLimited: { code: 9003, sqlState: 'HY000', message: 'Proxy: rate limit exceeded for tenant %s' },
  /** No backend server is reachable. */
  backendUnavailable: { code: 9004, sqlState: '08S01', message: 'Proxy: no backend server available: %s' },
  /** The backend connection was lost after the request was sent: it is not replayed. */
  backendLost: {
    code: 9005,
    sqlState: '08S01',
    message: 'Proxy: lost the backend connection during the query; it was not retried (%s)',
  },
  /**
   * The backend connection holding the session's state (a transaction, variables, locks…) was
   * lost: going on elsewhere without it would run the client's next statements outside the
   * transaction it believes open (its COMMIT answered OK for writes that are gone), so the
   * connection is closed after this, as when a server dies.
   */
  sessionLost: {
    code: 9008,
    sqlState: '08S01',
    message:
      'Proxy: lost the backend connection that held this session (%s); the statement was not retried, %s, and the connection is closed (%s)',
  },
  /** The proxy is shedding load (event-loop delay over its bound). */
  overloaded: {
    code: 9006,
    sqlState: 'HY000',
    message: 'Proxy: overloaded (event-loop delay %s ms over %s ms); retry later',
  },
  /**
   * The server refused the BEGIN the proxy answered for it (lazy BEGIN): the client believes it
   * is in a transaction that does not exist, so its connection is closed after this.
   */
  beginRefused: {
    code: 9007,
    sqlState: '08S01',
    message: "Proxy: the server refused the transaction's BEGIN (%s: %s); closing the connection",
  },
  /**
   * A statement of a transaction the proxy had rolled back: one of its statements was refused
   * for want of a backend before the transaction held anything on a server (see ClientSession's
   * failsTransaction). Statements are refused until the client ends the transaction, so that
   * one pipelining its statements and COMMIT never commits the transaction without that one.
   * SQLSTATE 40001, a rolled-back transaction's, as MariaDB's deadlock: run it again whole.
   */
  transactionAborted: {
    code: 9009,
    sqlState: '40001',
    message:
      'Proxy: statement refused: this transaction was rolled back after ERR %s for an earlier statement of it; end it with ROLLBACK (or BEGIN the next one)',
  },
  /** The COMMIT of such a transaction: nothing of it was committed, and it is over. */
  commitOfAborted: {
    code: 9009,
    sqlState: '40001',
    message:
      'Proxy: nothing committed: this transaction was rolled back after ERR %s for a statement of it; run it again',
  },
  /** A fault of the proxy's own met while handling the client's input: the connection is closed. */
  internal: {
    code: 1105,
    sqlState: 'HY000',
    message: 'Internal error in the proxy (logged there); the connection is closed',
  },
  /** The proxy is draining for shutdown. */
  shuttingDown: { code: 1053, sqlState: '08S01', message: 'Server shutdown in progress' },
  /** A feature the proxy does not support. */
  unsupported: {
    code: 1235,
    sqlState: '42000',
    message: 'This version of the proxy does not yet support %s',
  },
} as const satisfies Record<string, ProxyErrorCode>;

/** An error the proxy answers with: its code and the values for its message's `%s`. */
export interface ProxyRefusal {
  readonly code: ProxyErrorCode;
  readonly args: (string | number)[];
  /** The ERR's sequence id, when it is not the first answer's (1). */
  readonly sequenceId?: number;
}

/** Fills a message template. */
export function formatProxyError(e: ProxyErrorCode, ...args: (string | number)[]): string {
  let i = 0;
  return e.message.replace(/%s/g, () => String(args[i++] ?? ''));
}
