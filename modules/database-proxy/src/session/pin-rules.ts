/**
 * Which pins a statement takes and which it ends, from what the server answered (its status
 * flags, success or the error) and what the statement's text says it does (its Trait flags).
 * The rules that need more of the session — state reported in the answer, results held for the
 * next statement, SET TRANSACTION's one transaction — are ClientSession's.
 */
import { SERVER_STATUS_AUTOCOMMIT, SERVER_STATUS_IN_TRANS } from '@scalestack/mysql-protocol';
import { PIN_BIT } from './pin-reason.js';
import { type SavepointEffect, Trait } from './statement-traits.js';

/**
 * Errors a CALL or compound statement fails with before any of it ran (no such routine, wrong
 * argument count, no privilege, a parse error): nothing can have changed the session.
 */
const ROUTINE_NEVER_RAN = new Set([1064, 1305, 1318, 1370, 1044, 1142, 1146]);

/**
 * Errors a statement fails with before it locks any table — a parse error, an unknown table
 * or schema, no schema chosen, no privilege on a table, an unknown system variable, a native
 * function's argument count — so under autocommit off it cannot have opened a transaction
 * (each checked against MariaDB's @@in_transaction). Not an unknown column or stored function
 * (1054, 1052, 1305, 1318): MariaDB resolves those after it has locked the tables, and the
 * transaction is open.
 */
const BEFORE_ANY_TABLE_LOCKED = new Set([
  1044, 1046, 1049, 1064, 1066, 1109, 1142, 1146, 1149, 1193, 1227, 1582, 1971,
]);

/** What a statement's text takes, each to its pin. */
const TAKES: readonly (readonly [number, number])[] = [
  [Trait.UserVariable, PIN_BIT.user_variable],
  [Trait.TemporaryTable, PIN_BIT.temporary_table],
  [Trait.LockTables, PIN_BIT.table_lock],
  [Trait.GlobalReadLock, PIN_BIT.global_read_lock],
  [Trait.BackupLock, PIN_BIT.backup_lock],
  [Trait.AdvisoryLock, PIN_BIT.advisory_lock],
  [Trait.SqlPrepare, PIN_BIT.sql_prepare],
  [Trait.Handler, PIN_BIT.handler],
  [Trait.Xa, PIN_BIT.xa],
  [Trait.Unreplayable, PIN_BIT.unreplayable_variable],
];

/** What UNLOCK TABLES ends: table locks, and FLUSH TABLES WITH READ LOCK's global one. */
const ENDED_BY_UNLOCK_TABLES = PIN_BIT.table_lock | PIN_BIT.global_read_lock;

/** The pins a statement's text takes. */
function takenBy(traits: number): number {
  let pins = 0;
  for (const [trait, pin] of TAKES) if (traits & trait) pins |= pin;
  return pins;
}

/**
 * `pins` after a statement with `traits` was answered with server status `status`.
 * @param errno the error it failed with, undefined when it succeeded
 * @param tracksSession whether its connection reports session state changes
 * @param savepoint what the text does to savepoints ({@link savepointEffect}; only asked of a
 *   text with Trait.TransactionControl)
 */
export function pinsAfterStatement(
  pins: number,
  traits: number,
  status: number,
  errno: number | undefined,
  tracksSession: boolean,
  savepoint?: SavepointEffect,
): number {
  const failed = errno !== undefined;
  // Transactions: the status flags are the truth; after an ERR they keep their last value, so
  // a transaction whose state the error left unknown stays pinned.
  if (status & SERVER_STATUS_IN_TRANS) pins |= PIN_BIT.transaction;
  else if (!failed) pins &= ~PIN_BIT.transaction;
  // Autocommit off is session state like any other where the server tracks it: replayed
  // wherever the client's next statement runs. What holds the connection is the transaction
  // such a session opens with its first read or write of a table, which IN_TRANS tells — but
  // an ERR tells nothing, and a statement that failed once it ran may have opened one (InnoDB
  // keeps the row locks of a failed INSERT): the connection stays until a statement says
  // otherwise. One that failed before it locked a table did not — unless it is a CALL (or a
  // compound statement), whose error may come from a statement after others that wrote.
  if (status & SERVER_STATUS_AUTOCOMMIT) pins &= ~PIN_BIT.autocommit_off;
  else if (!tracksSession) pins |= PIN_BIT.autocommit_off;
  else if (failed && (traits & Trait.Call || !BEFORE_ANY_TABLE_LOCKED.has(errno)))
    pins |= PIN_BIT.transaction;
  // With autocommit off a SAVEPOINT before the transaction's first read or write of a table
  // reports no transaction, yet the savepoint lives on that connection (Django's atomic() nested
  // right inside another, SQLAlchemy's begin_nested() first): the client's ROLLBACK TO it must
  // come back there. Then the transaction holds it, or it ends — with its savepoints (DDL's
  // implicit commit aside: held on to the next COMMIT / ROLLBACK).
  if (status & (SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT)) pins &= ~PIN_BIT.savepoint;
  else if (savepoint === 'takes') pins |= PIN_BIT.savepoint;
  else if (savepoint === 'ends' && !failed) pins &= ~PIN_BIT.savepoint;
  // What a statement takes may be taken even though it failed: a multi-statement batch fails at
  // its last statement, after a LOCK TABLES or GET_LOCK before it ran. Pinning too much costs a
  // connection; too little hands a lock, a temporary table or a variable to another client.
  // Only what ends a pin waits for success.
  pins |= takenBy(traits);
  // A routine that failed may have changed the session before its error, and an ERR carries no
  // session state: what it did is known only to its connection.
  if (failed && traits & Trait.Call && !ROUTINE_NEVER_RAN.has(errno)) pins |= PIN_BIT.session_state;
  if (!tracksSession && traits & (Trait.Set | Trait.Call | Trait.Use)) pins |= PIN_BIT.untracked_state;
  // A text that also takes a lock of the kind it ends (`SELECT RELEASE_ALL_LOCKS(),
  // GET_LOCK('job', 0)`, `UNLOCK TABLES; LOCK TABLES t WRITE`) may take it last: the pin stays,
  // until a statement that only ends it.
  if (!failed) {
    if (traits & Trait.UnlockTables) pins &= ~(ENDED_BY_UNLOCK_TABLES & ~takenBy(traits));
    if (traits & Trait.BackupUnlock && !(traits & Trait.BackupLock)) pins &= ~PIN_BIT.backup_lock;
    if (traits & Trait.ReleaseAllLocks && !(traits & Trait.AdvisoryLock)) pins &= ~PIN_BIT.advisory_lock;
  }
  return pins;
}
