import mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// INSERT … ON DUPLICATE KEY UPDATE, INSERT … SET and VALUE for VALUES, each compared with a live
// MariaDB 10.11. SQLite's grammar has none of them (the backend answered 1064).

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** mysql2 reads the backend's info (no session tracking) with its length byte; MariaDB's without. */
const withoutLength = (info: string) =>
  info.length > 0 && info.charCodeAt(0) === info.length - 1 ? info.slice(1) : info;

/** The OK of `sql` on each of `connections` (MariaDB's first): affected rows, insert id, info. */
async function sameOkOn(connections: [mysql.Connection, mysql.Connection], sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all(
    connections.map(async (c) => {
      const [ok] = await c.query<mysql.ResultSetHeader>(sql);
      return { sql, affectedRows: ok.affectedRows, insertId: ok.insertId, info: withoutLength(ok.info) };
    }),
  );
  expect(mine).toEqual(theirs);
  return mine;
}

const sameOk = (sql: string) => sameOkOn([both.server(), both.ours()], sql);

it('INSERT … ON DUPLICATE KEY UPDATE inserts or updates, counting 1 per row inserted and 2 per row changed, as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku (id INT PRIMARY KEY, code VARCHAR(10) UNIQUE, n INT, note VARCHAR(20))');
  await sameOk("INSERT INTO odku VALUES (1, 'a', 1, 'first') ON DUPLICATE KEY UPDATE n = n + 1");
  await sameOk("INSERT INTO odku VALUES (1, 'a', 1, 'again') ON DUPLICATE KEY UPDATE n = n + 1");
  // VALUES(col) is the value the row would have inserted.
  await sameOk(
    "INSERT INTO odku VALUES (1, 'a', 7, 'new') ON DUPLICATE KEY UPDATE note = VALUES(note), n = VALUES(n) * 2",
  );
  // A conflict on the UNIQUE column, not the primary key, updates too.
  await sameOk("INSERT INTO odku (id, code, n) VALUES (2, 'a', 5) ON DUPLICATE KEY UPDATE n = VALUES(n)");
  // Several rows: inserted ones and updated ones, and MariaDB's Records / Duplicates.
  await sameOk(
    "INSERT INTO odku (id, code, n) VALUES (1, 'x', 9), (3, 'c', 3), (4, 'd', 4) ON DUPLICATE KEY UPDATE n = VALUES(n) + n",
  );
  await sameOk(
    "INSERT INTO odku (id, code, n) VALUE (3, 'c', 30), (4, 'd', 40) ON DUPLICATE KEY UPDATE `n` = VALUES (`n`), odku.note = 'up'",
  );
  await sameOnBoth(both, 'SELECT id, code, n, note FROM odku');
  // An update that breaks another unique key is a duplicate-key error, as in MariaDB.
  expect(await onBoth("INSERT INTO odku (id, code) VALUES (3, 'z') ON DUPLICATE KEY UPDATE code = 'd'")).toBe(
    'ERR 1062',
  );
  await sameOnBoth(both, 'SELECT id, code, n, note FROM odku');
});

it('counts a row ON DUPLICATE KEY UPDATE leaves as it was as 0, or 1 for a client that asked for found rows, as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku_same (id INT PRIMARY KEY, n INT, s VARCHAR(10))');
  await onBoth("INSERT INTO odku_same VALUES (1, 1, 'a'), (2, 2, 'b')");
  // mysql2 asks for found rows unless told not to.
  await sameOk('INSERT INTO odku_same VALUES (1, 1, NULL) ON DUPLICATE KEY UPDATE n = VALUES(n)');
  await sameOk(
    "INSERT INTO odku_same VALUES (1, 1, 'a'), (2, 3, 'b'), (3, 3, 'c') ON DUPLICATE KEY UPDATE n = VALUES(n), s = VALUES(s)",
  );
  const server = both.server().config;
  const [theirs, mine] = await Promise.all([
    mysql.createConnection({ ...server, flags: ['-FOUND_ROWS'] }),
    mysql.createConnection({ ...both.ours().config, flags: ['-FOUND_ROWS'] }),
  ]);
  try {
    await sameOkOn(
      [theirs, mine],
      'INSERT INTO odku_same VALUES (1, 1, NULL) ON DUPLICATE KEY UPDATE n = VALUES(n)',
    );
    await sameOkOn([theirs, mine], 'INSERT INTO odku_same VALUES (1, 1, NULL) ON DUPLICATE KEY UPDATE n = 5');
    await sameOkOn(
      [theirs, mine],
      "INSERT INTO odku_same VALUES (1, 5, 'a'), (2, 4, 'b'), (4, 4, 'd') ON DUPLICATE KEY UPDATE n = VALUES(n)",
    );
    await sameOkOn([theirs, mine], 'INSERT INTO odku_same VALUES (2, 4, NULL) ON DUPLICATE KEY UPDATE s = s');
  } finally {
    await Promise.all([theirs.end(), mine.end()]);
  }
  await sameOnBoth(both, 'SELECT id, n, s FROM odku_same');
});

