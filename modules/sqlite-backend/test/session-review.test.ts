import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// Bugs found reviewing this session's TRUNCATE / DROP lists and ALTER TABLE … ADD PRIMARY KEY,
// compared with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both; expects the same answer. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

it("refuses a DROP TABLE list's table another table's foreign key references, keeping the children's rows", async () => {
  await onBoth('CREATE TABLE rv_p (id INT PRIMARY KEY)');
  await onBoth(
    'CREATE TABLE rv_c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES rv_p (id) ON DELETE CASCADE)',
  );
  await onBoth(
    'CREATE TABLE rv_n (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES rv_p (id) ON DELETE SET NULL)',
  );
  await onBoth('CREATE TABLE rv_x (id INT)');
  await onBoth('INSERT INTO rv_p VALUES (1), (2)');
  await onBoth('INSERT INTO rv_c VALUES (10, 1), (20, 2)');
  await onBoth('INSERT INTO rv_n VALUES (30, 1)');
  // SQLite's DROP deleted the parent's rows first: the CASCADE emptied rv_c, SET NULL cleared rv_n.
  expect(await onBoth('DROP TABLE rv_x, rv_p')).toBe('ERR 1451');
  await sameOnBoth(both, 'SELECT * FROM rv_c');
  await sameOnBoth(both, 'SELECT * FROM rv_n');
  await sameOnBoth(both, 'SELECT * FROM rv_p');
  await onBoth('SELECT * FROM rv_x');
  // In the list's order, as MariaDB: the parent before its children is refused, after them dropped.
  expect(await onBoth('DROP TABLE rv_p, rv_c, rv_n')).toBe('ERR 1451');
  for (const t of ['rv_p', 'rv_c', 'rv_n']) await onBoth(`SELECT COUNT(*) FROM ${t}`);
  await onBoth('DROP TABLE rv_n, rv_p');
});

it('keeps the rows of a self-referencing table ALTER TABLE … ADD PRIMARY KEY cannot rebuild', async () => {
  await onBoth(
    'CREATE TABLE rv_tree (id INT NOT NULL, parent INT, UNIQUE KEY (id), FOREIGN KEY (parent) REFERENCES rv_tree (id) ON DELETE CASCADE)',
  );
  await onBoth('INSERT INTO rv_tree VALUES (1, NULL), (2, 1), (3, 2)');
  // The rebuild's copy references the old table by name: dropping that one ran the copy's
  // CASCADE and left only the root. MariaDB adds the key; the backend refuses (1235) instead.
  const ours = await answer(both.ours(), 'ALTER TABLE rv_tree ADD PRIMARY KEY (id)');
  expect(ours).toBe('ERR 1235');
  await both.server().query('ALTER TABLE rv_tree ADD PRIMARY KEY (id)');
  await sameOnBoth(both, 'SELECT * FROM rv_tree');
});

it("re-runs the backend's SHOW CREATE TABLE of an ON UPDATE column into a table that keeps stamping it", async () => {
  const make =
    "CREATE TABLE rv_stamp (id INT PRIMARY KEY, v VARCHAR(5), u TIMESTAMP(3) NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(3), s ENUM('a','b') NOT NULL DEFAULT 'b')";
  await onBoth(make);
  const shown = async (c: mysql.Connection) => {
    const [[row]] = (await c.query({ sql: 'SHOW CREATE TABLE rv_stamp', rowsAsArray: true })) as unknown as [
      [string[]],
    ];
    return row![1]!.replace(/^CREATE TABLE `?rv_stamp`?/, 'CREATE TABLE rv_again');
  };
  // The text each server shows, run on that server: the comment the backend showed for the
  // clause was dropped with the other comments, and the column of the copy was never stamped.
  await Promise.all([
    both.server().query(await shown(both.server())),
    both.ours().query(await shown(both.ours())),
  ]);
  await onBoth("INSERT INTO rv_again (id, v) VALUES (1, 'x'), (2, 'y')");
  await onBoth("UPDATE rv_again SET v = 'z' WHERE id = 1");
  expect(await onBoth('SELECT id, u IS NULL, s FROM rv_again ORDER BY id')).toEqual({
    rows: [
      ['1', '0', 'b'],
      ['2', '1', 'b'],
    ],
    names: ['id', 'u IS NULL', 's'],
  });
  await sameOnBoth(
    both,
    "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_NAME = 'rv_again' AND COLUMN_NAME = 'u'",
  );
});

it('CAST to DOUBLE / FLOAT of a number beyond the type stops at its largest value, not Infinity', async () => {
  // Compared by arithmetic: the two servers write large doubles differently (1e+300 / 1e300).
  expect(
    await onBoth(
      "SELECT CAST('1e500' AS DOUBLE) / 2 < 1e308, CAST('-1e500' AS DOUBLE) / 2 > -1e308, CAST(1e39 AS FLOAT) / 2 < 2e38, CONVERT(-1e39, FLOAT) / 2 > -2e38, CAST(1e39 AS FLOAT) > 3.4e38",
    ),
  ).toMatchObject({ rows: [['1', '1', '1', '1', '1']] });
});

it('keeps the children of a table a DROP TABLE list drops with FOREIGN_KEY_CHECKS = 0 inside a transaction', async () => {
  await onBoth('CREATE TABLE rv_p2 (id INT PRIMARY KEY)');
  await onBoth(
    'CREATE TABLE rv_c2 (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES rv_p2 (id) ON DELETE CASCADE)',
  );
  await onBoth('CREATE TABLE rv_x2 (id INT)');
  await onBoth('INSERT INTO rv_p2 VALUES (1), (2)');
  await onBoth('INSERT INTO rv_c2 VALUES (10, 1), (20, 2)');
  await onBoth('SET FOREIGN_KEY_CHECKS = 0');
  await onBoth('BEGIN');
  // SQLite keeps its foreign keys on inside a transaction: the drop ran the CASCADE and emptied
  // rv_c2. MariaDB drops the parent and leaves the children; the backend refuses (1235) instead.
  const ours = await answer(both.ours(), 'DROP TABLE rv_x2, rv_p2');
  await both.server().query('DROP TABLE rv_x2, rv_p2');
  expect(ours).toBe('ERR 1235');
  await onBoth('COMMIT');
  await onBoth('SET FOREIGN_KEY_CHECKS = 1');
  await sameOnBoth(both, 'SELECT * FROM rv_c2');
});
