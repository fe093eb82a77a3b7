import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// Statements MariaDB takes that the backend once refused or answered otherwise, each compared
// with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

it('takes isnull and notnull as names, as MariaDB does — SQLite reads them as postfix operators', async () => {
  // SQLite refused the first (1064) and read the second as `1 IS NULL` (0, named `1 isnull`).
  await sameOnBoth(both, 'SELECT 1 AS isnull');
  await sameOnBoth(both, 'SELECT 1 isnull, 2 NotNull, ISNULL(NULL), isnull (1)');
  await onBoth('CREATE TABLE isnull (isnull INT, notnull INT)');
  await onBoth('INSERT INTO isnull (isnull, notnull) VALUES (1, NULL), (ISNULL(NULL), 2)');
  await onBoth('INSERT IGNORE INTO isnull (notnull) SELECT isnull(isnull) FROM isnull');
  await sameOnBoth(
    both,
    'SELECT isnull, notnull, isnull + 1, i.isnull FROM isnull i WHERE notnull IS NOT NULL',
  );
  await sameOnBoth(both, 'SELECT COUNT(*) FROM isnull WHERE isnull(isnull)');
});

/** The names of the views the database has (information_schema), on both. */
async function sameViews(): Promise<void> {
  await sameOnBoth(
    both,
    "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'dv%'",
  );
}

it("DROP VIEW of a table or of nothing is 4092 naming them all, after dropping the views there are, as MariaDB's", async () => {
  await onBoth('CREATE TABLE dv_table (id INT)');
  await onBoth('CREATE VIEW dv1 AS SELECT 1 AS a');
  await onBoth('CREATE VIEW dv2 AS SELECT 2 AS a');
  await onBoth('CREATE VIEW dv3 AS SELECT 3 AS a');
  // SQLite said 1105 ('use DROP TABLE to delete table') and 1051, and took no list.
  expect(await onBoth('DROP VIEW dv_table')).toBe('ERR 4092');
  expect(await onBoth('DROP VIEW dv_nothing')).toBe('ERR 4092');
  expect(await onBoth('DROP VIEW no_database.dv1')).toBe('ERR 4092');
  // The same message, but for the database's name (MariaDB's is `test`, ours `main`).
  const [theirs, mine] = await Promise.all(
    [both.server(), both.ours()].map((c) => c.query('DROP VIEW dv1, dv_nothing, dv_table').catch((e) => e)),
  );
  expect((mine as Error).message.replaceAll('main.', 'test.')).toBe((theirs as Error).message);
  expect((mine as Error).message).toBe("Unknown VIEW: 'main.dv_nothing,main.dv_table'");
  await sameViews();
  await onBoth('DROP VIEW IF EXISTS dv2, dv_nothing, dv_table');
  await onBoth('DROP VIEW dv3 RESTRICT');
  await sameViews();
  await sameOnBoth(both, 'SELECT COUNT(*) FROM dv_table');
  expect(await onBoth('DROP VIEW dv3 dv4')).toBe('ERR 1064');
});

it('INSERT INTO t [()] VALUES () [, ()]… inserts rows of defaults and reports the first id, as MariaDB does', async () => {
  await onBoth(
    "CREATE TABLE defaults_only (id INT AUTO_INCREMENT PRIMARY KEY, n INT DEFAULT 5, s VARCHAR(9) DEFAULT 'x', z INT)",
  );
  await onBoth('CREATE TABLE no_id (n INT DEFAULT 7, z INT)');
  // SQLite's grammar has no empty lists: each was 1064.
  for (const sql of [
    'INSERT INTO defaults_only () VALUES ()',
    'INSERT INTO defaults_only () VALUES (), ()',
    'INSERT INTO defaults_only VALUES ()',
    'INSERT INTO defaults_only VALUE ( ) , ( ), ()',
    'INSERT IGNORE INTO defaults_only VALUES ()',
    'INSERT INTO no_id VALUES (), ()',
    'REPLACE INTO no_id () VALUES ()',
  ]) {
    const [theirs, mine] = await Promise.all(
      [both.server(), both.ours()].map(async (c) => {
        const [ok] = (await c.query(sql)) as [{ affectedRows: number; insertId: number }, unknown];
        return { affectedRows: ok.affectedRows, insertId: ok.insertId };
      }),
    );
    expect({ sql, ok: mine }).toEqual({ sql, ok: theirs });
  }
  await sameOnBoth(both, 'SELECT id, n, s, z, LAST_INSERT_ID() FROM defaults_only');
  await sameOnBoth(both, 'SELECT n, z FROM no_id');
});

