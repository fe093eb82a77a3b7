import { expect, it } from 'vitest';
import { sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// TRUNCATE TABLE, DROP TABLE of several tables and a primary key's USING BTREE, each compared
// with a live MariaDB 10.11 (SQLite has no TRUNCATE, drops one table per DROP TABLE, and takes
// no index type in a table's PRIMARY KEY: all were 1064).

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** Runs `sql` on both, expecting it to fail alike: the same code, the same message but for the database's name. */
async function sameError(sql: string): Promise<string> {
  const [theirs, mine] = await Promise.all(
    [both.server(), both.ours()].map((c) =>
      c.query(sql).then(
        () => undefined,
        (e: Error) => e,
      ),
    ),
  );
  expect(theirs).toBeInstanceOf(Error);
  const message = (e: unknown) => `${(e as { errno?: number }).errno} ${(e as Error | undefined)?.message}`;
  expect({ sql, error: message(mine).replaceAll('main.', 'test.') }).toEqual({ sql, error: message(theirs) });
  return message(mine);
}

/** The tables and views named `prefix…` the database has, on both. */
async function sameTables(prefix: string): Promise<unknown[][]> {
  const r = await sameOnBoth(
    both,
    `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '${prefix}%'`,
  );
  return r.rows;
}

it('TRUNCATE [TABLE] t empties the table, answers 0 rows affected and numbers ids from 1 again', async () => {
  await onBoth('CREATE TABLE tr_ids (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await onBoth('INSERT INTO tr_ids (v) VALUES (1), (2), (3)');
  expect(await onBoth('TRUNCATE tr_ids')).toEqual({ affectedRows: 0 });
  await sameOnBoth(both, 'SELECT ROW_COUNT()');
  await onBoth('INSERT INTO tr_ids (v) VALUES (9)');
  await sameOnBoth(both, 'SELECT id, v FROM tr_ids');
  // Also a table that started numbering at AUTO_INCREMENT=n: InnoDB starts at 1 again.
  await onBoth('CREATE TABLE tr_start (id INT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=100');
  await onBoth('INSERT INTO tr_start (v) VALUES (1)');
  expect(await onBoth('TRUNCATE TABLE tr_start')).toEqual({ affectedRows: 0 });
  await onBoth('INSERT INTO tr_start (v) VALUES (2)');
  await sameOnBoth(both, 'SELECT id, v FROM tr_start');
  // A table without an id, and one already empty.
  await onBoth('CREATE TABLE tr_plain (v VARCHAR(5))');
  await onBoth("INSERT INTO tr_plain VALUES ('a'), ('b')");
  await onBoth('TRUNCATE TABLE tr_plain');
  await onBoth('TRUNCATE TABLE tr_plain');
  await sameOnBoth(both, 'SELECT COUNT(*) FROM tr_plain');
});

it('TRUNCATE of a view, an unknown table or database is 1146; a list or IF EXISTS is 1064', async () => {
  await onBoth('CREATE VIEW tr_view AS SELECT 1 AS a');
  await sameError('TRUNCATE tr_view');
  await sameError('TRUNCATE TABLE tr_nothing');
  await sameError('TRUNCATE no_database.tr_ids');
  expect(await onBoth('TRUNCATE tr_ids, tr_start')).toBe('ERR 1064');
  expect(await onBoth('TRUNCATE TABLE IF EXISTS tr_ids')).toBe('ERR 1064');
  expect(await onBoth('TRUNCATE')).toBe('ERR 1064');
});

it("TRUNCATE empties the session's temporary table, not the table it hides", async () => {
  await onBoth('CREATE TABLE tr_hidden (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await onBoth('INSERT INTO tr_hidden (v) VALUES (1), (2)');
  await onBoth('CREATE TEMPORARY TABLE tr_hidden (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await onBoth('INSERT INTO tr_hidden (v) VALUES (10), (20)');
  await onBoth('TRUNCATE tr_hidden');
  await onBoth('INSERT INTO tr_hidden (v) VALUES (30)');
  await sameOnBoth(both, 'SELECT id, v FROM tr_hidden');
  await onBoth('DROP TEMPORARY TABLE tr_hidden');
  await sameOnBoth(both, 'SELECT id, v FROM tr_hidden');
});

it('TRUNCATE of a table another table’s foreign key references is 1701, unless FOREIGN_KEY_CHECKS = 0', async () => {
  await onBoth('CREATE TABLE tr_parent (id INT PRIMARY KEY)');
  await onBoth('CREATE TABLE tr_child (p INT, FOREIGN KEY (p) REFERENCES tr_parent (id))');
  await onBoth('INSERT INTO tr_parent VALUES (1), (2)');
  await onBoth('INSERT INTO tr_child VALUES (1)');
  // Refused even with no row of the child pointing at it (MariaDB's message names the constraint).
  expect(await onBoth('TRUNCATE tr_parent')).toBe('ERR 1701');
  await onBoth('TRUNCATE tr_child');
  expect(await onBoth('TRUNCATE tr_parent')).toBe('ERR 1701');
  await sameOnBoth(both, 'SELECT COUNT(*) FROM tr_parent');
  await onBoth('INSERT INTO tr_child VALUES (2)');
  await onBoth('SET foreign_key_checks = 0');
  try {
    await onBoth('TRUNCATE tr_parent');
  } finally {
    await onBoth('SET foreign_key_checks = 1');
  }
  await sameOnBoth(
    both,
    'SELECT (SELECT COUNT(*) FROM tr_parent) AS parents, (SELECT COUNT(*) FROM tr_child) AS children',
  );
  // A foreign key of the table to itself does not count.
  await onBoth('CREATE TABLE tr_self (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES tr_self (id))');
  await onBoth('INSERT INTO tr_self VALUES (1, NULL), (2, 1)');
  await onBoth('TRUNCATE tr_self');
  await sameOnBoth(both, 'SELECT COUNT(*) FROM tr_self');
});

it('TRUNCATE commits the open transaction and itself, as DDL does in MariaDB', async () => {
  await onBoth('CREATE TABLE tr_kept (v INT)');
  await onBoth('CREATE TABLE tr_emptied (v INT)');
  await onBoth('INSERT INTO tr_emptied VALUES (1)');
  await onBoth('BEGIN');
  await onBoth('INSERT INTO tr_kept VALUES (1)');
  await onBoth('TRUNCATE tr_emptied');
  await onBoth('ROLLBACK');
  await sameOnBoth(
    both,
    'SELECT (SELECT COUNT(*) FROM tr_kept) AS kept, (SELECT COUNT(*) FROM tr_emptied) AS emptied',
  );
  // Of a temporary table too.
  await onBoth('CREATE TEMPORARY TABLE tr_temp (v INT)');
  await onBoth('BEGIN');
  await onBoth('INSERT INTO tr_kept VALUES (2)');
  await onBoth('TRUNCATE tr_temp');
  await onBoth('ROLLBACK');
  await sameOnBoth(both, 'SELECT COUNT(*) FROM tr_kept');
  // With autocommit off the TRUNCATE is not rolled back.
  await onBoth('INSERT INTO tr_emptied VALUES (2)');
  await onBoth('SET autocommit = 0');
  try {
    await onBoth('INSERT INTO tr_kept VALUES (3)');
    await onBoth('TRUNCATE tr_emptied');
    await onBoth('ROLLBACK');
  } finally {
    await onBoth('SET autocommit = 1');
  }
  await sameOnBoth(
    both,
    'SELECT (SELECT COUNT(*) FROM tr_kept) AS kept, (SELECT COUNT(*) FROM tr_emptied) AS emptied',
  );
});

it('DROP TABLE of several tables drops those there are and names the unknown ones in 1051', async () => {
  for (const t of ['dt_a1', 'dt_a2', 'dt_a3', 'dt_a4']) await onBoth(`CREATE TABLE ${t} (id INT)`);
  expect(await sameError('DROP TABLE dt_a1, dt_nope1, dt_a2, dt_nope2')).toBe(
    "1051 Unknown table 'main.dt_nope1,main.dt_nope2'",
  );
  expect(await sameTables('dt_a')).toEqual([
    ['dt_a3', 'BASE TABLE'],
    ['dt_a4', 'BASE TABLE'],
  ]);
  await sameError('DROP TABLE dt_nope3, no_database.dt_nope3');
  await onBoth('DROP TABLE IF EXISTS dt_a3, dt_nope4');
  expect(await onBoth('DROP TABLES dt_a4, dt_nope5 RESTRICT')).toBe('ERR 1051');
  await onBoth('DROP TABLE IF EXISTS dt_nope6, dt_nope7 CASCADE');
  expect(await sameTables('dt_a')).toEqual([]);
  // MariaDB's names are case-sensitive: `t, T` is two names, and the second one is unknown.
  await onBoth('CREATE TABLE dt_case (id INT)');
  await sameError('DROP TABLE dt_case, DT_CASE');
  expect(await sameTables('dt_case')).toEqual([]);
  expect(await onBoth('DROP TABLE dt_a1 dt_a2')).toBe('ERR 1064');
  expect(await onBoth('DROP TABLE dt_a1,')).toBe('ERR 1064');
});

it('DROP TABLE naming a table twice is 1066 and drops nothing', async () => {
  await onBoth('CREATE TABLE dt_twice (id INT)');
  expect(await sameError('DROP TABLE dt_twice, dt_twice')).toBe("1066 Not unique table/alias: 'dt_twice'");
  await sameError('DROP TABLE dt_none, dt_none');
  expect(await sameTables('dt_twice')).toEqual([['dt_twice', 'BASE TABLE']]);
  await onBoth('DROP TABLE dt_twice');
});

it('DROP TABLE listing a view drops the tables beside it and fails with 1965 for the view; IF EXISTS leaves the view', async () => {
  await onBoth('CREATE VIEW dt_v AS SELECT 1 AS a');
  await onBoth('CREATE VIEW dt_v2 AS SELECT 2 AS a');
  await onBoth('CREATE TABLE dt_b1 (id INT)');
  await onBoth('CREATE TABLE dt_b2 (id INT)');
  expect(await sameError('DROP TABLE dt_b1, dt_v, dt_b2')).toBe("1965 'main.dt_v' is a view");
  expect(await sameTables('dt_b')).toEqual([]);
  // Before the unknown names, and the first view only.
  await onBoth('CREATE TABLE dt_b1 (id INT)');
  await sameError('DROP TABLE dt_nope, dt_v2, dt_v, dt_b1');
  expect(await sameTables('dt_b')).toEqual([]);
  await onBoth('CREATE TABLE dt_b1 (id INT)');
  await onBoth('DROP TABLE IF EXISTS dt_b1, dt_v, dt_nope');
  expect(await sameTables('dt_')).toEqual([
    ['dt_v', 'VIEW'],
    ['dt_v2', 'VIEW'],
  ]);
});

it("DROP TABLE of several drops the session's temporary tables first, as their names hide the others", async () => {
  await onBoth('CREATE TABLE dt_s1 (id INT)');
  await onBoth('CREATE TEMPORARY TABLE dt_s1 (x INT)');
  await onBoth('CREATE TEMPORARY TABLE dt_s2 (x INT)');
  await onBoth('DROP TABLE dt_s1, dt_s2');
  expect(await sameTables('dt_s')).toEqual([['dt_s1', 'BASE TABLE']]);
  await sameOnBoth(both, 'SELECT * FROM dt_s1');
  expect(await onBoth('SELECT * FROM dt_s2')).toBe('ERR 1146');
  await onBoth('DROP TEMPORARY TABLE IF EXISTS dt_s1, dt_s2');
  await onBoth('CREATE TEMPORARY TABLE dt_s3 (x INT)');
  await onBoth('DROP TABLE dt_s1, dt_s3');
  expect(await sameTables('dt_s')).toEqual([]);
});

it('CREATE TABLE takes USING BTREE / HASH before or after a PRIMARY KEY’s columns', async () => {
  for (const sql of [
    'CREATE TABLE pk_before (a INT, b INT, PRIMARY KEY USING BTREE (a))',
    'CREATE TABLE pk_after (a INT, b INT, PRIMARY KEY (a) USING BTREE)',
    'CREATE TABLE pk_named (a INT, b VARCHAR(5), CONSTRAINT pk_x PRIMARY KEY USING HASH (a, b))',
    'CREATE TABLE pk_auto (id INT AUTO_INCREMENT, v INT, PRIMARY KEY USING BTREE (id))',
    // Its key becomes a UNIQUE one beside the id (see auto-increment.test.ts): not compared below.
    'CREATE TABLE pk_auto2 (id INT AUTO_INCREMENT, v INT, PRIMARY KEY (v, id) USING BTREE, KEY (id))',
  ])
    await onBoth(sql);
  await sameOnBoth(
    both,
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_KEY, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'pk_%' AND TABLE_NAME <> 'pk_auto2'",
  );
  await onBoth('INSERT INTO pk_before VALUES (1, 1)');
  expect(await onBoth('INSERT INTO pk_before VALUES (1, 2)')).toBe('ERR 1062');
  expect(await onBoth('INSERT INTO pk_after VALUES (NULL, 2)')).toBe('ERR 1048');
  await onBoth("INSERT INTO pk_named VALUES (1, 'x'), (1, 'y')");
  expect(await onBoth("INSERT INTO pk_named VALUES (1, 'x')")).toBe('ERR 1062');
  await onBoth('INSERT INTO pk_auto (v) VALUES (5), (6)');
  await onBoth('INSERT INTO pk_auto2 (v) VALUES (5), (6)');
  await sameOnBoth(both, 'SELECT id, v FROM pk_auto');
  await sameOnBoth(both, 'SELECT id, v FROM pk_auto2');
  // A column's own PRIMARY KEY takes none, in MariaDB as here.
  expect(await onBoth('CREATE TABLE pk_column (a INT PRIMARY KEY USING BTREE)')).toBe('ERR 1064');
});

/** The key and nullability of the columns of the tables named `prefix…`, on both. */
async function sameKeys(prefix: string): Promise<void> {
  await sameOnBoth(
    both,
    `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_KEY, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '${prefix}%'`,
  );
}

it('ALTER TABLE t ADD [CONSTRAINT [c]] PRIMARY KEY (cols) gives the table its key, rows, indexes, triggers and views kept', async () => {
  await onBoth('CREATE TABLE ak_one (a INT, b VARCHAR(5), UNIQUE KEY ub (b))');
  await onBoth("INSERT INTO ak_one VALUES (2, 'y'), (1, 'x')");
  await onBoth('CREATE VIEW ak_view AS SELECT a, b FROM ak_one');
  await onBoth('CREATE TABLE ak_log (a INT)');
  await onBoth(
    'CREATE TRIGGER ak_logged AFTER INSERT ON ak_one FOR EACH ROW BEGIN INSERT INTO ak_log VALUES (NEW.a); END',
  );
  expect(await onBoth('ALTER TABLE ak_one ADD PRIMARY KEY (a)')).toEqual({ affectedRows: 0 });
  await sameKeys('ak_one');
  await sameOnBoth(both, 'SELECT a, b FROM ak_one');
  expect(await onBoth("INSERT INTO ak_one VALUES (1, 'z')")).toBe('ERR 1062');
  expect(await onBoth("INSERT INTO ak_one VALUES (NULL, 'z')")).toBe('ERR 1048');
  expect(await onBoth("INSERT INTO ak_one VALUES (3, 'x')")).toBe('ERR 1062');
  await onBoth("INSERT INTO ak_one VALUES (3, 'z')");
  await sameOnBoth(both, 'SELECT a, b FROM ak_view');
  await sameOnBoth(both, 'SELECT a FROM ak_log');
  // Several columns, named, with an index type before or after them.
  await onBoth('CREATE TABLE ak_two (a INT, b VARCHAR(5) NOT NULL, c INT)');
  await onBoth("INSERT INTO ak_two VALUES (1, 'x', 1), (1, 'y', 2)");
  await onBoth('ALTER TABLE ak_two ADD CONSTRAINT pk_two PRIMARY KEY USING BTREE (a, b)');
  await onBoth('CREATE TABLE ak_three (a VARCHAR(5), b INT)');
  await onBoth('ALTER TABLE ak_three ADD CONSTRAINT PRIMARY KEY (a) USING HASH');
  await sameKeys('ak_t');
  expect(await onBoth("INSERT INTO ak_two VALUES (1, 'x', 3)")).toBe('ERR 1062');
  await onBoth("INSERT INTO ak_two VALUES (2, 'x', 3)");
  await sameOnBoth(both, 'SELECT a, b, c FROM ak_two');
  // A table whose foreign key references another keeps it.
  await onBoth('CREATE TABLE ak_parent (id INT PRIMARY KEY)');
  await onBoth('CREATE TABLE ak_child (a INT, p INT, FOREIGN KEY (p) REFERENCES ak_parent (id))');
  await onBoth('INSERT INTO ak_parent VALUES (1)');
  await onBoth('INSERT INTO ak_child VALUES (1, 1)');
  await onBoth('ALTER TABLE ak_child ADD PRIMARY KEY (a)');
  expect(await onBoth('INSERT INTO ak_child VALUES (2, 2)')).toBe('ERR 1452');
  await sameOnBoth(both, 'SELECT a, p FROM ak_child');
});

it('ALTER TABLE … ADD PRIMARY KEY is refused as MariaDB refuses it: a key there, an unknown column, NULLs, duplicates, a view', async () => {
  await onBoth('CREATE TABLE ak_bad (a INT, b INT)');
  await onBoth('INSERT INTO ak_bad VALUES (1, 1), (NULL, 2), (1, 3)');
  expect(await sameError('ALTER TABLE ak_bad ADD PRIMARY KEY (a)')).toBe(
    "1265 Data truncated for column 'a' at row 2",
  );
  await onBoth('DELETE FROM ak_bad WHERE a IS NULL');
  expect(await sameError('ALTER TABLE ak_bad ADD PRIMARY KEY (a)')).toBe(
    "1062 Duplicate entry '1' for key 'PRIMARY'",
  );
  await sameError('ALTER TABLE ak_bad ADD PRIMARY KEY (zz)');
  await sameError('ALTER TABLE ak_nothing ADD PRIMARY KEY (a)');
  await onBoth('CREATE VIEW akv_bad AS SELECT 1 AS a');
  await sameError('ALTER TABLE akv_bad ADD PRIMARY KEY (a)');
  await onBoth('ALTER TABLE ak_bad ADD PRIMARY KEY (a, b)');
  await sameError('ALTER TABLE ak_bad ADD PRIMARY KEY (b)');
  await sameError('ALTER TABLE ak_bad ADD CONSTRAINT pk_b PRIMARY KEY (b)');
  await sameKeys('ak_bad');
  await sameOnBoth(both, 'SELECT a, b FROM ak_bad');
});

it('DROP TABLE of one table another table’s foreign key references is 1451, its children kept; FOREIGN_KEY_CHECKS = 0 drops it alone', async () => {
  await onBoth('CREATE TABLE fk_parent (id INT PRIMARY KEY)');
  await onBoth(
    'CREATE TABLE fk_child (id INT, pid INT, FOREIGN KEY (pid) REFERENCES fk_parent (id) ON DELETE CASCADE)',
  );
  await onBoth(
    'CREATE TABLE fk_nulled (pid INT, FOREIGN KEY (pid) REFERENCES fk_parent (id) ON DELETE SET NULL)',
  );
  await onBoth('INSERT INTO fk_parent VALUES (1), (2)');
  await onBoth('INSERT INTO fk_child VALUES (1, 1), (2, 2)');
  await onBoth('INSERT INTO fk_nulled VALUES (1)');
  // SQLite's DROP deleted the parent's rows first: the CASCADE emptied fk_child, SET NULL
  // cleared fk_nulled, and the table was gone.
  await sameError('DROP TABLE fk_parent');
  await sameError('DROP TABLE IF EXISTS fk_parent');
  expect(
    await onBoth(
      'SELECT (SELECT COUNT(*) FROM fk_child), (SELECT pid FROM fk_nulled), (SELECT COUNT(*) FROM fk_parent)',
    ),
  ).toMatchObject({
    rows: [['2', '1', '2']],
  });
  // A table referencing only itself drops.
  await onBoth(
    'CREATE TABLE fk_tree (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES fk_tree (id) ON DELETE CASCADE)',
  );
  await onBoth('INSERT INTO fk_tree VALUES (1, NULL), (2, 1)');
  await onBoth('DROP TABLE fk_tree');
  // As a dump's DROP before its CREATE: the children are left as they are.
  await onBoth('SET FOREIGN_KEY_CHECKS = 0');
  await onBoth('DROP TABLE fk_parent');
  await onBoth('SET FOREIGN_KEY_CHECKS = 1');
  await onBoth('SELECT (SELECT COUNT(*) FROM fk_child), (SELECT pid FROM fk_nulled)');
  await sameTables('fk_');
});
