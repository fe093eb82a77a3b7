import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { sameAnswer, sideBySide } from './support/against-mariadb.js';

// `ON UPDATE CURRENT_TIMESTAMP` columns, compared with a live MariaDB 10.11. The times differ
// between the two servers, so rows are compared by what happened to them: a column set to 2000
// by hand and left alone still says 2000; one the UPDATE stamped says this year.

const both = sideBySide();

/** Runs `sql` on both; expects the same answer. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** Runs `sql` on both without comparing the answers (an UPDATE's affected rows differ here). */
async function runOnBoth(sql: string): Promise<void> {
  await Promise.all([both.server().query(sql), both.ours().query(sql)]);
}

/** What each row's stamped columns hold: NULL, 2000 (left alone) or stamped now. */
const STATE = `SELECT id,
  CASE WHEN u IS NULL THEN 'null' WHEN YEAR(u) = 2000 THEN 'old' WHEN YEAR(u) = YEAR(UTC_TIMESTAMP()) THEN 'now' ELSE u END u,
  CASE WHEN d IS NULL THEN 'null' WHEN YEAR(d) = 2000 THEN 'old' WHEN YEAR(d) = YEAR(UTC_TIMESTAMP()) THEN 'now' ELSE d END d
  FROM ou ORDER BY id`;

/** Sets every stamped column of every row to 2000, by hand. */
const RESET = "UPDATE ou SET u = '2000-01-01 00:00:00', d = '2000-01-01 00:00:00.000'";

it('stamps a row an UPDATE changes, not one it leaves as it was, nor a column it assigns itself', async () => {
  await onBoth(
    'CREATE TABLE ou (id INT PRIMARY KEY, a INT, b VARCHAR(10), u TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP, d DATETIME(3) ON UPDATE CURRENT_TIMESTAMP(3))',
  );
  await onBoth("INSERT INTO ou (id, a, b) VALUES (1, 1, 'x'), (2, 2, 'y'), (3, NULL, 'z')");
  expect(await onBoth(STATE)).toEqual({
    rows: [
      ['1', 'null', 'null'],
      ['2', 'null', 'null'],
      ['3', 'null', 'null'],
    ],
    names: ['id', 'u', 'd'],
  });
  await runOnBoth(RESET);
  // Assigned by the UPDATE itself: left as assigned. The backend kept NULLs before (the clause
  // was dropped), so every later stamp below failed.
  await onBoth(STATE);
  // Values as they were (also NULL for NULL): no stamp.
  await runOnBoth('UPDATE ou SET a = a, b = b');
  await runOnBoth("UPDATE ou SET a = NULL, b = 'z' WHERE id = 3");
  await runOnBoth("UPDATE ou SET a = '1' WHERE id = 1");
  expect(await onBoth(STATE)).toEqual({
    rows: [
      ['1', 'old', 'old'],
      ['2', 'old', 'old'],
      ['3', 'old', 'old'],
    ],
    names: ['id', 'u', 'd'],
  });
  // A change stamps both columns, with the column's fractional digits.
  await runOnBoth('UPDATE ou SET a = 5 WHERE id = 1');
  // One assigned, the other stamped.
  await runOnBoth("UPDATE ou SET b = 'q', u = NULL WHERE id = 2");
  expect(await onBoth(STATE)).toEqual({
    rows: [
      ['1', 'now', 'now'],
      ['2', 'null', 'now'],
      ['3', 'old', 'old'],
    ],
    names: ['id', 'u', 'd'],
  });
  await onBoth('SELECT id, LENGTH(u), LENGTH(d) FROM ou ORDER BY id');
});

