/**
 * Why a client holds a backend connection beyond one statement. Pins are counted per reason and
 * exposed as metrics: silent loss of multiplexing is the most common complaint about MySQL
 * proxies, so every pin must be visible and explainable.
 */
export const PIN_REASONS = [
  /** An open transaction (SERVER_STATUS_IN_TRANS), or an error left its state unknown. */
  'transaction',
  /** autocommit=0: every statement opens an implicit transaction. */
  'autocommit_off',
  /** A user variable was set or read (`@v`): it lives on one connection. */
  'user_variable',
  /** CREATE TEMPORARY TABLE. */
  'temporary_table',
  /** LOCK TABLES, until UNLOCK TABLES. */
  'table_lock',
  /** FLUSH TABLES WITH READ LOCK, until UNLOCK TABLES. */
  'global_read_lock',
  /** GET_LOCK(), until RELEASE_ALL_LOCKS() or the session ends. */
  'advisory_lock',
  /** SQL-level PREPARE. */
  'sql_prepare',
  /** HANDLER … OPEN. */
  'handler',
  /** XA transaction branch. */
  'xa',
  /** SET TRANSACTION (next transaction's characteristics). */
  'next_transaction',
  /** A variable the proxy will not replay elsewhere (sql_log_bin, session_track_*, …). */
  'unreplayable_variable',
  /** The server reported a session-state change the proxy cannot model. */
  'session_state',
  /** A SET or CALL on a backend without session tracking: the change cannot be seen. */
  'untracked_state',
  /** The previous statement left results (warnings, ROW_COUNT, FOUND_ROWS, LAST_INSERT_ID) only this backend holds. */
  'previous_result',
  /** A server-side cursor is open (COM_STMT_EXECUTE with a cursor). */
  'cursor',
  /** COM_STMT_SEND_LONG_DATA sent parameter data that waits for the execute. */
  'long_data',
  /**
   * BACKUP LOCK (MariaDB) / LOCK INSTANCE FOR BACKUP (MySQL), until BACKUP UNLOCK / UNLOCK
   * INSTANCE: independent of table locks, which UNLOCK TABLES releases without touching it.
   */
  'backup_lock',
  /**
   * A SAVEPOINT with autocommit off before the transaction read or wrote a table: MariaDB keeps
   * the savepoint but reports no transaction (IN_TRANS) until then. Until the transaction is
   * reported (then `transaction` holds), or ends: COMMIT, ROLLBACK, BEGIN, autocommit on.
   */
  'savepoint',
] as const;

export type PinReason = (typeof PIN_REASONS)[number];

/** Bit for each reason, in {@link PIN_REASONS} order. */
export const PIN_BIT: Readonly<Record<PinReason, number>> = Object.fromEntries(
  PIN_REASONS.map((r, i) => [r, 1 << i]),
) as Record<PinReason, number>;

/** Pins that end when the client's next statement completes. */
export const PIN_UNTIL_NEXT_STATEMENT = PIN_BIT.previous_result;

/** The reasons set in a pin mask. */
export function pinReasons(mask: number): PinReason[] {
  const out: PinReason[] = [];
  for (let i = 0; i < PIN_REASONS.length; i++) if (mask & (1 << i)) out.push(PIN_REASONS[i]!);
  return out;
}
