import { describe, expect, it } from 'vitest';
import {
  classifyStatement,
  connectionIdColumn,
  fromTableAtTopLevel,
  lastUseSchema,
  leadingKeyword,
  releasesSession,
  Trait,
  transactionBoundary,
  useStatementSchema,
} from '../src/session/statement-traits.js';

const cases: [string, number][] = [
  ['SELECT c FROM sbtest1 WHERE id=42', Trait.PureRead],
  // SHOW [FULL] PROCESSLIST alone (comments aside): answered by the proxy.
  ['SHOW PROCESSLIST', Trait.Processlist],
  [' show full processlist ; ', Trait.Processlist | Trait.ProcesslistFull],
  ['/* a */ SHOW/* b */FULL -- c\nPROCESSLIST # d', Trait.Processlist | Trait.ProcesslistFull],
  ['SHOW PROCESSLIST --', Trait.Processlist],
  ['SHOW PROCESSLIST ;  ', Trait.Processlist],
  // A comment after the `;` is a second, empty statement to a multi-statement client: the server's.
  ['SHOW PROCESSLIST; -- c', 0],
  ['SHOW PROCESSLIST; /* c */', 0],
  // An executable comment the server may skip by its version, or a comment left open (a
  // syntax error there): the server's, for both statements the proxy answers.
  ['SHOW /*!80000 FULL */ PROCESSLIST', 0],
  ['SHOW PROCESSLIST /* x', 0],
  ['SELECT /*!80000 CONNECTION_ID() */', 0],
  ['SELECT CONNECTION_ID() /*!80000 AS x */', 0],
  ['SELECT CONNECTION_ID(/*!*/)', 0],
  ['SELECT CONNECTION_ID() /* x', 0],
  ['SELECT CONNECTION_ID(); -- c', 0],
  // Beside another statement it is the server's — also after a `--` comment, which ends at the
  // first newline, even the one right after the dashes — and so is an executable comment's SQL.
  ['SHOW PROCESSLIST; SELECT 1', 0],
  ['SHOW PROCESSLIST;\n--\nDELETE FROM orders WHERE id = 7;', 0],
  ['SHOW PROCESSLIST;--\nDELETE FROM t', 0],
  ['SHOW PROCESSLIST --\n;DELETE FROM t', 0],
  ['SHOW PROCESSLIST /*! ; DROP TABLE t */', 0],
  ['SHOW PROCESSLIST /*M! ; DROP TABLE t */', 0],
  // A stored program's body runs when it is called: its KILL is not the proxy's to refuse now.
  ['CREATE PROCEDURE p(IN id BIGINT) BEGIN DECLARE n INT DEFAULT 0; KILL QUERY id; END', 0],
  // (The definer's `@` reads as a user variable, and the SET as one: pins, which only cost sharing.)
  [
    "CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN SELECT 1; SET PASSWORD = PASSWORD('x'); END",
    Trait.Set | Trait.UserVariable,
  ],
  ['CREATE OR REPLACE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; KILL 5; END', 0],
  ['CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a = 1; KILL 5; END', Trait.UserVariable],
  // A CREATE of something else keeps a KILL after it.
  ['CREATE TABLE t (a INT); KILL 5', Trait.Kill],
  // Only a text that starts with it (a procedure's body is the procedure's).
  ['SELECT 1; SHOW PROCESSLIST', 0],
  ['CREATE PROCEDURE p() BEGIN SHOW PROCESSLIST; END', 0],
  ["SELECT 'SHOW PROCESSLIST'", Trait.PureRead],
  ['SHOW PROCESSLISTS', 0],
  ['SHOW TABLES', 0],
  // SELECT CONNECTION_ID() [AS alias] [FROM DUAL] alone: answered by the proxy (its own id).
  ['SELECT CONNECTION_ID()', Trait.ConnectionId],
  ['select connection_id( ) ;', Trait.ConnectionId],
  ['/* a */ SELECT /* b */ CONNECTION_ID() -- c', Trait.ConnectionId],
  ['SELECT CONNECTION_ID() AS id', Trait.ConnectionId],
  ["SELECT CONNECTION_ID() AS 'my id'", Trait.ConnectionId],
  ['SELECT CONNECTION_ID() AS `my id` FROM DUAL', Trait.ConnectionId],
  ['SELECT CONNECTION_ID()AS"x"', Trait.ConnectionId],
  // Anything more is the server's (CONNECTION_ID() is not among a pure read's functions).
  ['SELECT CONNECTION_ID(), NOW()', 0],
  ['SELECT CONNECTION_ID() + 0 AS id', 0],
  ['SELECT CONNECTION_ID() AS id FROM t', 0],
  ['SELECT CONNECTION_ID(); DELETE FROM t', 0],
  ['SELECT CONNECTION_ID() id', 0],
  ['(SELECT CONNECTION_ID())', 0],
  ["SELECT 'CONNECTION_ID()'", Trait.PureRead],
  ['SELECT @@version', Trait.PureRead],
  ['select @@session.sql_mode, @@global.max_connections', Trait.PureRead],
  ['SET @v = 1', Trait.Set | Trait.UserVariable],
  ['SELECT @v', Trait.UserVariable],
  ["SELECT @`quoted`, @'x'", Trait.UserVariable],
  // A name may start with any character from U+0080 up ('@été' in UTF-8, read a byte a char).
  [`SELECT @${Buffer.from('été').toString('latin1')}`, Trait.UserVariable],
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
  ['SELECT FOUND_ROWS()', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsFoundRows],
  ['SELECT ROW_COUNT()', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics],
  ['SELECT LAST_INSERT_ID() FROM DUAL', Trait.ReadsPreviousResult | Trait.ReadsInsertId],
  ['SELECT @@identity', Trait.ReadsPreviousResult | Trait.ReadsInsertId],
  ['SELECT LAST_INSERT_ID( 42 )', Trait.Unreplayable | Trait.ReadsInsertId],
  ['DO LAST_INSERT_ID(42)', Trait.Unreplayable | Trait.ReadsInsertId],
  // A quoted name before ( is the native function all the same.
  ["SELECT `GET_LOCK`('a', 10)", Trait.AdvisoryLock],
  ['SELECT `LAST_INSERT_ID` ()', Trait.ReadsPreviousResult | Trait.ReadsInsertId],
  ['SELECT `found_rows`()', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsFoundRows],
  // A quoted column is not a call.
  ['SELECT `get_lock` FROM t', Trait.PureRead],
  // A sequence's previous value is the connection's, and no OK reports it.
  ['SELECT NEXTVAL(s)', Trait.Unreplayable],
  ['INSERT INTO t VALUES (NEXT VALUE FOR s, 1)', Trait.Unreplayable],
  ['SELECT s.nextval FROM dual', Trait.Unreplayable],
  ['SELECT s.currval FROM dual', Trait.Unreplayable],
  ['SELECT SETVAL(s, 100)', Trait.Unreplayable],
  ['SELECT LASTVAL(s), PREVIOUS VALUE FOR s', Trait.Unreplayable],
  // Sets the value (its OK reports it): nothing to restore before it.
  ['UPDATE seq SET id = LAST_INSERT_ID(id + 1)', 0],
  ['SELECT @@session.last_gtid', Trait.ReadsPreviousResult],
  ['SELECT @@last_gtid, @@IDENTITY', Trait.ReadsPreviousResult | Trait.ReadsInsertId],
  // Only the @@ forms are the connection's values: a column of that name is an ordinary read.
  ['SELECT identity, last_gtid FROM accounts WHERE id = 1', Trait.PureRead],
  ["/*M! SELECT GET_LOCK('k', 0) */", Trait.AdvisoryLock],
  ['FLUSH TABLES t FOR EXPORT', Trait.GlobalReadLock],
  ['BACKUP LOCK t', Trait.BackupLock],
  ['BACKUP UNLOCK', Trait.BackupUnlock],
  ['LOCK INSTANCE FOR BACKUP', Trait.BackupLock],
  ['UNLOCK INSTANCE', Trait.BackupUnlock],
  ['BACKUP STAGE START', Trait.BackupLock],
  ['backup stage block_commit', Trait.BackupLock],
  ['BACKUP STAGE END', Trait.BackupUnlock],
  ['CREATE TEMPORARY SEQUENCE s', Trait.TemporaryTable],
  ['SHOW WARNINGS', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  ['SHOW COUNT(*) ERRORS', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  ['SELECT @@warning_count', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  [
    'GET DIAGNOSTICS @n = NUMBER',
    Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions | Trait.UserVariable,
  ],
  ['USE db1', Trait.Use],
  ['CALL p()', Trait.Call | Trait.ReadsInsertId],
  ['HANDLER t OPEN', Trait.Handler],
  ["XA START 'x'", Trait.Xa],
  ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', Trait.Set | Trait.NextTransaction],
  ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', Trait.Set],
  // No scope word: the next transaction only (MariaDB, MySQL 8), as SET TRANSACTION.
  ["SET @@tx_isolation = 'SERIALIZABLE'", Trait.Set | Trait.NextTransaction],
  ['SET @@TX_READ_ONLY = 1', Trait.Set | Trait.NextTransaction],
  ["SET @@transaction_isolation = 'READ-COMMITTED'", Trait.Set | Trait.NextTransaction],
  ["SET sql_mode = '', @@transaction_read_only = ON", Trait.Set | Trait.NextTransaction],
  ["SET @@session.tx_isolation = 'SERIALIZABLE'", Trait.Set],
  ['SET @@local.tx_read_only = 1', Trait.Set],
  ["SET tx_isolation = 'SERIALIZABLE'", Trait.Set],
  ["SET @@global.transaction_isolation = 'SERIALIZABLE'", Trait.Set],
  ["SET @v = '@@tx_read_only'", Trait.Set | Trait.UserVariable],
  // Any other @@name with no scope word: session tracking does not report it.
  ["SET @@time_zone = '+01:00'", Trait.Set | Trait.Unreplayable],
  ["SET time_zone = '+01:00', @@SQL_MODE := ''", Trait.Set | Trait.Unreplayable],
  ["SET @@session.time_zone = '+01:00', @@GLOBAL.max_connections = 10", Trait.Set],
  ['SELECT @@time_zone = 1', Trait.PureRead],
  // @@identity is the connection's last insert id: setting it with no scope word pins too.
  ['SET @@identity = 5', Trait.Set | Trait.Unreplayable | Trait.ReadsInsertId],
  ['SET @@IDENTITY:=5', Trait.Set | Trait.Unreplayable | Trait.ReadsInsertId],
  // …and marks the backend's last insert id the client's (it is restored first).
  ['SET @@last_insert_id = 5', Trait.Set | Trait.Unreplayable | Trait.ReadsInsertId],
  ['SET SESSION identity = 5', Trait.Set | Trait.ReadsInsertId],
  ['SET identity:=5', Trait.Set | Trait.ReadsInsertId],
  ['UPDATE t SET identity = 5', 0],
  ['SELECT identity = 5 FROM t', Trait.PureRead],
  ['SELECT @@identity = 5', Trait.ReadsPreviousResult | Trait.ReadsInsertId],
  ["SELECT @@last_gtid = ''", Trait.ReadsPreviousResult],
  ['SELECT @@warning_count = 0', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  ['SELECT @@warning_count', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  ['SELECT @@tx_isolation, @@tx_read_only', Trait.PureRead],
  ['SELECT row_count, found_rows, warning_count FROM stats', Trait.PureRead],
  ["PREPARE s FROM 'KILL QUERY 12'", Trait.Kill | Trait.SqlPrepare],
  ["EXECUTE IMMEDIATE 'KILL 12'", Trait.Kill | Trait.SqlPrepare],
  ["PREPARE s FROM 'INSERT INTO log VALUES (''kill switch'')'", Trait.SqlPrepare],
  ['SELECT "GET_LOCK"(\'k\', 0)', Trait.AdvisoryLock],
  ['SELECT "a" AS s, \'b\' AS t', Trait.PureRead],
  // `--` and a carriage return: a comment to the end of the line, quote and all.
  ["SELECT 1 --\r'\n, GET_LOCK('k', 0)", Trait.AdvisoryLock],
  ['SELECT ROW_COUNT ()', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics],
  [
    'SELECT @@session.warning_count',
    Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions,
  ],
  [
    'BEGIN NOT ATOMIC SET TRANSACTION READ ONLY; END',
    Trait.Call | Trait.ReadsInsertId | Trait.NextTransaction,
  ],
  ['IF 1 THEN SET @@tx_read_only = 1; END IF', Trait.Call | Trait.ReadsInsertId | Trait.NextTransaction],
  ['BEGIN NOT ATOMIC SET ROLE r; END', Trait.Call | Trait.ReadsInsertId | Trait.Unreplayable],
  ['COMMIT; SET TRANSACTION READ ONLY', Trait.TransactionControl | Trait.Set | Trait.NextTransaction],
  ['DO 1; SET @@tx_read_only = 1', Trait.Set | Trait.NextTransaction],
  // Every statement of a multi-statement text counts by its own leading keyword.
  ['SELECT 1 AS one; USE other', Trait.Use],
  ["SELECT 1; SET SESSION time_zone = '+03:00'", Trait.Set],
  ['SELECT 1; CALL test.p()', Trait.Call | Trait.ReadsInsertId],
  ['DO 0; HANDLER marker OPEN', Trait.Handler],
  ['DO 0; KILL QUERY 5', Trait.Kill],
  ['DO 0; COMMIT RELEASE', Trait.TransactionControl],
  ["DO 0; PREPARE s FROM 'SELECT 1'", Trait.SqlPrepare],
  ["DO 0; PREPARE s FROM 'KILL 5'", Trait.Kill | Trait.SqlPrepare],
  ['SELECT 1; SHOW WARNINGS', Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions],
  ['DO 0; SELECT LAST_INSERT_ID(5)', Trait.Unreplayable | Trait.ReadsInsertId],
  ['DO 0; XA START 0x01', Trait.Xa],
  ["SELECT 'x; USE other', 2", Trait.PureRead],
  ['SELECT 1;', Trait.PureRead],
  // Inside a compound statement the statements are its own (Call covers them).
  ['BEGIN NOT ATOMIC SELECT 1; USE other; END', Trait.Call | Trait.ReadsInsertId],
  ['START TRANSACTION READ ONLY', Trait.TransactionControl],
  ["BEGIN NOT ATOMIC SET @@time_zone = '+01:00'; END", Trait.Call | Trait.ReadsInsertId],
  ['IF 1 THEN DO 0; END IF', Trait.Call | Trait.ReadsInsertId],
  ['SET ROLE reader', Trait.Set | Trait.Unreplayable],
  ["SET time_zone = '+00:00'; SET ROLE NONE", Trait.Set | Trait.Unreplayable],
  ['SELECT role FROM grants', Trait.PureRead],
  ['SET sql_log_bin = 0', Trait.Set | Trait.Unreplayable],
  ['SET @@session.sql_log_bin = 0', Trait.Set | Trait.Unreplayable],
  ['SELECT 1; SET SESSION sql_log_bin = 1', Trait.Set | Trait.Unreplayable],
  // Read, it changes nothing (it pinned the client for its whole session).
  ['SELECT @@sql_log_bin', Trait.PureRead],
  ['SELECT @@session.sql_log_bin AS b', Trait.PureRead],
  ['/* comment */ SET autocommit = 0', Trait.Set],
  ['  (SELECT 1)', Trait.PureRead],
  ['KILL QUERY 12', Trait.Kill],
  ['BEGIN', Trait.TransactionControl],
  ['/* c */ start transaction read only', Trait.TransactionControl],
  ['ROLLBACK TO SAVEPOINT s', Trait.TransactionControl],
  ["INSERT INTO users (email) VALUES ('bob@example.com')", 0],
  ["SELECT 'lock tables and get_lock(' AS s", Trait.PureRead],
  ["SELECT 'it''s @here', \"x@y\" -- GET_LOCK(\n", Trait.PureRead],
  ['SELECT 1 /* SQL_LOG_BIN @v */', Trait.PureRead],
  ['SELECT 1 # temporary table\n', Trait.PureRead],
  ["SELECT 'a\\'@b' AS s", Trait.PureRead],
  ['/*!40101 SET @saved = 1 */', Trait.Set | Trait.UserVariable],
  // What an executable comment holds is what the server runs: the first keyword too.
  ['/*!SET TRANSACTION READ ONLY*/', Trait.Set | Trait.NextTransaction],
  ['/*M!100100 SET TRANSACTION READ ONLY */ ', Trait.Set | Trait.NextTransaction],
  // MariaDB reads six version digits after `/*!` too.
  ['/*!100000 SET TRANSACTION READ ONLY */', Trait.Set | Trait.NextTransaction],
  ["/* plain */ /*!50700 SELECT GET_LOCK('k', 0) */", Trait.AdvisoryLock],
  ["SET @'quoted name' = 1", Trait.Set | Trait.UserVariable],
  ['CREATE OR REPLACE VIEW v AS SELECT 1', Trait.ViewDdl],
  ['create definer=current_user sql security invoker view v as select 1', Trait.ViewDdl],
  ['ALTER VIEW v AS SELECT 2', Trait.ViewDdl],
  ['DROP VIEW IF EXISTS v', Trait.ViewDdl],
  ['RENAME TABLE v TO w', Trait.ViewDdl],
  ['CREATE TABLE review (a INT)', 0],
  ['DROP TABLE t', 0],
  ['/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50001 VIEW `v` AS select 1 AS `1` */', Trait.ViewDdl],
  ['SELECT 1; CREATE VIEW v AS SELECT 2', Trait.ViewDdl],
  ['SELECT view, created FROM t', Trait.PureRead],
];

// Pure reads may share a backend connection and run twice: anything that could write, lock,
// wait or touch the session must not be one.
const purity: [string, boolean][] = [
  // Stored functions named with characters from U+0080 up, as UTF-8 read a byte a char: not the
  // built-in their ASCII tail spells.
  [`SELECT ${Buffer.from('créé').toString('latin1')}(1)`, false],
  [`SELECT ${Buffer.from('ümax').toString('latin1')}(k) FROM t`, false],
  ['SELECT max(k) FROM t', true],
  // Built in on MariaDB, not on MySQL, where an unqualified call runs a stored function so named.
  ['SELECT natural_sort_key(c) FROM t', false],
  ['SELECT json_query(doc, "$.a") FROM t', false],
  ['SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 100', true],
  ['SELECT DISTINCT c FROM sbtest1 WHERE id IN (1, 2, 3) ORDER BY c', true],
  ['SELECT CAST(k AS DECIMAL(10, 2)), COUNT(*) FROM t WHERE x = (SELECT MAX(x) FROM u)', true],
  ["SELECT CONCAT(a, 'sleep(10); drop') FROM t", true],
  ['select now(), uuid(), json_extract(doc, "$.a") from t force index (primary)', true],
  ['SELECT * FROM t FOR UPDATE', false],
  ['SELECT * FROM t LOCK IN SHARE MODE', false],
  ['SELECT * FROM t FOR SHARE SKIP LOCKED', false],
  ['SELECT a INTO OUTFILE "/tmp/x" FROM t', false],
  ["SELECT * FROM t INTO DUMPFILE '/tmp/x'", false],
  ['SELECT 1 INTO @x', false],
  ['SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)', false],
  // an executable comment is code: its call counts
  ['SELECT 1 /*! , f(1) */', false],
  ['SELECT SLEEP(1)', false],
  ['SELECT BENCHMARK(1000, MD5(1))', false],
  ['SELECT my_function(id) FROM t', false],
  ['SELECT shop.total(id) FROM t', false],
  // A qualified call with white space or a comment around the dot is schema.function too, even
  // when its name is a built-in's.
  ['SELECT test . concat(1)', false],
  ['SELECT test. abs(1)', false],
  ['SELECT test./**/md5(1)', false],
  ['SELECT test.\nlower(1)', false],
  ['SELECT `test` . upper(c) FROM t', false],
  // AGAINST is a keyword after MATCH (…) only: elsewhere the server calls a stored function.
  ['SELECT against(1)', false],
  // A comment between a name and its parenthesis makes it a stored function's at the server.
  ['SELECT sum/**/(1)', false],
  ['SELECT count#c\n(*) FROM t', false],
  // White space too, but before a keyword's parenthesis: without IGNORE_SPACE the server calls a
  // stored function for `count (*)`.
  ['SELECT count (*) FROM t', false],
  ['SELECT id FROM t WHERE id IN (1, 2) AND EXISTS (SELECT 1) AND (a) > 0', true],
  ["SELECT x FROM (SELECT 1 AS x) AS d WHERE MATCH (c) AGAINST ('w')", true],
  // `--` then DEL is a comment; then a byte from 0x80 up, a comment in some character sets:
  // what follows on the line may be code, either way.
  ["SELECT 1 --\x7f '\n, f() #'", false],
  ["SELECT 1 --\xa0 '\n, f() #'", false],
  ['SELECT 1 --\x7f pure', true],
  ['SELECT 1, against (2)', false],
  ["SELECT id FROM t WHERE MATCH (a, b) AGAINST ('x' IN BOOLEAN MODE)", true],
  ["SELECT MATCH(a) AGAINST('x') AS score FROM t", true],
  ['SELECT `odd name`(1)', false],
  ['SELECT NEXTVAL(seq)', false],
  ['SELECT NEXT VALUE FOR seq', false],
  ['SELECT PREVIOUS VALUE FOR seq', false],
  ['SELECT seq.nextval FROM dual', false],
  ['SELECT seq.currval FROM dual', false],
  ['SELECT 1; DELETE FROM t', false],
  ['SELECT 1;', true],
  ['SELECT RELEASE_LOCK("a")', false],
  ['SELECT MASTER_GTID_WAIT("0-1-1")', false],
  ['INSERT INTO t SELECT * FROM u', false],
  ['WITH x AS (SELECT 1) SELECT * FROM x', false],
  // Executable comments run: MySQL's and MariaDB's own.
  ["SELECT 1 /*! , GET_LOCK('k', 0) */", false],
  ["SELECT 1 /*M! , GET_LOCK('k', 0) */", false],
  ['SELECT 1 /*M!100500 ; DELETE FROM t */', false],
  ["SELECT 1 /* , GET_LOCK('k', 0) */", true],
];

describe('pure reads', () => {
  it.each(purity)('%s → %s', (sql, pure) => {
    expect((classifyStatement(sql) & Trait.PureRead) !== 0).toBe(pure);
  });

  it('under NO_BACKSLASH_ESCAPES a backslash ends no string: what follows is read as SQL', () => {
    const sql = "SELECT 'C:\\', GET_LOCK('k', 0)";
    expect(classifyStatement(sql, true)).toBe(Trait.AdvisoryLock);
    // With escapes on, the same text is one string that runs to the quote before k.
    expect(classifyStatement(sql, false) & Trait.AdvisoryLock).toBe(0);
  });

  it('under ANSI_QUOTES "…" is a name, in which a backslash escapes nothing', () => {
    const sql = `SELECT 1 AS "C:\\", GET_LOCK('k', 0)`;
    expect(classifyStatement(sql, false, undefined, true)).toBe(Trait.AdvisoryLock);
    // Read as a string with escapes, it runs to the quote after k.
    expect(classifyStatement(sql, false) & Trait.AdvisoryLock).toBe(0);
    // A backquoted name never had escapes.
    expect(classifyStatement("SELECT 1 AS `C:\\`, GET_LOCK('k', 0)")).toBe(Trait.AdvisoryLock);
  });

  it('read several ways, what takes a pin counts from any reading, what ends one only from all', async () => {
    const { combineReadings } = await import('../src/session/statement-traits.js');
    // In default mode this is one string; read under ANSI_QUOTES, a name, then a call.
    const sql = 'SELECT "he typed \\"RELEASE_ALL_LOCKS()\\" here"';
    const plain = classifyStatement(sql, false);
    const ansi = classifyStatement(sql, false, undefined, true);
    expect(plain & Trait.ReleaseAllLocks).toBe(0);
    expect(ansi & Trait.ReleaseAllLocks).not.toBe(0);
    expect(combineReadings([plain, ansi]) & Trait.ReleaseAllLocks).toBe(0);
    expect(combineReadings([ansi, ansi]) & Trait.ReleaseAllLocks).not.toBe(0);
    expect(combineReadings([Trait.UnlockTables | Trait.BackupUnlock, 0])).toBe(0);
    expect(combineReadings([Trait.AdvisoryLock | Trait.PureRead, Trait.PureRead])).toBe(
      Trait.AdvisoryLock | Trait.PureRead,
    );
    expect(combineReadings([Trait.PureRead, Trait.LockTables])).toBe(Trait.LockTables);
  });

  it('in big5 / cp932 / gbk / sjis a character may end in 0x60, which is then no backquote', async () => {
    const { doubleByteCharsetOf } = await import('../src/session/double-byte.js');
    const sjis = doubleByteCharsetOf('sjis', 45)!;
    // '〜' in sjis (0x81 0x60), read a byte a char as the proxy reads it.
    const sql = "SELECT 1 AS \x81\x60a, GET_LOCK('k', 0) AS \x81\x60b";
    expect(classifyStatement(sql, false, sjis)).toBe(Trait.AdvisoryLock);
    // Read as latin1, the two 0x60 bytes quote GET_LOCK away.
    expect(classifyStatement(sql, false) & Trait.AdvisoryLock).toBe(0);
    // A real backquoted name still is one.
    expect(classifyStatement("SELECT 1 AS `GET_LOCK('k', 0)`", false, sjis)).toBe(Trait.PureRead);
  });

  it('in big5 / cp932 / gbk / sjis a character may end in 0x5C, which then escapes nothing', async () => {
    const { doubleByteCharsetOf } = await import('../src/session/double-byte.js');
    const sjis = doubleByteCharsetOf('sjis', 45)!;
    const gbk = doubleByteCharsetOf(undefined, 28)!; // gbk_chinese_ci in the greeting
    // 'ソ' in sjis, read a byte a char as the proxy reads it.
    const sql = "SELECT '\x83\\', GET_LOCK('k', 0)";
    expect(classifyStatement(sql, false, sjis)).toBe(Trait.AdvisoryLock);
    expect(classifyStatement(sql, false) & Trait.AdvisoryLock).toBe(0);
    // A plain escaped quote still escapes (the backslash is no second byte there).
    expect(classifyStatement("SELECT 'it\\'s', 1", false, sjis)).toBe(Trait.PureRead);
    // Half-width katakana (0xA1–0xDF) are one byte in sjis: 'ｱ' does not take the quote.
    expect(classifyStatement("SELECT 1 FROM t WHERE k = '\xb1' AND GET_LOCK('k', 0)", false, sjis)).toBe(
      Trait.AdvisoryLock,
    );
    // A lead byte followed by what cannot be a trail byte (the quote) is one byte too.
    expect(classifyStatement("SELECT '\xb1', GET_LOCK('k', 0)", false, gbk)).toBe(Trait.AdvisoryLock);
    expect(doubleByteCharsetOf('utf8mb4', 13)).toBeUndefined(); // SET NAMES wins over the greeting
    expect(doubleByteCharsetOf(undefined, 45)).toBeUndefined();
  });
});

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
    // DBD::mysql fills `KILL ?` in itself, quoting the id (pt-kill).
    expect(killStatementTarget("KILL '346'")).toEqual({ query: false, id: 346 });
    expect(killStatementTarget("KILL QUERY '12'")).toEqual({ query: true, id: 12 });
    expect(killStatementTarget('KILL "12"')).toBeUndefined();
    expect(killStatementTarget("KILL '12a'")).toBeUndefined();
  });
});

describe('savepointEffect', () => {
  it('tells a SAVEPOINT from what ends the transaction and its savepoints', async () => {
    const { savepointEffect } = await import('../src/session/statement-traits.js');
    expect(savepointEffect('SAVEPOINT s1')).toBe('takes');
    expect(savepointEffect(' /* x */ savepoint `a;b`')).toBe('takes');
    expect(savepointEffect('COMMIT; SAVEPOINT s1')).toBe('takes');
    for (const end of ['COMMIT', 'ROLLBACK', 'rollback work', 'BEGIN', 'START TRANSACTION READ ONLY'])
      expect(savepointEffect(end), end).toBe('ends');
    for (const other of [
      'ROLLBACK TO s1',
      'ROLLBACK WORK TO SAVEPOINT s1',
      'RELEASE SAVEPOINT s1',
      'BEGIN NOT ATOMIC SELECT 1; END',
    ])
      expect(savepointEffect(other), other).toBeUndefined();
  });
});

describe('useStatementSchema', () => {
  it('reads plain and quoted names, and nothing else', () => {
    expect(useStatementSchema('USE shop')).toBe('shop');
    expect(useStatementSchema('use `my``db`;')).toBe('my`db');
    expect(useStatementSchema('USE a b')).toBeUndefined();
    expect(useStatementSchema('SELECT 1')).toBeUndefined();
    expect(useStatementSchema('USE café_$1')).toBe('café_$1');
    // Not a bare name: for the server to read (a name under ANSI_QUOTES, or ER 1064).
    for (const sql of [
      'USE "shop"',
      "USE 'shop'",
      'USE shop.x',
      'USE sh-op',
      'USE 123',
      'USE 1e1',
      'USE 0x41',
      'USE 1db',
      'USE select',
      'USE NULL',
      'USE _latin1',
    ])
      expect(useStatementSchema(sql), sql).toBeUndefined();
  });
});

describe('transactionBoundary', () => {
  it('accepts only the plain forms the proxy may answer itself', () => {
    for (const sql of ['BEGIN', 'begin work', ' START  TRANSACTION ;', 'Start\nTransaction'])
      expect(transactionBoundary(sql), sql).toBe('begin');
    for (const sql of ['COMMIT', 'rollback', 'COMMIT WORK;', ' ROLLBACK WORK '])
      expect(transactionBoundary(sql), sql).toBe('end');
    for (const sql of [
      'START TRANSACTION READ ONLY',
      'START TRANSACTION WITH CONSISTENT SNAPSHOT',
      'BEGIN NOT ATOMIC SELECT 1; END',
      'BEGIN; SELECT 1',
      'COMMIT AND CHAIN',
      'COMMIT RELEASE',
      'ROLLBACK TO SAVEPOINT s',
      'ROLLBACK WORK AND NO CHAIN',
      'XA BEGIN',
      'SELECT 1',
    ])
      expect(transactionBoundary(sql), sql).toBeUndefined();
  });

  it('reads through comments the server skips, and not through any other', () => {
    for (const sql of [
      '/* hint */ BEGIN',
      "BEGIN /*traceparent='00-4bf9',route='%2Fpay'*/",
      'START /* a */ TRANSACTION -- b',
      '# c\nBEGIN WORK',
      '--\tc\nBEGIN;',
      'BEGIN --',
      '/*+ hint */ START TRANSACTION',
    ])
      expect(transactionBoundary(sql), sql).toBe('begin');
    for (const sql of ['/* tx */ COMMIT', 'ROLLBACK /* a */ WORK # done'])
      expect(transactionBoundary(sql), sql).toBe('end');
    for (const sql of [
      // executable comments run: a READ ONLY transaction, a statement before it
      'START TRANSACTION /*!50605 READ ONLY */',
      '/*M!100000 DO 1; */ BEGIN',
      // unclosed comment: the server refuses the text
      'BEGIN /* a',
      // `--` without a blank after it is two minus signs
      'BEGIN --x',
      // `--` before 0xA0: a comment in latin1 only
      'BEGIN --\u00a0x',
      "BEGIN 'x'",
      '/* a */ COMMIT RELEASE',
      '/* a */ BEGIN; DO 1',
      // a comment after `;` is a second, empty statement: MariaDB answers it too
      'BEGIN; /* x */',
      'COMMIT; # x',
      // MariaDB's line comment ends at a NUL; what follows is refused
      'BEGIN #x\0y',
      'BEGIN --\ty\0z',
    ])
      expect(transactionBoundary(sql), sql).toBeUndefined();
  });
});

describe('lastUseSchema', () => {
  it('names the schema of the last USE of a multi-statement text', () => {
    expect(lastUseSchema('SELECT 1; USE other')).toBe('other');
    expect(lastUseSchema('USE a; SELECT 1; use `b``c`;')).toBe('b`c');
    expect(lastUseSchema("SELECT '; USE x'")).toBeUndefined();
    expect(lastUseSchema('SELECT 1 /* ; USE y */; DO 0')).toBeUndefined();
    expect(lastUseSchema('DO 0;\n  USE z')).toBe('z');
    expect(lastUseSchema('SELECT used FROM t')).toBeUndefined();
  });
});

describe('releasesSession', () => {
  it('knows the COMMIT / ROLLBACK after which the server ends the session', () => {
    for (const sql of [
      'COMMIT RELEASE',
      'commit work and no chain release',
      'ROLLBACK RELEASE;',
      // Anywhere in a multi-statement text.
      'DO 0; COMMIT RELEASE',
      'COMMIT RELEASE; SELECT 1',
      "SELECT ';'; ROLLBACK /* now */ RELEASE",
    ])
      expect(releasesSession(sql, undefined), sql).toBe(true);
    for (const sql of [
      'COMMIT',
      'COMMIT NO RELEASE',
      'ROLLBACK TO SAVEPOINT release',
      'SELECT 1 RELEASE',
      "COMMIT; SELECT 'RELEASE'",
      'COMMIT /* RELEASE */',
      "SELECT '; COMMIT RELEASE'",
      'COMMIT; COMMIT NO RELEASE',
    ])
      expect(releasesSession(sql, undefined), sql).toBe(false);
    expect(releasesSession('COMMIT', 'RELEASE')).toBe(true);
    expect(releasesSession('ROLLBACK WORK', '2')).toBe(true);
    expect(releasesSession('COMMIT NO RELEASE', 'RELEASE')).toBe(false);
    expect(releasesSession('COMMIT AND CHAIN', 'RELEASE')).toBe(false);
    expect(releasesSession('COMMIT AND NO CHAIN', 'RELEASE')).toBe(true);
    expect(releasesSession('COMMIT', 'NO_CHAIN')).toBe(false);
    expect(releasesSession('DO 0; COMMIT', 'RELEASE')).toBe(true);
    expect(releasesSession('DO 0; COMMIT AND CHAIN', 'RELEASE')).toBe(false);
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

  it('writes strings to read the same with and without NO_BACKSLASH_ESCAPES', async () => {
    const { sqlLiteral } = await import('../src/session/session-state.js');
    expect(sqlLiteral('42')).toBe('42');
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral('a\\b\\')).toBe("CONCAT('a', CHAR(92 USING utf8mb4), 'b', CHAR(92 USING utf8mb4), '')");
  });

  it('a collation only another client set is undone through the character set, never against it', async () => {
    const { planStateSync, SessionState } = await import('../src/session/session-state.js');
    const baseline = new Map([
      ['character_set_connection', 'utf8mb4'],
      ['collation_connection', 'utf8mb4_unicode_ci'],
    ]);
    const backend = new SessionState(null);
    backend.setVariable('character_set_connection', 'utf8mb4');
    backend.setVariable('collation_connection', 'utf8mb4_bin');
    // The client chose latin1 with no collation: latin1's default, which setting latin1 gives
    // (the connect-time utf8mb4_unicode_ci would switch the character set back).
    const latin1 = new SessionState(null);
    latin1.setVariable('character_set_connection', 'latin1');
    expect(planStateSync(backend, latin1, baseline).setStatement).toBe(
      "SET @@session.`character_set_connection` = 'latin1'",
    );
    // Another client's utf8mb4 without a collation: set utf8mb4 again.
    const utf8 = new SessionState(null);
    utf8.setVariable('character_set_connection', 'utf8mb4');
    expect(planStateSync(backend, utf8, baseline).setStatement).toBe(
      "SET @@session.`character_set_connection` = 'utf8mb4'",
    );
    // A client that changed neither: the connect-time character set and collation.
    const charsetOnly = new SessionState(null);
    charsetOnly.setVariable('character_set_connection', 'latin1');
    expect(planStateSync(charsetOnly, new SessionState(null), baseline).setStatement).toBe(
      "SET @@session.`character_set_connection` = 'utf8mb4', @@session.`collation_connection` = 'utf8mb4_unicode_ci'",
    );
  });
});

describe('fromTableAtTopLevel', () => {
  it.each([
    ['SELECT id FROM nums', true],
    ['select * from`nums`', true],
    ['SELECT 1 FROM DUAL', false],
    ['SELECT EXTRACT(YEAR FROM NOW())', false],
    ["SELECT TRIM(LEADING 'x' FROM 'xy')", false],
    ["SELECT SUBSTRING('abc' FROM 2)", false],
    ['SELECT (SELECT 1 FROM nums LIMIT 1)', false],
    ['SELECT fromage FROM cheese', true],
    ['SELECT 1 AS from_x', false],
    ['FROM nums SELECT', true],
  ])('%s: %s', (sql, expected) => {
    expect(fromTableAtTopLevel(sql)).toBe(expected);
  });
});

describe('diagnostics reads the blanked text hides', () => {
  const reads = Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions;
  it.each([
    ["PREPARE s FROM 'SHOW WARNINGS'", reads | Trait.SqlPrepare | Trait.ReadsFoundRows],
    ['EXECUTE IMMEDIATE "SELECT FOUND_ROWS()"', reads | Trait.SqlPrepare | Trait.ReadsFoundRows],
    ['SELECT @@`warning_count`', reads],
    ['SELECT @@session.`error_count`', reads],
  ])('%s', (sql, expected) => {
    expect(classifyStatement(sql)).toBe(expected);
  });
});

describe('leadingKeyword', () => {
  it.each([
    ["INSERT INTO t VALUES ('a')", 'INSERT'],
    ['  (select 1)', 'SELECT'],
    ['/* a comment */ WITH t AS (SELECT 1) SELECT * FROM t', 'WITH'],
    ['-- line\nCALL p()', 'CALL'],
    ['/*!SELECT*/ 1', 'SELECT'],
    ['', undefined],
  ])('%s', (sql, expected) => {
    expect(leadingKeyword(sql)).toBe(expected);
  });
});

describe('quoted names read as calls, in texts of any size', () => {
  // Every quote is taken as an opener: a name MariaDB reads with a quote in it (`` `GET_LOCK ``)
  // is read as the function too — a needless pin, never a missed one.
  it.each([
    ['SELECT ```GET_LOCK`(1)', Trait.AdvisoryLock],
    ["SELECT `x````GET_LOCK`('a', 1)", Trait.AdvisoryLock],
    ["SELECT ``, `GET_LOCK` ('a', 1)", Trait.AdvisoryLock],
    ['SELECT "GET_LOCK"("a", 1)', Trait.AdvisoryLock],
  ])('%s', (sql, trait) => {
    expect(classifyStatement(sql, false, undefined, true) & Trait.AdvisoryLock).toBe(trait);
  });

  // The names so read may be inside a string literal: they add pins and never end one, and only
  // a plain word is a name (found by the Go / Connector/J audit: `UNLOCK TABLES`( in a literal
  // ended a LOCK TABLES pin and let other clients write through the lock; a random binary value
  // sent as escaped text had `@…`( in it and pinned user_variable for the session's life).
  it.each([
    ["INSERT INTO lk VALUES ('docs: run `UNLOCK TABLES`(never) when done')", Trait.UnlockTables],
    ["INSERT INTO lk VALUES ('x `RELEASE_ALL_LOCKS`() y')", Trait.ReleaseAllLocks],
    ["INSERT INTO lk VALUES ('`BACKUP UNLOCK`()')", Trait.BackupUnlock],
    ['INSERT INTO lit VALUES (\'say "@a"(hi)\')', Trait.UserVariable],
    ["INSERT INTO lit VALUES ('say `@a`(hi)')", Trait.UserVariable],
  ])('in a literal, no pin ends and no user variable: %s', (sql, trait) => {
    for (const ansiQuotes of [false, true])
      expect(classifyStatement(sql, false, undefined, ansiQuotes) & trait).toBe(0);
  });

  it('a name in a literal may still add a pin, and a read with one is no pure read', () => {
    const sql = "SELECT 'a `GET_LOCK`(b' FROM t";
    const traits = classifyStatement(sql);
    expect(traits & Trait.AdvisoryLock).toBe(Trait.AdvisoryLock);
    expect(traits & Trait.PureRead).toBe(0);
    expect(classifyStatement("SELECT 'a `x y`(b' FROM t") & Trait.PureRead).toBe(Trait.PureRead);
  });

  it('a 10-million-character statement after a quoted name is classified without overflowing the stack', () => {
    // A backtracking regular expression read quoted names and threw RangeError on such texts.
    // After `t`'s closing backquote a match was tried to the end of the text, a step per character.
    const sql = `INSERT INTO \`t\` VALUES ('${'x'.repeat(10_000_000)}'), (0, GET_LOCK('l', 0))`;
    expect(sql.length).toBeGreaterThan(8_000_000);
    expect(classifyStatement(sql) & Trait.AdvisoryLock).toBe(Trait.AdvisoryLock);
  });
});

describe("changes of the session's own account (the backend account every client shares)", () => {
  it.each([
    ["SET PASSWORD = PASSWORD('x')", true],
    ["SET PASSWORD FOR CURRENT_USER() = PASSWORD('x')", true],
    ["SET PASSWORD FOR CURRENT_USER = 'x'", true],
    ["ALTER USER CURRENT_USER() IDENTIFIED BY 'x'", true],
    ["ALTER USER 'a'@'%', CURRENT_USER() IDENTIFIED BY 'x'", true],
    ["ALTER USER IF EXISTS USER() IDENTIFIED BY 'x'", true],
    ["PREPARE s FROM 'SET PASSWORD FOR CURRENT_USER() = ''x'''", true],
    ["SET PASSWORD FOR 'app'@'%' = PASSWORD('x')", false],
    ["ALTER USER 'app'@'%' IDENTIFIED BY 'current_user'", false],
    ['SET @password = 1', false],
    ['SELECT password FROM accounts', false],
    // A `;` inside a quoted name read as a call is no statement's end.
    ["INSERT INTO notes VALUES ('run `; SET PASSWORD = 1`(now)')", false],
    ["SELECT CONCAT('`; KILL 1`(', 'x')", false],
  ])('%s', (sql, own) => {
    const t = classifyStatement(sql);
    expect({ own: (t & Trait.OwnAccount) !== 0, kill: (t & Trait.Kill) !== 0 }).toEqual({ own, kill: false });
  });
});

describe('connectionIdColumn', () => {
  it('names the column as MariaDB does: the alias, else the call as typed', () => {
    expect(
      [
        'SELECT CONNECTION_ID()',
        'select connection_id( ) ;',
        'SELECT /* b */ Connection_Id() /* d */',
        'SELECT CONNECTION_ID() AS id',
        "SELECT CONNECTION_ID() AS 'my id'",
        'SELECT CONNECTION_ID() AS `my id` FROM DUAL',
        'SELECT CONNECTION_ID()AS"x"',
        'SELECT CONNECTION_ID() ;  \n',
      ].map((sql) => connectionIdColumn(sql)),
    ).toEqual([
      'CONNECTION_ID()',
      'connection_id( )',
      'Connection_Id()',
      'id',
      'my id',
      'my id',
      'x',
      'CONNECTION_ID()',
    ]);
  });

  it('leaves to the server an alias it would refuse, or one the proxy would have to convert', () => {
    const latin1 = (s: string) => Buffer.from(s).toString('latin1');
    expect(
      [
        'SELECT CONNECTION_ID() AS from',
        'SELECT CONNECTION_ID() AS Limit',
        'SELECT CONNECTION_ID() AS NULL',
        'SELECT CONNECTION_ID() AS default',
        'SELECT CONNECTION_ID() AS _latin1',
        `SELECT CONNECTION_ID() AS ${'a'.repeat(256)}`,
        // Left open: a syntax error there.
        "SELECT CONNECTION_ID() AS 'abc",
        latin1("SELECT CONNECTION_ID() AS 'été'"),
        "SELECT CONNECTION_ID() AS 'a\\b'",
        "SELECT CONNECTION_ID() AS 'it''s'",
        "SELECT CONNECTION_ID() AS ' x'",
        'SELECT CONNECTION_ID(), 1',
      ].map((sql) => connectionIdColumn(sql)),
    ).toEqual(Array(12).fill(undefined));
  });
});

describe('firstBoundary', () => {
  it("reads a text's first statement as the server does: comments, literals, any form", async () => {
    const { firstBoundary } = await import('../src/session/statement-traits.js');
    const cases: [string, string | undefined][] = [
      ["/* app='x' */ BEGIN", 'begin'],
      ['begin work -- tagged', 'begin'],
      ['START TRANSACTION READ ONLY', 'begin'],
      ['BEGIN NOT ATOMIC SELECT 1; END', undefined],
      ['/* c */ ROLLBACK', 'rollback'],
      ['ROLLBACK WORK AND NO CHAIN NO RELEASE', 'rollback'],
      ['ROLLBACK RELEASE; SELECT 2', 'rollback'],
      ['ROLLBACK TO SAVEPOINT s1', undefined],
      ['rollback work to s1', undefined],
      ['COMMIT AND CHAIN', 'commit'],
      ["SELECT 'COMMIT'; COMMIT", undefined],
      ['# comment\nCOMMIT', 'commit'],
      ['SAVEPOINT s1', undefined],
      ['START SLAVE', undefined],
    ];
    for (const [sql, boundary] of cases) expect(firstBoundary(sql), sql).toBe(boundary);
  });
});