it('stamps through an alias, a qualified SET, an ORDER BY / LIMIT, a prepared UPDATE and a user variable', async () => {
  await runOnBoth(RESET);
  await runOnBoth('UPDATE ou AS x SET x.a = 8 WHERE x.id = 3');
  await runOnBoth('UPDATE ou SET a = 9 WHERE id < 3 ORDER BY id DESC LIMIT 1');
  expect(await onBoth(STATE)).toEqual({
    rows: [
      ['1', 'old', 'old'],
      ['2', 'now', 'now'],
      ['3', 'now', 'now'],
    ],
    names: ['id', 'u', 'd'],
  });
  await runOnBoth(RESET);
  const execute = (c: mysql.Connection) => c.execute('UPDATE ou SET b = ? WHERE id = ?', ['p', 1]);
  await Promise.all([execute(both.server()), execute(both.ours())]);
  // Each row's a numbered once: the expression that assigns @n is not run twice.
  await runOnBoth('SET @n = 0');
  await runOnBoth('UPDATE ou SET a = (@n := @n + 1) WHERE id > 1');
  await onBoth('SELECT @n, a FROM ou ORDER BY id');
  expect(await onBoth(STATE)).toEqual({
    rows: [
      ['1', 'now', 'now'],
      ['2', 'now', 'now'],
      ['3', 'now', 'now'],
    ],
    names: ['id', 'u', 'd'],
  });
});

it('shows the clause in DESCRIBE and information_schema, and reads every way to write it', async () => {
  // `CURRENT_TIMESTAMP()` dropped the NOT NULL after it before.
  await onBoth(
    'CREATE TABLE ou2 (id INT, e TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP() , f DATETIME ON UPDATE NOW() NOT NULL DEFAULT CURRENT_TIMESTAMP, g DATETIME(6) ON UPDATE LOCALTIMESTAMP(6), h DATETIME)',
  );
  const describe = async (c: mysql.Connection) => {
    const [rows] = await c.query({ sql: 'DESCRIBE ou2', rowsAsArray: true });
    return (rows as string[][]).map((r) => [r[0], r[2], r[5]]);
  };
  const [theirs, mine] = await Promise.all([describe(both.server()), describe(both.ours())]);
  expect(mine).toEqual(theirs);
  expect(mine).toContainEqual(['g', 'YES', 'on update current_timestamp(6)']);
  await onBoth(
    "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('ou', 'ou2') ORDER BY TABLE_NAME, ORDINAL_POSITION",
  );
  await onBoth('INSERT INTO ou2 (id) VALUES (1)');
  await runOnBoth("UPDATE ou2 SET e = '2000-01-01', f = '2000-01-01', g = '2000-01-01'");
  await runOnBoth("UPDATE ou2 SET h = '2001-01-01'");
  await onBoth('SELECT YEAR(e) > 2000, YEAR(f) > 2000, YEAR(g) > 2000, LENGTH(g) FROM ou2');
});

it('takes the clause in ALTER TABLE … ADD, MODIFY and CHANGE, and drops it when a MODIFY leaves it out', async () => {
  await onBoth('CREATE TABLE ou3 (id INT PRIMARY KEY, a INT)');
  // ADD COLUMN took none of CREATE TABLE's column words (1064 for each of these before).
  await onBoth("ALTER TABLE ou3 ADD COLUMN c VARCHAR(10) CHARACTER SET utf8mb4 COMMENT 'note'");
  await onBoth('ALTER TABLE ou3 ADD COLUMN u TIMESTAMP NULL ON UPDATE CURRENT_TIMESTAMP');
  await onBoth('ALTER TABLE ou3 ADD d DATETIME(3) NULL');
  await onBoth('INSERT INTO ou3 (id, a) VALUES (1, 1)');
  await onBoth('ALTER TABLE ou3 MODIFY d DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3)');
  await runOnBoth("UPDATE ou3 SET u = '2000-01-01', d = '2000-01-01'");
  await runOnBoth('UPDATE ou3 SET a = 2');
  const state = 'SELECT YEAR(u) = 2000, YEAR(d) = 2000, LENGTH(d) FROM ou3';
  expect(await onBoth(state)).toMatchObject({ rows: [['0', '0', '23']] });
  // A MODIFY without the clause takes it away; a CHANGE with it keeps it under the new name.
  await onBoth('ALTER TABLE ou3 MODIFY u TIMESTAMP NULL');
  await onBoth('ALTER TABLE ou3 CHANGE d d2 DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3)');
  await runOnBoth("UPDATE ou3 SET u = '2000-01-01', d2 = '2000-01-01'");
  await runOnBoth('UPDATE ou3 SET a = 3');
  expect(await onBoth('SELECT YEAR(u) = 2000, YEAR(d2) = 2000 FROM ou3')).toMatchObject({
    rows: [['1', '0']],
  });
  await onBoth(
    "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ou3' ORDER BY ORDINAL_POSITION",
  );
});

