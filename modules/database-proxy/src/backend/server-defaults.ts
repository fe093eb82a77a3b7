/**
 * Server-wide defaults that change what BEGIN and COMMIT do, read once per server at start.
 * Lazy BEGIN answers BEGIN and an empty COMMIT the way a server with stock settings would; a
 * server whose global settings say otherwise must answer them itself.
 */

/**
 * One statement for MariaDB and MySQL alike: `SHOW … WHERE` names variables that only one of
 * them has (`tx_read_only` / `transaction_read_only`) without failing on the other.
 */
export const SERVER_DEFAULTS_SQL =
  "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('autocommit', 'completion_type', 'sql_mode', 'tx_read_only', 'transaction_read_only', 'read_only')";

/** What {@link SERVER_DEFAULTS_SQL} found; absent variables keep the stock value. */
export interface ServerDefaults {
  /** `NO_CHAIN`, `CHAIN` or `RELEASE` (numeric forms are normalised). */
  completionType: string;
  sqlMode: string;
  /** Transactions are READ ONLY unless the client says otherwise. */
  readOnly: boolean;
  /** Sessions start with autocommit on. */
  autocommit: boolean;
  /** The server takes no writes (`read_only`: a replica, typically). */
  serverReadOnly: boolean;
}

export const STOCK_DEFAULTS: ServerDefaults = {
  completionType: 'NO_CHAIN',
  sqlMode: '',
  readOnly: false,
  autocommit: true,
  serverReadOnly: false,
};

const COMPLETION_TYPES = ['NO_CHAIN', 'CHAIN', 'RELEASE'];

/** Reads the `[Variable_name, Value]` rows of {@link SERVER_DEFAULTS_SQL}. */
export function parseServerDefaults(rows: readonly (readonly (string | null)[])[]): ServerDefaults {
  const d = { ...STOCK_DEFAULTS };
  for (const [name, value] of rows) {
    if (value === null || value === undefined) continue;
    switch (name?.toLowerCase()) {
      case 'completion_type': {
        const v = value.trim().toUpperCase();
        d.completionType = COMPLETION_TYPES[Number(v)] ?? v;
        break;
      }
      case 'sql_mode':
        d.sqlMode = value;
        break;
      case 'autocommit':
        d.autocommit = !/^(?:OFF|0)$/i.test(value.trim());
        break;
      case 'read_only':
        d.serverReadOnly = /^(?:ON|1)$/i.test(value.trim());
        break;
      case 'tx_read_only':
      case 'transaction_read_only':
        d.readOnly ||= /^(?:ON|1)$/i.test(value.trim());
        break;
    }
  }
  return d;
}

/** Whether the server's default sql_mode includes `mode` (upper case, e.g. `ORACLE`). */
export function sqlModeHas(d: ServerDefaults, mode: string): boolean {
  return d.sqlMode.split(',').some((m) => m.trim().toUpperCase() === mode);
}

/**
 * Why the proxy must not answer BEGIN / COMMIT for this server, or undefined when it may:
 * CHAIN opens a new transaction at every COMMIT, RELEASE ends the session, ORACLE mode parses
 * BEGIN as the start of a block, and a read-only or autocommit-off default shows in BEGIN's
 * status flags (with autocommit off every statement opens a transaction, pinning its client).
 */
export function lazyBeginBlocker(d: ServerDefaults): string | undefined {
  if (d.completionType !== 'NO_CHAIN') return `completion_type is ${d.completionType}`;
  if (sqlModeHas(d, 'ORACLE')) return 'sql_mode includes ORACLE';
  if (d.readOnly) return 'transactions are read only by default';
  if (!d.autocommit) return 'autocommit is off by default';
  return undefined;
}
