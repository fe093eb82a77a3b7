/** Server status flags (int<2> in OK and EOF packets) and helpers a proxy decides with. */

export const SERVER_STATUS_IN_TRANS = 0x1;
export const SERVER_STATUS_AUTOCOMMIT = 0x2;
export const SERVER_MORE_RESULTS_EXISTS = 0x8;
export const SERVER_QUERY_NO_GOOD_INDEX_USED = 0x10;
export const SERVER_QUERY_NO_INDEX_USED = 0x20;
export const SERVER_STATUS_CURSOR_EXISTS = 0x40;
export const SERVER_STATUS_LAST_ROW_SENT = 0x80;
export const SERVER_STATUS_DB_DROPPED = 0x100;
export const SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x200;
export const SERVER_STATUS_METADATA_CHANGED = 0x400;
export const SERVER_QUERY_WAS_SLOW = 0x800;
export const SERVER_PS_OUT_PARAMS = 0x1000;
export const SERVER_STATUS_IN_TRANS_READONLY = 0x2000;
export const SERVER_SESSION_STATE_CHANGED = 0x4000;
/** MariaDB: the session's sql_mode has ANSI_QUOTES (`"…"` is a name, not a string). */
export const SERVER_STATUS_ANSI_QUOTES = 0x8000;

/** A transaction is open (explicit, or implicit with autocommit off after a statement). */
export function inTransaction(status: number): boolean {
  return (status & SERVER_STATUS_IN_TRANS) !== 0;
}

export function autocommit(status: number): boolean {
  return (status & SERVER_STATUS_AUTOCOMMIT) !== 0;
}

/** Another result follows this one (multi-statements, CALL). */
export function moreResults(status: number): boolean {
  return (status & SERVER_MORE_RESULTS_EXISTS) !== 0;
}

/** The statement changed session state; the OK packet carries the changes under SESSION_TRACK. */
export function sessionStateChanged(status: number): boolean {
  return (status & SERVER_SESSION_STATE_CHANGED) !== 0;
}

/** A server-side cursor is open (COM_STMT_EXECUTE with a cursor, fetch pending). */
export function cursorExists(status: number): boolean {
  return (status & SERVER_STATUS_CURSOR_EXISTS) !== 0;
}

export function lastRowSent(status: number): boolean {
  return (status & SERVER_STATUS_LAST_ROW_SENT) !== 0;
}

export function noBackslashEscapes(status: number): boolean {
  return (status & SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0;
}

/** The result carries OUT parameters of a CALL through the binary protocol. */
export function psOutParams(status: number): boolean {
  return (status & SERVER_PS_OUT_PARAMS) !== 0;
}