it('assigns ON DUPLICATE KEY UPDATE from left to right, a later expression reading what an earlier one set, as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku_order (id INT PRIMARY KEY, a INT, b INT, c INT)');
  await onBoth('INSERT INTO odku_order VALUES (1, 1, 1, 1)');
  await sameOk(
    'INSERT INTO odku_order VALUES (1, 0, 0, 0) ON DUPLICATE KEY UPDATE a = a + 10, b = a * 2, c = b + a',
  );
  await sameOnBoth(both, 'SELECT id, a, b, c FROM odku_order');
});

it('INSERT … SELECT … ON DUPLICATE KEY UPDATE inserts or updates each row the SELECT gives, as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku_into (k INT PRIMARY KEY, total INT)');
  await onBoth('CREATE TABLE odku_from (sk INT, amount INT)');
  await onBoth('INSERT INTO odku_into VALUES (1, 100), (2, 200)');
  await onBoth('INSERT INTO odku_from VALUES (1, 1), (3, 3), (4, 4)');
  await sameOk(
    'INSERT INTO odku_into (k, total) SELECT sk, amount FROM odku_from ON DUPLICATE KEY UPDATE total = total + VALUES(total)',
  );
  await sameOk(
    'INSERT INTO odku_into SELECT sk, amount FROM odku_from WHERE sk > 1 ORDER BY sk LIMIT 5 ON DUPLICATE KEY UPDATE total = VALUES(total) * 10',
  );
  await sameOnBoth(both, 'SELECT k, total FROM odku_into');
});

it('reports the first AUTO_INCREMENT id an ON DUPLICATE KEY UPDATE inserted, and sets LAST_INSERT_ID(), as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku_ids (id INT AUTO_INCREMENT PRIMARY KEY, u VARCHAR(10) UNIQUE, n INT)');
  await sameOk("INSERT INTO odku_ids (u, n) VALUES ('a', 1), ('b', 2)");
  await sameOk(
    "INSERT INTO odku_ids (u, n) VALUES ('c', 3), ('d', 4), ('a', 9) ON DUPLICATE KEY UPDATE n = VALUES(n)",
  );
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOk("INSERT INTO odku_ids SET u = 'e', n = 5 ON DUPLICATE KEY UPDATE n = n + 1");
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  // Rows updated leave LAST_INSERT_ID() as it was. (MariaDB's OK gives the last updated row's id,
  // ours 0: see the README.)
  await onBoth(
    "INSERT INTO odku_ids (u, n) VALUES ('b', 20), ('c', 30) ON DUPLICATE KEY UPDATE n = VALUES(n)",
  );
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOnBoth(both, 'SELECT id, u, n FROM odku_ids');
});

it('takes ON DUPLICATE KEY UPDATE in a prepared statement, its values as parameters', async () => {
  await onBoth('CREATE TABLE odku_prepared (id INT PRIMARY KEY, n INT)');
  for (const [id, n] of [
    [1, 1],
    [1, 2],
    [2, 2],
  ]) {
    const sql = 'INSERT INTO odku_prepared (id, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n) + n';
    const [theirs, mine] = await Promise.all(
      [both.server(), both.ours()].map(async (c) => {
        const [ok] = await c.execute<mysql.ResultSetHeader>(sql, [id, n]);
        return ok.affectedRows;
      }),
    );
    expect(mine).toBe(theirs);
  }
  await sameOnBoth(both, 'SELECT id, n FROM odku_prepared');
});