it("SHOW INDEX lists a temporary table's keys, before a permanent table's of the name, as MariaDB does", async () => {
  /** SHOW INDEX on both, alike but for Cardinality (the backend has no estimate: NULL). */
  const sameIndexes = async (sql: string) => {
    const withoutCardinality = (a: unknown) =>
      typeof a === 'string' ? a : (a as { rows: unknown[][] }).rows.map((r) => r.toSpliced(6, 1));
    const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
    expect({ sql, rows: withoutCardinality(mine) }).toEqual({ sql, rows: withoutCardinality(theirs) });
  };
  await onBoth('CREATE TABLE shown (id INT PRIMARY KEY, u INT, UNIQUE KEY uu (u))');
  await onBoth(
    'CREATE TEMPORARY TABLE shown_temp (id INT PRIMARY KEY, k INT NOT NULL, u VARCHAR(5), KEY kk (k), UNIQUE KEY uu (u, k))',
  );
  // Was 1146: the backend read information_schema, which lists no temporary table.
  await sameIndexes('SHOW INDEX FROM shown_temp');
  await sameIndexes('SHOW KEYS IN shown_temp');
  await sameIndexes('SHOW INDEX FROM shown');
  await onBoth('CREATE TEMPORARY TABLE shown (a INT, KEY ka (a))');
  await sameIndexes('SHOW INDEX FROM shown');
  await onBoth('DROP TEMPORARY TABLE shown');
  await sameIndexes('SHOW INDEX FROM shown');
});

it('takes ALGORITHM, DEFINER and SQL SECURITY on CREATE [OR REPLACE] VIEW, as MariaDB does (the backend ignores them)', async () => {
  await onBoth('CREATE TABLE viewed (a INT)');
  await onBoth('INSERT INTO viewed VALUES (1), (2)');
  // Each was 1064 (SQLite has none of them).
  for (const sql of [
    'CREATE ALGORITHM=MERGE VIEW vc1 AS SELECT a FROM viewed',
    'CREATE DEFINER=CURRENT_USER VIEW vc2 AS SELECT a FROM viewed WHERE a > 1',
    'CREATE SQL SECURITY INVOKER VIEW vc3 AS SELECT 1 AS a',
    'CREATE ALGORITHM = UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW vc4 AS SELECT a FROM viewed',
    "CREATE DEFINER='root'@'%' VIEW vc5 AS SELECT a FROM viewed",
    'CREATE DEFINER=root@localhost VIEW vc6 AS SELECT a FROM viewed',
    'CREATE DEFINER=CURRENT_USER() VIEW vc7 AS SELECT a FROM viewed',
    'CREATE OR REPLACE ALGORITHM=TEMPTABLE DEFINER=CURRENT_USER SQL SECURITY INVOKER VIEW vc1 AS SELECT a * 10 AS a FROM viewed',
    'CREATE OR REPLACE SQL SECURITY INVOKER VIEW vc8 AS SELECT a FROM viewed',
  ])
    expect(await onBoth(sql)).toEqual({ affectedRows: 0 });
  for (const v of ['vc1', 'vc2', 'vc3', 'vc4', 'vc5', 'vc6', 'vc7', 'vc8'])
    await sameOnBoth(both, `SELECT a FROM ${v}`);
  // Not part of the stored view, which names its table in the session's database as any does.
  const [[row]] = (await both.ours().query({ sql: 'SHOW CREATE VIEW vc4', rowsAsArray: true })) as [
    string[][],
    unknown,
  ];
  expect(row![1]).toBe('CREATE VIEW vc4 AS SELECT a FROM `main`.viewed');
  // An unknown algorithm stays an error.
  expect(await onBoth('CREATE ALGORITHM=BOGUS VIEW vc9 AS SELECT 1')).toBe('ERR 1064');
});

