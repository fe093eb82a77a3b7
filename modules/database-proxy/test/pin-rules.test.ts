import {
  SERVER_STATUS_AUTOCOMMIT as AUTOCOMMIT,
  SERVER_STATUS_IN_TRANS as IN_TRANS,
} from '@scalestack/mysql-protocol';
import { describe, expect, it } from 'vitest';
import { PIN_BIT, pinReasons } from '../src/session/pin-reason.js';
import { pinsAfterStatement } from '../src/session/pin-rules.js';
import { Trait } from '../src/session/statement-traits.js';

const after = (pins: number, traits: number, status: number, errno?: number, tracks = true) =>
  pinReasons(pinsAfterStatement(pins, traits, status, errno, tracks));

describe('savepoints with autocommit off', () => {
  const tc = Trait.TransactionControl;
  const sp = (pins: number, status: number, effect?: 'takes' | 'ends', errno?: number) =>
    pinReasons(pinsAfterStatement(pins, tc, status, errno, true, effect));
  it('holds a savepoint taken before the transaction shows, until it shows or ends', () => {
    expect(sp(0, 0, 'takes')).toEqual(['savepoint']);
    // Autocommit on: the savepoint dies with its statement; in a transaction, that holds.
    expect(sp(0, AUTOCOMMIT, 'takes')).toEqual([]);
    expect(sp(0, IN_TRANS, 'takes')).toEqual(['transaction']);
    expect(sp(PIN_BIT.savepoint, IN_TRANS)).toEqual(['transaction']);
    expect(sp(PIN_BIT.savepoint, 0)).toEqual(['savepoint']);
    expect(sp(PIN_BIT.savepoint, 0, 'ends')).toEqual([]);
    expect(sp(PIN_BIT.savepoint, AUTOCOMMIT)).toEqual([]);
    // A COMMIT that failed ended nothing (and, under autocommit off, may have left a transaction).
    expect(sp(PIN_BIT.savepoint, 0, 'ends', 1180)).toEqual(['transaction', 'savepoint']);
  });
});

describe('pinsAfterStatement', () => {
  it('follows the status flags for transactions and autocommit; an error leaves the transaction pinned', () => {
    expect(after(0, 0, AUTOCOMMIT | IN_TRANS)).toEqual(['transaction']);
    expect(after(PIN_BIT.transaction, 0, AUTOCOMMIT)).toEqual([]);
    // An ERR's status flags may be the last known ones: a transaction is not taken for over.
    expect(after(PIN_BIT.transaction, 0, AUTOCOMMIT, 1213)).toEqual(['transaction']);
    // Autocommit off pins nothing by itself where the session is tracked (it is replayed); the
    // transaction it opens does, and so does an error under it, which may have opened one.
    expect(after(0, 0, 0)).toEqual([]);
    expect(after(0, 0, IN_TRANS)).toEqual(['transaction']);
    expect(after(0, 0, 0, 1062)).toEqual(['transaction']);
    // Not one that failed before it locked a table: a parse error, an unknown table — but an
    // unknown column comes after (the transaction is open), and a CALL's error may too.
    expect(after(0, 0, 0, 1064)).toEqual([]);
    expect(after(0, 0, 0, 1146)).toEqual([]);
    expect(after(0, 0, 0, 1054)).toEqual(['transaction']);
    expect(after(0, Trait.Call, 0, 1146)).toEqual(['transaction']);
    expect(after(PIN_BIT.transaction, 0, 0)).toEqual([]);
    // Without tracking it cannot be replayed: the session keeps its connection until it is on.
    expect(after(0, 0, 0, undefined, false)).toEqual(['autocommit_off']);
    expect(after(PIN_BIT.autocommit_off, 0, AUTOCOMMIT, undefined, false)).toEqual([]);
  });

  it('takes what the text takes even when the statement failed; ends a pin only on success', () => {
    expect(after(0, Trait.LockTables | Trait.AdvisoryLock, AUTOCOMMIT, 1146)).toEqual([
      'table_lock',
      'advisory_lock',
    ]);
    const locked = PIN_BIT.table_lock | PIN_BIT.global_read_lock | PIN_BIT.advisory_lock;
    expect(after(locked, Trait.UnlockTables, AUTOCOMMIT, 1064)).toEqual([
      'table_lock',
      'global_read_lock',
      'advisory_lock',
    ]);
    expect(after(locked, Trait.UnlockTables, AUTOCOMMIT)).toEqual(['advisory_lock']);
    expect(after(locked, Trait.ReleaseAllLocks, AUTOCOMMIT)).toEqual(['table_lock', 'global_read_lock']);
  });

  it('a text that ends a lock and takes one of the same kind keeps the pin (the order of its statements is not known)', () => {
    // `SELECT RELEASE_ALL_LOCKS(), GET_LOCK('job', 0)`; `UNLOCK TABLES; LOCK TABLES t WRITE`.
    expect(after(PIN_BIT.advisory_lock, Trait.ReleaseAllLocks | Trait.AdvisoryLock, AUTOCOMMIT)).toEqual([
      'advisory_lock',
    ]);
    expect(after(0, Trait.ReleaseAllLocks | Trait.AdvisoryLock, AUTOCOMMIT)).toEqual(['advisory_lock']);
    expect(after(PIN_BIT.table_lock, Trait.UnlockTables | Trait.LockTables, AUTOCOMMIT)).toEqual([
      'table_lock',
    ]);
    expect(after(0, Trait.UnlockTables | Trait.GlobalReadLock, AUTOCOMMIT)).toEqual(['global_read_lock']);
    expect(after(0, Trait.BackupUnlock | Trait.BackupLock, AUTOCOMMIT)).toEqual(['backup_lock']);
    // Another kind is still ended.
    expect(after(PIN_BIT.table_lock, Trait.UnlockTables | Trait.AdvisoryLock, AUTOCOMMIT)).toEqual([
      'advisory_lock',
    ]);
  });

  it('a routine that failed after it began pins its session; one that never ran does not', () => {
    expect(after(0, Trait.Call, AUTOCOMMIT, 1062)).toEqual(['session_state']);
    expect(after(0, Trait.Call, AUTOCOMMIT, 1305)).toEqual([]);
  });

  it('a SET, CALL or USE on a connection that reports no session state pins', () => {
    expect(after(0, Trait.Set, AUTOCOMMIT, undefined, false)).toEqual(['untracked_state']);
    expect(after(0, Trait.Set, AUTOCOMMIT, undefined, true)).toEqual([]);
  });
});
