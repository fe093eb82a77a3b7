import { beforeAll, expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// MariaDB's multiplicative operators — `*`, `/`, DIV, MOD and `%`, of one precedence, grouped
// from the left, tighter than `+` and `-` — compared with a live MariaDB 10.11. A DECIMAL
// result is sent with its scale by MariaDB (`7.50 MOD 2` is 1.50) and as a double by the backend,
// so such results are compared through `+ 0e0`, a double on both.

const both = sideBySide();

beforeAll(async () => {
  for (const sql of [
    'CREATE TABLE nums (id INT PRIMARY KEY, i INT, d DECIMAL(10,2), f DOUBLE, j INT)',
    `INSERT INTO nums VALUES (1, 7, 7.50, 7.5, 2), (2, -7, -7.50, -7.5, 3), (3, NULL, NULL, NULL, 0),
      (4, 10, 2.25, 0.1, -4), (5, 0, 0, 0, NULL), (6, 100, 0.30, 1e3, 7)`,
  ])
    for (const c of [both.server(), both.ours()])
      expect({ sql, answer: await answer(c, sql) }).toEqual({
        sql,
        answer: { affectedRows: expect.any(Number) },
      });
});

/** Each `SELECT expression`'s answer (value and column name) on both; every difference at once. */
async function sameSelects(expressions: string[]): Promise<void> {
  const differences: unknown[] = [];
  for (const e of expressions) {
    const sql = `SELECT ${e}`;
    const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) differences.push({ sql, theirs, mine });
  }
  expect(differences).toEqual([]);
}

it('groups *, /, DIV, MOD and % from the left, at one precedence between unary minus and +', async () => {
  await sameSelects([
    // SQLite refused the first (1582: DIV's rewrite took `4 DIV 3` as a call's name) and
    // grouped the next two as 7 * (2 DIV 3), 7 * (3 DIV 2).
    '10 DIV 4 DIV 3',
    '7 * 2 DIV 3',
    '7 * 3 DIV 2',
    '7 DIV 2 * 3',
    '7 / 2 DIV 1',
    '10 DIV 3 DIV 2 DIV 1',
    '100 MOD 7 MOD 3',
    '100 % 7 % 3',
    '100 MOD 7 % 3 DIV 1',
    '2 * 3 % 4 * 5',
    '2 * 10 % 4',
    '10 % 4 * 3',
    '2 + 3 * 4 MOD 5',
    '1 + 2 * 3 MOD 4 - 5 DIV 2',
    '1 + 7 DIV 2',
    '7 DIV 2 + 1',
    '(1 + 2) * (3 MOD 4) DIV 2',
    '7 DIV (1 + 1)',
    '7 MOD (2 * 2) DIV (3 - 2)',
    '1 << 3 DIV 2, 7 & 3 MOD 2, 7 | 8 DIV 4',
    '7 MOD 2 AND 1, 1 MOD 2 OR 0, NOT 7 MOD 7',
    '5 DIV 2 BETWEEN 1 AND 3, 5 DIV 2 IN (2, 3), 7 MOD 3 = 1',
  ]);
});

it('takes MOD and % of fractions, and DIV of them, as MariaDB computes their decimals', async () => {
  await sameSelects([
    '7.5 MOD 2',
    // A bracketed left side or a run before MOD made it SQLite's `%`, which takes integers (1).
    '(7.5) MOD 2',
    '2 * 3.5 MOD 2 + 0e0',
    '7.5 % 2',
    '5.5 % -2',
    '-7.5 MOD 2',
    '7 MOD 2.5 + 0e0',
    '.5 MOD .2',
    '0.3 MOD 0.1 = 0',
    "'7.5' MOD 2",
    "'abc' MOD 2",
    'MOD(7.5, 2)',
    '7 DIV 2.5',
    '0.3 DIV 0.1',
    '7.5 DIV 2',
    '7.9 DIV 1',
    '1.5e1 DIV 2',
    '1e1 MOD 3',
    "'7' DIV 2",
  ]);
});

it('gives the dividend’s sign, and NULL for a zero divisor or a NULL operand', async () => {
  await sameSelects([
    '-7 MOD 3',
    '7 MOD -3',
    '-7 % -3',
    '7 % -3',
    '-7 DIV 2',
    '- 7 DIV 2',
    '-(7) DIV 2',
    '- - 7 MOD 2',
    '7 DIV -2',
    '-7 DIV -2',
    '-7.5 % -2',
    '7 MOD 0, 7 DIV 0, 7 % 0, 7 / 0',
    '5 MOD 0.0, 7 DIV 0.0, 7.5 % 0',
    'NULL MOD 2, 7 DIV NULL, NULL % NULL, NULL * 2 DIV 1',
  ]);
});

it('reads operands that are themselves expressions: calls, CASE, subqueries, variables', async () => {
  await sameSelects([
    'abs(-7) DIV 2',
    'MOD(10, 3) DIV 2, 2 * MOD(7, 3) % 2',
    'COALESCE(NULL, 7.5) MOD 4',
    'ISNULL(NULL) DIV 1, 2 DIV ISNULL(NULL)',
    'CASE WHEN 1 > 0 THEN 7 DIV 2 ELSE 7 MOD 2 END DIV 2',
    '(SELECT 7) DIV 2, 9 MOD (SELECT 4)',
    '@x := 7 DIV 2 * 3',
    '@x DIV 2, @x % 4',
    '7 DIV 2 AS q, 7 MOD 2 r, 7 % 2',
  ]);
});