it('follows the table an UPDATE names as it changes: shadowed by a temporary table, then back', async () => {
  // The backend reads a table's ON UPDATE columns once per schema change, not at every UPDATE.
  await onBoth('CREATE TABLE ou5 (id INT PRIMARY KEY, a INT, u TIMESTAMP NULL ON UPDATE CURRENT_TIMESTAMP)');
  await onBoth("INSERT INTO ou5 VALUES (1, 1, '2000-01-01')");
  await runOnBoth('UPDATE ou5 SET a = 2');
  await onBoth('CREATE TEMPORARY TABLE ou5 (id INT PRIMARY KEY, a INT)');
  await onBoth('INSERT INTO ou5 VALUES (1, 1)');
  // The temporary table has no u: stamping it would be an unknown column.
  expect(await onBoth('UPDATE ou5 SET a = 3')).toMatchObject({ affectedRows: 1 });
  await onBoth('DROP TEMPORARY TABLE ou5');
  await runOnBoth("UPDATE ou5 SET u = '2000-01-01'");
  await runOnBoth('UPDATE ou5 SET a = 4');
  expect(await onBoth('SELECT a, YEAR(u) = 2000 FROM ou5')).toMatchObject({ rows: [['4', '0']] });
});

it('stamps a row INSERT … ON DUPLICATE KEY UPDATE changes, not one it leaves as it was', async () => {
  await onBoth('CREATE TABLE ou4 (id INT PRIMARY KEY, a INT, u TIMESTAMP NULL ON UPDATE CURRENT_TIMESTAMP)');
  await onBoth("INSERT INTO ou4 VALUES (1, 1, '2000-01-01'), (2, 2, '2000-01-01')");
  expect(await onBoth('INSERT INTO ou4 (id, a) VALUES (1, 1) ON DUPLICATE KEY UPDATE a = VALUES(a)')).toEqual(
    {
      affectedRows: 1,
    },
  );
  expect(await onBoth('INSERT INTO ou4 (id, a) VALUES (2, 5) ON DUPLICATE KEY UPDATE a = VALUES(a)')).toEqual(
    {
      affectedRows: 2,
    },
  );
  await onBoth('SELECT id, YEAR(u) = 2000 FROM ou4 ORDER BY id');
  // Prepared, the parameters of the assignments the backend repeats keep their values: a row
  // left as it was is 1 affected row (mysql2 asks for found rows) (2 before: the repeated `?` took no value).
  const upsert = (c: mysql.Connection) =>
    c.execute('INSERT INTO ou4 (id, a) VALUES (?, ?) ON DUPLICATE KEY UPDATE a = ?', [1, 9, 1]);
  const [[theirs], [mine]] = await Promise.all([upsert(both.server()), upsert(both.ours())]);
  expect((mine as mysql.ResultSetHeader).affectedRows).toBe((theirs as mysql.ResultSetHeader).affectedRows);
  expect((mine as mysql.ResultSetHeader).affectedRows).toBe(1);
  await onBoth('SELECT id, a, YEAR(u) = 2000 FROM ou4 ORDER BY id');
});