it('ends an assigned expression at a bare alias, as MariaDB does (`SELECT @x := 1 + 2 y`)', async () => {
  // The alias was taken into the expression: 1064.
  for (const sql of [
    'SELECT @x := 1 y',
    'SELECT @x := 1 + 2 y, @x',
    'SELECT @a := 5 `quoted`, @b := COUNT(*) n FROM (SELECT 1 UNION SELECT 2) t',
    'SELECT @c := NULL IS NULL z, @d := 3 IS NOT NULL w, @e := NOT 0 nt',
    "SELECT @f := DATE_ADD('2024-01-01', INTERVAL 1 DAY) d1, @g := '2024-01-01' + INTERVAL 2 DAY d2",
    "SELECT @h := 7 DIV 2 q, @i := 'a' LIKE 'A' l, @j := 1 BETWEEN 0 AND 2 bt",
    "SELECT @k := CASE WHEN 1 THEN 'x' ELSE 'y' END cs",
    'SELECT @x, @a, @b, @c, @d, @e, @f, @g, @h, @i, @j, @k',
  ])
    await sameOnBoth(both, sql);
});

it("DROP TABLE of a view is 1965 ('db.v' is a view) and DROP TABLE IF EXISTS leaves it, as MariaDB's", async () => {
  await onBoth('CREATE VIEW dt_view AS SELECT 1 AS a');
  // SQLite said 1105 'use DROP VIEW to delete view dt_view', with IF EXISTS too.
  const [theirs, mine] = await Promise.all(
    [both.server(), both.ours()].map((c) => c.query('DROP TABLE dt_view').catch((e) => e)),
  );
  const error = (e: { errno: number; sqlState: string; message: string }) => ({
    errno: e.errno,
    sqlState: e.sqlState,
    message: e.message.replaceAll("'main.", "'test."),
  });
  expect(error(mine)).toEqual(error(theirs));
  expect((mine as Error).message).toBe("'main.dt_view' is a view");
  expect(await onBoth('DROP TABLE IF EXISTS dt_view')).toEqual({ affectedRows: 0 });
  await sameOnBoth(both, 'SELECT a FROM dt_view');
  expect(await onBoth('DROP VIEW dt_view')).toEqual({ affectedRows: 0 });
  expect(await onBoth('DROP TABLE dt_view')).toBe('ERR 1051');
});

it('computes a MOD b, the operator, as MariaDB does', async () => {
  // Each was 1064 (SQLite has `%` and a MOD() function only).
  await sameOnBoth(
    both,
    'SELECT 7 MOD 3, -7 MOD 3, 7 mod -3, 7.5 MOD 2, 7 MOD 0, NULL MOD 2, 1 + 7 MOD 3 * 2, 10 MOD 4 MOD 3',
  );
  await sameOnBoth(
    both,
    'SELECT (7 + 1) MOD 3 AS a, ABS(-9) MOD 4 AS b, 7 MOD ABS(-4) AS c, 7 * 2 MOD 3 AS d, 9 DIV 2 MOD 3 AS e',
  );
  await onBoth('CREATE TABLE modded (n INT)');
  await onBoth('INSERT INTO modded VALUES (1), (2), (3), (4), (5), (6)');
  await sameOnBoth(both, 'SELECT n, n MOD 2 FROM modded WHERE n MOD 3 = 0');
  expect(await onBoth('UPDATE modded SET n = n MOD 4')).toEqual({ affectedRows: 6 });
  await sameOnBoth(both, 'SELECT n FROM modded');
});

it('takes INSERT and REPLACE without INTO, as MariaDB does', async () => {
  await onBoth('CREATE TABLE no_into (id INT PRIMARY KEY, a INT)');
  // Each was 1064 (SQLite's INTO is not optional).
  for (const sql of [
    'INSERT no_into VALUES (1, 1)',
    'INSERT no_into (id, a) VALUES (2, 2), (3, 3)',
    'INSERT IGNORE no_into VALUES (1, 9), (4, 4)',
    'INSERT LOW_PRIORITY IGNORE `no_into` (id) VALUES (5)',
    'INSERT no_into SELECT id + 10, a FROM no_into WHERE id < 3',
    'REPLACE no_into VALUES (7, 7)',
    'REPLACE no_into (id, a) VALUES (8, 8), (6, 6)',
  ])
    await onBoth(sql);
  await sameOnBoth(both, 'SELECT id, a FROM no_into');
  expect(await onBoth('INSERT no_into VALUES (1, 1)')).toBe('ERR 1062');
});

