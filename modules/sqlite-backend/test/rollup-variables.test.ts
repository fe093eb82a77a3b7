import { beforeAll, expect, it } from 'vitest';
import { sameAnswer, sideBySide } from './support/against-mariadb.js';

// GROUP BY … WITH ROLLUP and the row-number idiom with user variables, as a newcomer to the quick
// start types them, compared with a live MariaDB 10.11 — rows in order, which both define here
// (ROLLUP sorts by the GROUP BY entries; the tables are read in primary key order, the order the
// rows were inserted in).

const both = sideBySide();

/** Runs `sql` on both and expects the same answer, rows in the order each server sent them. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

beforeAll(async () => {
  for (const sql of [
    'CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(20))',
    "INSERT INTO users VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')",
    'CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, cat VARCHAR(10), views INT)',
    "INSERT INTO posts VALUES (1, 2, 'a', 10), (2, 1, 'b', 5), (3, 2, 'b', 7), (4, 1, 'a', 1), (5, 3, 'a', NULL), (6, 2, 'a', 4)",
    'CREATE TABLE sales (id INT PRIMARY KEY, region VARCHAR(10), d DATE, amount DECIMAL(10,2), qty INT)',
    "INSERT INTO sales VALUES (1, 'east', '2024-01-02', 10.50, 1), (2, 'west', '2024-01-02', 3.25, 2), (3, 'east', '2024-01-03', 1.00, 3), (4, 'west', '2024-01-03', NULL, 4)",
  ])
    await onBoth(sql);
});

it('GROUP BY one column WITH ROLLUP adds the grand total after the groups, as MariaDB does', async () => {
  // SQLite has no ROLLUP: 1064.
  expect(await onBoth('SELECT user_id, SUM(views) s FROM posts GROUP BY user_id WITH ROLLUP')).toEqual({
    rows: [
      ['1', '6'],
      ['2', '21'],
      ['3', null],
      [null, '27'],
    ],
    names: ['user_id', 's'],
  });
  await onBoth('SELECT user_id, SUM(views) s FROM posts GROUP BY user_id DESC WITH ROLLUP');
  await onBoth(
    'SELECT user_id, COUNT(*), COUNT(views), MIN(views), MAX(views), GROUP_CONCAT(id ORDER BY id) FROM posts GROUP BY user_id WITH ROLLUP',
  );
  await onBoth("SELECT COALESCE(region, 'All') AS r, SUM(qty) FROM sales GROUP BY region WITH ROLLUP");
  await onBoth(
    "SELECT region, CONCAT(region, '!') x, COUNT(DISTINCT d) FROM sales GROUP BY region WITH ROLLUP",
  );
  await onBoth('SELECT d, COUNT(*), MAX(id), MIN(region) FROM sales GROUP BY d WITH ROLLUP');
  await onBoth('SELECT user_id + 1 AS u, SUM(views) FROM posts GROUP BY u WITH ROLLUP');
  await onBoth('SELECT user_id, SUM(views) FROM posts GROUP BY 1 WITH ROLLUP');
  await onBoth('SELECT YEAR(d) y, SUM(qty) FROM sales GROUP BY YEAR(d) WITH ROLLUP');
  // No row matched: no grand total either.
  await onBoth('SELECT region, SUM(qty) FROM sales WHERE qty > 100 GROUP BY region WITH ROLLUP');
});

it('GROUP BY several columns WITH ROLLUP puts each subtotal after its group, the grand total last', async () => {
  await onBoth('SELECT user_id, cat, SUM(views) s, COUNT(*) c FROM posts GROUP BY user_id, cat WITH ROLLUP');
  await onBoth('SELECT cat, user_id, SUM(views) FROM posts GROUP BY user_id, cat WITH ROLLUP');
  await onBoth('SELECT user_id, cat, SUM(views) FROM posts GROUP BY user_id DESC, cat WITH ROLLUP');
  await onBoth("SELECT IFNULL(region, 'Total'), d, SUM(qty) q FROM sales GROUP BY region, d WITH ROLLUP");
  await onBoth('SELECT region, qty DIV 2, SUM(qty) FROM sales GROUP BY region, qty DIV 2 WITH ROLLUP');
  await onBoth('SELECT region AS "R", qty AS q, SUM(qty) FROM sales GROUP BY 1, q WITH ROLLUP LIMIT 1, 3');
});

it('WITH ROLLUP takes WHERE, joins, HAVING (on the subtotals too) and LIMIT, as MariaDB does', async () => {
  await onBoth(
    'SELECT u.username, SUM(p.views) FROM posts p JOIN users u ON u.id = p.user_id WHERE p.views > 1 GROUP BY u.username WITH ROLLUP',
  );
  await onBoth('SELECT sales.region, SUM(qty) FROM sales GROUP BY region WITH ROLLUP');
  await onBoth('SELECT region, SUM(qty) FROM sales s GROUP BY s.region WITH ROLLUP');
  await onBoth('SELECT user_id, SUM(views) s FROM posts GROUP BY user_id WITH ROLLUP HAVING s > 10');
  await onBoth('SELECT region, SUM(qty) FROM sales GROUP BY region WITH ROLLUP HAVING SUM(qty) > 4');
  await onBoth('SELECT region, SUM(qty) FROM sales GROUP BY region WITH ROLLUP HAVING region IS NOT NULL');
  await onBoth('SELECT user_id, SUM(views) s FROM posts GROUP BY user_id WITH ROLLUP LIMIT 2');
});

it('WITH ROLLUP and ORDER BY is 1221 as in MariaDB; forms not translated are refused (1235)', async () => {
  expect(
    await onBoth('SELECT user_id, SUM(views) s FROM posts GROUP BY user_id WITH ROLLUP ORDER BY s'),
  ).toBe('ERR 1221');
  for (const sql of [
    'SELECT * FROM sales GROUP BY region WITH ROLLUP',
    'SELECT * FROM (SELECT region, SUM(qty) s FROM sales GROUP BY region WITH ROLLUP) t',
    'SELECT region, SUM(qty) FROM sales GROUP BY region WITH ROLLUP UNION ALL SELECT 1, 2',
  ]) {
    const err = await both
      .ours()
      .query(sql)
      .catch((e: Error & { errno: number }) => e);
    expect({ sql, errno: (err as { errno?: number }).errno }).toEqual({ sql, errno: 1235 });
    expect((err as Error).message).toMatch(/WITH ROLLUP/);
  }
});

it('the row-number idiom numbers the rows from the derived table’s start, as in MariaDB', async () => {
  // The derived table's assignment never ran (SQLite flattens it and leaves out its unused
  // column): every n was NULL.
  expect(
    await onBoth('SELECT @rownum := @rownum + 1 AS n, username FROM users, (SELECT @rownum := 0) r'),
  ).toEqual({
    rows: [
      ['1', 'alice'],
      ['2', 'bob'],
      ['3', 'carol'],
    ],
    names: ['n', 'username'],
  });
  // Run again, it starts again.
  await onBoth('SELECT @rownum := @rownum + 1 AS n, username FROM users, (SELECT @rownum := 0) r');
  await onBoth('SELECT @i := @i + 1 AS n, username FROM users CROSS JOIN (SELECT @i := 10) AS init');
  await onBoth(
    'SELECT @a := @a + 1 AS n, @b := @b * 2 AS p, username FROM (SELECT @a := 0, @b := 1) AS init JOIN users',
  );
  await onBoth('SELECT @rownum, @i, @a, @b');
  // Set by a statement of its own first, the numbering works as it did.
  await onBoth('SELECT @n := 0');
  await onBoth('SELECT @n := @n + 1 AS n, username FROM users ORDER BY id');
  await onBoth('SELECT @n');
});

it('the row-number idiom restarts at each execution of a prepared statement', async () => {
  const sql = 'SELECT @r := @r + 1 AS n, username FROM users, (SELECT @r := 0) r WHERE id > ?';
  for (const from of [0, 1]) {
    const [theirs, mine] = await Promise.all(
      [both.server(), both.ours()].map(async (c) => {
        const [rows] = await c.execute(
          { sql, rowsAsArray: true, typeCast: (_field: unknown, next: () => unknown) => next() },
          [from],
        );
        return (rows as unknown[][]).map((r) => r.map(String));
      }),
    );
    expect(mine).toHaveLength(3 - from);
    expect(mine[0]?.[0]).toBe('1');
    expect(mine).toEqual(theirs);
  }
});