it('computes on INT, DECIMAL and DOUBLE columns and NULLs in select lists, WHERE and ORDER BY', async () => {
  await sameOnBoth(
    both,
    `SELECT id, i DIV j, i MOD j, i % j, d MOD j + 0e0, d % j + 0e0, f MOD j, f % j, d DIV j, f DIV j
     FROM nums ORDER BY id`,
  );
  await sameOnBoth(
    both,
    `SELECT id, i + j DIV 2, (i + j) DIV 2, i DIV (j + 1), -i DIV 2, - i % 4, abs(i) DIV j,
       i - j MOD 2, i + j * 2 DIV 3, i DIV j DIV 2, i MOD j MOD 2, (i DIV j) * (i MOD j)
     FROM nums ORDER BY id`,
  );
  await sameOnBoth(
    both,
    'SELECT id, i * d MOD 4 + 0e0, i / j DIV 1, i * 2 DIV j, i MOD j * 2, 2 * i MOD j, f * 2 % 3 FROM nums ORDER BY id',
  );
  // The column keeps its DECIMAL(10,2) text; the condition computes on its decimals.
  await sameOnBoth(both, 'SELECT d FROM nums WHERE d MOD 2 = 1.5 OR d MOD 0.1 = 0.05 ORDER BY id');
  await sameOnBoth(both, 'SELECT id FROM nums WHERE i DIV j = 3 OR i % j = -1 OR f MOD 2 = 0.1 ORDER BY id');
  await sameOnBoth(both, 'SELECT id FROM nums WHERE (i + j) MOD 3 = 0 AND i * 2 DIV 3 > 0 ORDER BY id');
  await sameOnBoth(both, 'SELECT id, i DIV 3 FROM nums ORDER BY i DIV 3 DESC, i % 3, id');
  await sameOnBoth(both, 'SELECT SUM(i) DIV 2, SUM(i % 2), MAX(d) MOD 2 + 0e0, COUNT(*) DIV 4 FROM nums');
  await sameOnBoth(both, 'SELECT j % 3, COUNT(*) FROM nums GROUP BY j % 3 ORDER BY j % 3');
  await sameOnBoth(both, 'SELECT id, SUM(i) OVER (ORDER BY id) DIV 2 FROM nums ORDER BY id');
});

it('takes placeholders as operands of a prepared statement', async () => {
  const sql = 'SELECT ? DIV ?, ? % ?, ? * ? MOD ?, i DIV ? FROM nums WHERE id = ?';
  const params = [7, 2, 7.5, 2, 3, 5, 4, 2, 1];
  const [[theirs], [mine]] = await Promise.all(
    [both.server(), both.ours()].map((c) =>
      c.execute({ sql, rowsAsArray: true, typeCast: (_field, next) => next() }, params),
    ),
  );
  expect(mine).toEqual(theirs);
});

it('writes the values as MariaDB does in UPDATE, and names a view’s columns as written', async () => {
  for (const sql of [
    'CREATE TABLE counters (id INT PRIMARY KEY, n INT, x DOUBLE)',
    'INSERT INTO counters VALUES (1, 17, 7.5), (2, -17, NULL)',
    'UPDATE counters SET n = n * 2 DIV 3 % 5, x = x % 2 WHERE id IN (1, 2)',
    'CREATE VIEW quotients AS SELECT n DIV 2, n MOD 3, n % 4, n * 2 DIV 3 AS q FROM counters',
  ]) {
    const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
    expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  }
  await sameOnBoth(both, 'SELECT * FROM counters ORDER BY id');
  await sameOnBoth(both, 'SELECT * FROM quotients');
});

it('shows DIV, MOD and % as written in SHOW CREATE TABLE and VIEW, which load again', async () => {
  const c = both.ours();
  const shown = async (sql: string) => ((await answer(c, sql)) as { rows: string[][] }).rows[0]![1]!;
  await c.query('CREATE TABLE checked (a INT, b INT DEFAULT (7 DIV 2), CHECK (a % 2 = 0 AND a MOD 3 = 0))');
  // They showed the calls the backend runs (__mysql_percent(a , 2)), which MariaDB has not.
  const table = await shown('SHOW CREATE TABLE checked');
  expect(table).toContain('DEFAULT (7 DIV 2)');
  expect(table).toContain('CHECK (a % 2 = 0 AND a MOD 3 = 0)');
  await c.query(table.replace('checked', 'checked_again'));
  await c.query('INSERT INTO checked_again (a) VALUES (6)');
  await expect(c.query('INSERT INTO checked_again (a) VALUES (4)')).rejects.toThrow();
  expect(await answer(c, 'SELECT a, b FROM checked_again')).toEqual({
    rows: [['6', '3']],
    names: ['a', 'b'],
  });
  await c.query('CREATE VIEW shown_view AS SELECT 7 DIV 2 AS q, 7 % 2 AS r');
  expect(await shown('SHOW CREATE VIEW shown_view')).toContain('SELECT 7 DIV 2 AS q, 7 % 2 AS r');
});