/** An OK's affected rows and info on both, the length byte mysql2 leaves in ours taken off. */
async function sameOk(sql: string): Promise<void> {
  // mysql2 reads the info of a server without session tracking (the backend) as the rest of the
  // packet, length byte and all; of MariaDB as a length-encoded string.
  const withoutLength = (info: string) =>
    info.length > 0 && info.charCodeAt(0) === info.length - 1 ? info.slice(1) : info;
  const [theirs, mine] = await Promise.all(
    [both.server(), both.ours()].map(async (c) => {
      const [ok] = await c.query<mysql.ResultSetHeader>(sql);
      return { sql, affectedRows: ok.affectedRows, info: withoutLength(ok.info) };
    }),
  );
  expect(mine).toEqual(theirs);
}

it('says Records: n  Duplicates: 0  Warnings: 0 after an INSERT of several rows or of a SELECT, as MariaDB does', async () => {
  await onBoth('CREATE TABLE recorded (id INT PRIMARY KEY, a INT)');
  // The info was empty.
  for (const sql of [
    'INSERT INTO recorded VALUES (1, 1)',
    'INSERT INTO recorded VALUES (2, 2), (3, 3)',
    'INSERT INTO recorded (id) VALUES (4), (5), (6)',
    'INSERT INTO recorded SELECT id + 10, a FROM recorded',
    'INSERT INTO recorded SELECT 40, 1',
    'INSERT INTO recorded SELECT id, a FROM recorded WHERE 0',
    'INSERT IGNORE INTO recorded VALUES (7, 7), (8, 8)',
    'INSERT INTO recorded VALUES (9, (1)), ((10), 10 + (1))',
  ])
    await sameOk(sql);
  await sameOnBoth(both, 'SELECT id, a FROM recorded');
});

it('counts the rows a REPLACE deleted as affected, and says so in its info, as MariaDB does', async () => {
  await onBoth('CREATE TABLE replaced (id INT PRIMARY KEY, k INT UNIQUE, a INT)');
  await onBoth('CREATE TABLE replacing (id INT, k INT, a INT)');
  await onBoth('INSERT INTO replacing VALUES (3, 30, 1), (9, 90, 1)');
  // Affected rows were the rows inserted alone (1, 2, 2), and the info empty.
  for (const sql of [
    'INSERT INTO replaced VALUES (1, 10, 0), (2, 20, 0), (3, 30, 0), (4, 40, 0)',
    'REPLACE INTO replaced VALUES (1, 10, 1)',
    'REPLACE INTO replaced VALUES (2, 20, 1), (5, 50, 1)',
    'REPLACE INTO replaced SELECT id, k, a FROM replacing',
  ])
    await sameOk(sql);
  await sameOnBoth(both, 'SELECT id, k, a FROM replaced');
  // One row replacing two: MariaDB counts both deleted rows as affected.
  expect(await onBoth('REPLACE INTO replaced VALUES (1, 20, 2)')).toEqual({ affectedRows: 3 });
  expect(await onBoth('SELECT ROW_COUNT()')).toEqual({ rows: [['3']], names: ['ROW_COUNT()'] });
  await sameOnBoth(both, 'SELECT id, k, a FROM replaced');
});

