/**
 * SHOW [FULL] PROCESSLIST, answered by the proxy with its own client connections. Forwarded,
 * the server would list its threads: backend thread ids, which KILL through the proxy does not
 * take (its ids are the proxy's), and — under a backend account shared by many users — every
 * other user's statements. Each event thread knows only its clients, so the thread that answers
 * asks the others for theirs (as for a KILL, see kill.ts).
 */
import {
  COM_CHANGE_USER,
  COM_FIELD_LIST,
  COM_INIT_DB,
  COM_QUERY,
  COM_REFRESH,
  COM_RESET_CONNECTION,
  COM_STATISTICS,
  COM_STMT_BULK_EXECUTE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  COM_STMT_RESET,
  COM_STMT_SEND_LONG_DATA,
  CollationId,
  type ColumnDefinition,
  ColumnFlag,
  ColumnType,
  columnDefinition,
  commandName,
} from '@scalestack/mysql-protocol';
import { encodeTextResult, type ResultFraming } from './local-result.js';

/** The topic of every thread's handler (`EventLoopInfo.answer`). */
export const PROCESSLIST_TOPIC = 'database-proxy/processlist';

/** What a thread is asked for: the connections of one user (a user sees only its own). */
export interface ProcesslistRequest {
  user: string;
  /** SHOW FULL PROCESSLIST: statements whole (else their first 100 characters). */
  full: boolean;
}

/** One client connection, as a row of SHOW PROCESSLIST. */
export interface ProcessRow {
  /** The proxy's connection id: the one KILL takes, and the client's greeting gave it. */
  id: number;
  user: string;
  /** `address:port` of the client (`localhost` over a Unix socket). */
  host: string;
  /** The default schema (null: none). */
  db: string | null;
  /** `Sleep` between commands, else the command's name as MariaDB shows it (`Query`, `Execute`…). */
  command: string;
  /** Whole seconds in this command (or, asleep, since the last one). */
  time: number;
  /** What the proxy does for it: queued, running on a server, pinned to one (null: nothing). */
  state: string | null;
  /** The statement's text (a prepared one's for an execute); null asleep or for other commands. */
  info: string | null;
}

/** SHOW PROCESSLIST (without FULL) shows the first 100 characters of a statement, as MariaDB. */
const SHORT_INFO = 100;

/**
 * The text of a COM_QUERY / COM_STMT_PREPARE payload for Info: whole for FULL, else its first
 * 100 characters, decoded from no more bytes than those can take (a 16 MiB INSERT is not).
 */
export function infoText(payload: Buffer, encoding: BufferEncoding, full: boolean): string {
  if (full) return payload.toString(encoding, 1);
  const text = payload.toString(encoding, 1, Math.min(payload.length, 1 + SHORT_INFO * 4));
  if (text.length <= SHORT_INFO) return text;
  // Characters, as MariaDB counts them: a pair of UTF-16 surrogates is one.
  return Array.from(text).slice(0, SHORT_INFO).join('');
}

/** Decimals of a column that has none fixed (strings), as MariaDB sends it. */
const NOT_FIXED = 0x27;

/** A number column as MariaDB's process list declares it (no table, so no original name). */
function numberColumn(name: string, type: number, columnLength: number, decimals = 0): ColumnDefinition {
  return columnDefinition({
    name,
    orgName: '',
    type,
    characterSet: CollationId.BINARY,
    columnLength,
    decimals,
    flags: ColumnFlag.NOT_NULL | ColumnFlag.BINARY,
  });
}

/** A text column of `length` characters in `collation` (lengths in bytes: four a character). */
function textColumn(
  name: string,
  length: number,
  nullable: boolean,
  collation: number,
  type: number = ColumnType.VAR_STRING,
): ColumnDefinition {
  return columnDefinition({
    name,
    orgName: '',
    type,
    characterSet: collation,
    columnLength: length * 4,
    decimals: NOT_FIXED,
    flags: nullable ? 0 : ColumnFlag.NOT_NULL,
  });
}

/** Which columns a client gets, and how. */
export interface ProcesslistColumns {
  /** SHOW FULL PROCESSLIST: Info is a LONGTEXT, as MariaDB declares it (else 100 characters). */
  full: boolean;
  /** The servers are MariaDB: its `Progress` column too (always 0: the proxy has no stages). */
  progress: boolean;
  /** The collation of the text columns (the client's results'), whose encoding their text takes. */
  collation: number;
}

/**
 * MariaDB's SHOW PROCESSLIST columns, declared as it declares them — but State, 64 characters
 * where MariaDB's has 30: the proxy's states are longer.
 */
function processlistColumns({ full, progress, collation }: ProcesslistColumns): ColumnDefinition[] {
  const columns = [
    numberColumn('Id', ColumnType.LONGLONG, 11),
    textColumn('User', 128, false, collation),
    textColumn('Host', 64, false, collation),
    textColumn('db', 64, true, collation),
    textColumn('Command', 16, false, collation),
    numberColumn('Time', ColumnType.LONG, 7),
    textColumn('State', 64, true, collation),
    full
      ? textColumn('Info', 50_331_648, true, collation, ColumnType.LONG_BLOB)
      : textColumn('Info', SHORT_INFO, true, collation),
  ];
  if (progress) columns.push(numberColumn('Progress', ColumnType.DOUBLE, 7, 3));
  return columns;
}

/** A command's name as MariaDB's process list shows it. */
export function commandLabel(command: number): string {
  switch (command) {
    case COM_QUERY:
      return 'Query';
    case COM_STMT_EXECUTE:
    case COM_STMT_BULK_EXECUTE:
      return 'Execute';
    case COM_STMT_PREPARE:
      return 'Prepare';
    case COM_STMT_FETCH:
      return 'Fetch';
    case COM_STMT_SEND_LONG_DATA:
      return 'Long Data';
    case COM_STMT_RESET:
      return 'Reset stmt';
    case COM_INIT_DB:
      return 'Init DB';
    case COM_CHANGE_USER:
      return 'Change user';
    case COM_RESET_CONNECTION:
      return 'Reset connection';
    case COM_FIELD_LIST:
      return 'Field List';
    case COM_STATISTICS:
      return 'Statistics';
    case COM_REFRESH:
      return 'Refresh';
    default:
      return commandName(command);
  }
}

/** The whole text-protocol result set of SHOW [FULL] PROCESSLIST for `rows`, framed. */
export function encodeProcesslist(
  rows: readonly ProcessRow[],
  framing: ResultFraming & ProcesslistColumns,
): Buffer {
  const values = rows.map((r) => {
    const row = [BigInt(r.id), r.user, r.host, r.db, r.command, r.time, r.state, r.info];
    if (framing.progress) row.push('0.000');
    return row;
  });
  return encodeTextResult(processlistColumns(framing), values, framing);
}
