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
  ['KILL QUERY 12', Trait.Kill],
  ["INSERT INTO users (email) VALUES ('bob@example.com')", 0],
  ["SELECT 'lock tables and get_lock(' AS s", 0],
  ["SELECT 'it''s @here', \"x@y\" -- GET_LOCK(\n", 0],
  ['SELECT 1 /* SQL_LOG_BIN @v */', 0],
  ['SELECT 1 # temporary table\n', 0],
  ["SELECT 'a\\'@b' AS s", 0],
  ['/*!40101 SET @saved = 1 */', Trait.UserVariable],
  ["SET @'quoted name' = 1", Trait.Set | Trait.UserVariable],
];

describe('classifyStatement', () => {
  it.each(cases)('%s', (sql, traits) => {
    expect(classifyStatement(sql)).toBe(traits);
  });
});

describe('killStatementTarget', () => {
  it('reads KILL [CONNECTION | QUERY] <id>', async () => {
    const { killStatementTarget } = await import('../src/session/statement-traits.js');
    expect(killStatementTarget('KILL 7')).toEqual({ query: false, id: 7 });
    expect(killStatementTarget('kill connection 8;')).toEqual({ query: false, id: 8 });
    expect(killStatementTarget('KILL QUERY 9')).toEqual({ query: true, id: 9 });
    expect(killStatementTarget('KILL QUERY ID 9')).toBeUndefined();
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

describe('planStateSync', () => {
  it('sets what the client changed, restores what it did not, character sets first', async () => {
    const { planStateSync, SessionState } = await import('../src/session/session-state.js');
    const backend = new SessionState('db1');
    backend.setVariable('time_zone', '+01:00');
    backend.setVariable('sql_mode', 'ANSI');
    const client = new SessionState('db2');
    client.setVariable('wait_timeout', '30');
    client.setVariable('collation_connection', 'utf8mb4_bin');
    client.setVariable('character_set_results', '');
    const sync = planStateSync(backend, client, new Map([['sql_mode', 'IGNORE_SPACE,STRICT_TRANS_TABLES']]));
    expect(sync.schema).toBe('db2');
    expect(sync.setStatement).toBe(
      "SET @@session.`character_set_results` = NULL, @@session.`collation_connection` = 'utf8mb4_bin', " +
        "@@session.`wait_timeout` = 30, @@session.`time_zone` = DEFAULT, @@session.`sql_mode` = 'IGNORE_SPACE,STRICT_TRANS_TABLES'",
    );
    expect(planStateSync(client, client)).toEqual({});
  });
});