it('INSERT … SET and REPLACE … SET insert the row the assignments give, as MariaDB does', async () => {
  await onBoth(
    'CREATE TABLE set_form (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), qty INT DEFAULT 7)',
  );
  await sameOk("INSERT INTO set_form SET name = 'ada'");
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOk("INSERT set_form SET `name` = CONCAT('gr', 'ace'), qty = 2 * 3");
  await sameOk("INSERT INTO set_form SET id = 10, name = 'ten'");
  await sameOk("REPLACE INTO set_form SET id = 10, name = 'TEN', qty = 1");
  await sameOk("REPLACE set_form SET id = 11, name = 'eleven'");
  await sameOk("INSERT INTO set_form SET name = 'new' ON DUPLICATE KEY UPDATE qty = qty + 1");
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  expect(await onBoth("INSERT INTO set_form SET id = 10, name = 'dup'")).toBe('ERR 1062');
  expect(await onBoth('INSERT INTO set_form SET nothing = 1')).toBe('ERR 1054');
  // An id given with its table's name generates none: LAST_INSERT_ID() stays (it became 20).
  await sameOk("INSERT INTO set_form SET set_form.id = 20, set_form.name = 'twenty'");
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOnBoth(both, 'SELECT id, name, qty FROM set_form');
});

it('takes VALUE for VALUES in INSERT and REPLACE, as MariaDB does', async () => {
  await onBoth('CREATE TABLE value_form (id INT PRIMARY KEY, a INT DEFAULT 3)');
  await sameOk('INSERT INTO value_form (id) VALUE (1), (2)');
  await sameOk('INSERT value_form VALUE (3, 30)');
  await sameOk('INSERT INTO value_form (id, a) VALUE (4, DEFAULT)');
  await sameOk('REPLACE INTO value_form VALUE (3, 33), (5, 5)');
  await sameOk('INSERT INTO value_form SET id = 5, a = 0 ON DUPLICATE KEY UPDATE a = VALUES(a) - 1');
  await sameOnBoth(both, 'SELECT id, a FROM value_form');
});

it('reports the id ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id) gives, inserting or updating, as MariaDB does', async () => {
  await onBoth(
    'CREATE TABLE odku_last (id INT AUTO_INCREMENT PRIMARY KEY, u VARCHAR(10) UNIQUE, hits INT DEFAULT 1)',
  );
  const upsert = (u: string) =>
    `INSERT INTO odku_last (u) VALUES ('${u}') ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), hits = hits + 1`;
  await sameOk(upsert('a'));
  await sameOk(upsert('b'));
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  // The id of the row it updated, in the OK and from LAST_INSERT_ID().
  await sameOk(upsert('a'));
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOk(upsert('c'));
  await sameOk(upsert('b'));
  await sameOnBoth(both, 'SELECT LAST_INSERT_ID()');
  await sameOnBoth(both, 'SELECT id, u, hits FROM odku_last');
});

it('takes the backend’s rewritten syntax (INTERVAL, CONCAT, strings) in ON DUPLICATE KEY UPDATE expressions, as MariaDB does', async () => {
  await onBoth('CREATE TABLE odku_exprs (id INT PRIMARY KEY, d DATE, s VARCHAR(40))');
  await onBoth("INSERT INTO odku_exprs VALUES (1, '2024-01-31', 'a')");
  const sql =
    "INSERT INTO odku_exprs VALUES (1, '2024-02-28', 'it\\'s') ON DUPLICATE KEY UPDATE d = DATE_ADD(VALUES(d), INTERVAL 1 DAY), s = CONCAT(s, '-', VALUES(s))";
  await sameOk(sql);
  await sameOk(sql);
  await sameOnBoth(both, 'SELECT id, d, s FROM odku_exprs');
});