it('keeps NULL out of every primary key column, as MariaDB does — SQLite lets one be NULL unless it is the rowid', async () => {
  await onBoth('CREATE TABLE pk_int (id INT PRIMARY KEY, v VARCHAR(9))');
  // SQLite stored both rows with id NULL, while DESCRIBE said Null NO.
  expect(await onBoth("INSERT INTO pk_int (v) VALUES ('w')")).toBe('ERR 1364');
  expect(await onBoth('INSERT INTO pk_int () VALUES ()')).toBe('ERR 1364');
  expect(await onBoth("INSERT INTO pk_int VALUES (NULL, 'x')")).toBe('ERR 1048');
  expect(await onBoth("INSERT INTO pk_int (id, v) VALUES (NULL, 'x')")).toBe('ERR 1048');
  await onBoth("INSERT INTO pk_int VALUES (1, 'y')");
  await sameOnBoth(both, 'SELECT id, v FROM pk_int');

  await onBoth('CREATE TABLE pk_text (code VARCHAR(9) PRIMARY KEY, n INT)');
  expect(await onBoth('INSERT INTO pk_text (n) VALUES (1)')).toBe('ERR 1364');
  expect(await onBoth('INSERT INTO pk_text VALUES (NULL, 2)')).toBe('ERR 1048');
  await onBoth("INSERT INTO pk_text VALUES ('a', 3)");
  await sameOnBoth(both, 'SELECT code, n FROM pk_text');

  // NOT NULL inside a CHECK is no NOT NULL clause: the key column still gets one (1048, not
  // the CHECK's 4025).
  await onBoth('CREATE TABLE pk_checked (id INT PRIMARY KEY CHECK (id IS NOT NULL OR id > 0), v INT)');
  expect(await onBoth('INSERT INTO pk_checked VALUES (NULL, 1)')).toBe('ERR 1048');

  await onBoth('CREATE TABLE pk_pair (a INT, b VARCHAR(9), c INT, PRIMARY KEY (a, b))');
  expect(await onBoth("INSERT INTO pk_pair (b, c) VALUES ('x', 1)")).toBe('ERR 1364');
  expect(await onBoth('INSERT INTO pk_pair (a, c) VALUES (1, 1)')).toBe('ERR 1364');
  expect(await onBoth("INSERT INTO pk_pair VALUES (NULL, 'x', 1)")).toBe('ERR 1048');
  expect(await onBoth('INSERT INTO pk_pair VALUES (1, NULL, 1)')).toBe('ERR 1048');
  await onBoth("INSERT INTO pk_pair VALUES (1, 'x', 1)");
  await sameOnBoth(both, 'SELECT a, b, c FROM pk_pair');
  await onBoth('CREATE TABLE pk_named (a INT, `b b` INT, CONSTRAINT pk_named_key PRIMARY KEY (`b b`, a))');
  expect(await onBoth('INSERT INTO pk_named VALUES (1, NULL)')).toBe('ERR 1048');
  expect(await onBoth('INSERT INTO pk_named (a) VALUES (1)')).toBe('ERR 1364');
  await sameOnBoth(both, 'SELECT COUNT(*) FROM pk_named');

  // AUTO_INCREMENT still numbers an omitted or NULL id, here and beside a composite key.
  await onBoth('CREATE TABLE pk_auto (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(9))');
  await onBoth("INSERT INTO pk_auto (v) VALUES ('a')");
  await onBoth("INSERT INTO pk_auto VALUES (NULL, 'b')");
  await onBoth('INSERT INTO pk_auto () VALUES ()');
  await sameOnBoth(both, 'SELECT id, v FROM pk_auto');
  await onBoth('CREATE TABLE pk_auto_pair (k INT, id INT AUTO_INCREMENT, PRIMARY KEY (id, k))');
  expect(await onBoth('INSERT INTO pk_auto_pair (id) VALUES (NULL)')).toBe('ERR 1364');
  await onBoth('INSERT INTO pk_auto_pair (k) VALUES (5)');
  await onBoth('INSERT INTO pk_auto_pair VALUES (6, NULL)');
  await sameOnBoth(both, 'SELECT k, id FROM pk_auto_pair');

  // DESCRIBE's Field, Null and Key, and information_schema's IS_NULLABLE, as they were: NO.
  for (const table of ['pk_int', 'pk_text', 'pk_pair', 'pk_auto']) {
    const [theirs, mine] = await Promise.all(
      [both.server(), both.ours()].map((c) => answer(c, `DESCRIBE ${table}`)),
    );
    const nulls = (a: unknown) => (a as { rows: unknown[][] }).rows.map((r) => [r[0], r[2], r[3]]);
    expect(nulls(mine)).toEqual(nulls(theirs));
  }
  await sameOnBoth(
    both,
    "SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('pk_int', 'pk_text', 'pk_pair', 'pk_named', 'pk_auto', 'pk_auto_pair')",
  );
});

it('names a column after a subquery as the client wrote it, not with the schema the backend adds', async () => {
  await onBoth('CREATE TABLE sqn (id INT, v INT)');
  await onBoth('INSERT INTO sqn VALUES (1, 10), (2, 20)');
  // The header read `(SELECT MAX(v) FROM \`main\`.sqn)`.
  expect(
    await onBoth('SELECT (SELECT MAX(v) FROM sqn), (SELECT COUNT(*) FROM sqn o WHERE o.id = 1)'),
  ).toEqual({
    rows: [['20', '1']],
    names: ['(SELECT MAX(v) FROM sqn)', '(SELECT COUNT(*) FROM sqn o WHERE o.id = 1)'],
  });
  await onBoth('SELECT id, EXISTS (SELECT 1 FROM sqn WHERE v > 15) FROM sqn WHERE id = 1');
});
