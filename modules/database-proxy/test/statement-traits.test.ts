import { describe, expect, it } from 'vitest';
import { classifyStatement, Trait, useStatementSchema } from '../src/session/statement-traits.js';

const cases: [string, number][] = [
  ['SELECT c FROM sbtest1 WHERE id=42', 0],
  ['SELECT @@version', 0],
  ['select @@session.sql_mode, @@global.max_connections', 0],
  ['SET @v = 1', Trait.Set | Trait.UserVariable],
  ['SELECT @v', Trait.UserVariable],
  ["SELECT @`quoted`, @'x'", Trait.UserVariable],
  ['LOCK TABLES t WRITE', Trait.LockTables],
  ['UNLOCK TABLES', Trait.UnlockTables],
  ['FLUSH TABLES WITH READ LOCK', Trait.GlobalReadLock],
  ["SELECT GET_LOCK('a', 1)", Trait.AdvisoryLock],
  ['SELECT RELEASE_ALL_LOCKS()', Trait.ReleaseAllLocks],
  ['CREATE TEMPORARY TABLE t (a INT)', Trait.TemporaryTable],
  ["PREPARE s FROM 'SELECT 1'", Trait.SqlPrepare],
  ['EXECUTE s', Trait.SqlPrepare],
  ['DEALLOCATE PREPARE s', Trait.SqlPrepare],
  ['SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1', Trait.CalcFoundRows],
  ['SELECT FOUND_ROWS()', Trait.ReadsPreviousResult],
  ['SELECT ROW_COUNT()', Trait.ReadsPreviousResult],
  ['SELECT LAST_INSERT_ID() FROM DUAL', Trait.ReadsPreviousResult],
  ['SHOW WARNINGS', Trait.ReadsPreviousResult],
  ['SHOW COUNT(*) ERRORS', Trait.ReadsPreviousResult],
  ['SELECT @@warning_count', Trait.ReadsPreviousResult],
  ['GET DIAGNOSTICS @n = NUMBER', Trait.ReadsPreviousResult | Trait.UserVariable],
  ['USE db1', Trait.Use],
  ['CALL p()', Trait.Call],
  ['HANDLER t OPEN', Trait.Handler],
  ["XA START 'x'", Trait.Xa],
  ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', Trait.Set | Trait.NextTransaction],
  ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', Trait.Set],
  ['SET sql_log_bin = 0', Trait.Set | Trait.Unreplayable],
  ['/* comment */ SET autocommit = 0', Trait.Set],
  ['  (SELECT 1)', 0],
];

describe('classifyStatement', () => {
  it.each(cases)('%s', (sql, traits) => {
    expect(classifyStatement(sql)).toBe(traits);
  });
});

describe('useStatementSchema', () => {
  it('reads plain and quoted names, and nothing else', () => {
    expect(useStatementSchema('USE shop')).toBe('shop');
    expect(useStatementSchema('use `my``db`;')).toBe('my`db');
    expect(useStatementSchema('USE a b')).toBeUndefined();
    expect(useStatementSchema('SELECT 1')).toBeUndefined();
  });
});
