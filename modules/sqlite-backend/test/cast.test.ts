import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// MySQL's CAST(x AS type), CONVERT(x, type) and CONVERT(x USING charset), each answer compared
// with a live MariaDB 10.11. SQLite's own CAST read the types by their affinity (AS DATE was
// NUMERIC: '2024-01-02' gave 2024) and it has no CONVERT (1305).

const both = sideBySide();

/** Runs `sql` on both and expects the same answer. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** The column types mysql2 reads from the result's column definitions. */
async function columnTypes(c: mysql.Connection, sql: string): Promise<unknown[]> {
  const [, fields] = await c.query({ sql, rowsAsArray: true });
  return (fields as mysql.FieldPacket[]).map((f) => [f.name, f.columnType, f.decimals]);
}

it('CAST AS SIGNED rounds a number half away from zero and reads a string’s leading integer — SQLite kept 3.7', async () => {
  expect(
    await onBoth(
      "SELECT CAST(3.7 AS SIGNED), CAST('3.7' AS SIGNED), CAST(-3.5 AS SIGNED), CAST('-3.5' AS SIGNED), CAST(0.5 AS SIGNED)",
    ),
  ).toEqual({
    rows: [['4', '3', '-4', '-3', '1']],
    names: [
      'CAST(3.7 AS SIGNED)',
      "CAST('3.7' AS SIGNED)",
      'CAST(-3.5 AS SIGNED)',
      "CAST('-3.5' AS SIGNED)",
      'CAST(0.5 AS SIGNED)',
    ],
  });
  await onBoth(
    "SELECT CAST('12abc' AS SIGNED), CAST('abc' AS SIGNED), CAST(' 7 ' AS SIGNED), CAST('1e3' AS SIGNED), CAST('' AS SIGNED), CAST('+5' AS SIGNED), CAST('.5' AS SIGNED), CAST(NULL AS SIGNED)",
  );
  await onBoth(
    "SELECT CAST(5 AS INT), CAST(5.5 AS INTEGER), CAST('7x' AS SIGNED INTEGER), CAST(5.5 AS UNSIGNED INT), CAST(1e3 AS SIGNED), CAST(TRUE AS SIGNED)",
  );
  await onBoth("SELECT CAST('2024-01-02' AS SIGNED), cast(3.7 as signed) AS x, CAST( 2.5  AS  SIGNED )");
});

it('CAST AS UNSIGNED wraps a negative integer to 2^64 − n and clamps what is out of range', async () => {
  expect(await onBoth('SELECT CAST(-1 AS UNSIGNED), CAST(-5 AS UNSIGNED INTEGER)')).toEqual({
    rows: [['18446744073709551615', '18446744073709551611']],
    names: ['CAST(-1 AS UNSIGNED)', 'CAST(-5 AS UNSIGNED INTEGER)'],
  });
  await onBoth(
    "SELECT CAST('-1' AS UNSIGNED), CAST(' -7x' AS UNSIGNED), CAST(-1.5 AS UNSIGNED), CAST(-1.0 AS UNSIGNED), CAST(1e30 AS UNSIGNED), CAST(5 AS UNSIGNED)",
  );
  await onBoth(
    "SELECT CAST(1e30 AS SIGNED), CAST(-1e30 AS SIGNED), CAST(-9223372036854775808 AS SIGNED), CAST('99999999999999999999' AS SIGNED), CAST('99999999999999999999' AS UNSIGNED), CAST('-99999999999999999999' AS SIGNED), CAST('-99999999999999999999' AS UNSIGNED)",
  );
  await onBoth("SELECT CAST('18446744073709551615' AS SIGNED), CAST('9223372036854775808' AS SIGNED)");
});

it('CAST AS DATE, DATETIME and TIME read MySQL’s date and time forms; an invalid one is NULL — SQLite gave 2024', async () => {
  expect(await onBoth("SELECT CAST('2024-01-02' AS DATE), CAST('2024-02-30' AS DATE)")).toEqual({
    rows: [['2024-01-02', null]],
    names: ["CAST('2024-01-02' AS DATE)", "CAST('2024-02-30' AS DATE)"],
  });
  await onBoth(
    "SELECT CAST('2024-01-02 10:11:12' AS DATE), CAST('abc' AS DATE), CAST(20240102 AS DATE), CAST('20240102' AS DATE), CAST(NULL AS DATE), CAST(2024 AS DATE)",
  );
  await onBoth(
    "SELECT CAST('2024-1-2' AS DATE), CAST('24-01-02' AS DATE), CAST('2024-01-02abc' AS DATE), CAST('0000-00-00' AS DATE), CAST('2024-05-00' AS DATE), CAST('2024-13-01' AS DATE), CAST(0 AS DATE)",
  );
  await onBoth(
    "SELECT CAST('2024-01-02' AS DATETIME), CAST('2024-01-02 10:11:12.345678' AS DATETIME), CAST('2024-01-02 10:11:12.345678' AS DATETIME(3)), CAST('2024-01-02 10:11:12.999' AS DATETIME), CAST('2024-01-02 10:11:12' AS DATETIME(6))",
  );
  await onBoth(
    "SELECT CAST(20240102101112 AS DATETIME), CAST('10:11:12' AS DATETIME), CAST('2024-02-30 10:00:00' AS DATETIME), CAST(CAST('2024-01-02 10:11:12' AS DATETIME) AS DATE)",
  );
  await onBoth(
    "SELECT CAST('10:11:12' AS TIME), CAST('2024-01-02 10:11:12' AS TIME), CAST('10:11:12.5678' AS TIME(2)), CAST(101112 AS TIME), CAST('abc' AS TIME), CAST('-01:02:03' AS TIME), CAST('900:00:00' AS TIME)",
  );
  await onBoth("SELECT CAST(12.5 AS TIME), CAST('12' AS TIME), CAST(-5 AS TIME), CAST(NULL AS TIME)");
  await onBoth("SELECT CAST('2024-01-02' AS DATE) = '2024-01-02', CAST('2024-01-02' AS DATE) < '2024-02-01'");
});

it('CAST AS DECIMAL rounds to the scale, shows it, and clamps to the largest value of the precision', async () => {
  expect(await onBoth('SELECT CAST(1 AS DECIMAL(5,2)), CAST(1.005 AS DECIMAL(5,2))')).toEqual({
    rows: [['1.00', '1.01']],
    names: ['CAST(1 AS DECIMAL(5,2))', 'CAST(1.005 AS DECIMAL(5,2))'],
  });
  await onBoth(
    "SELECT CAST('1.005' AS DECIMAL(5,2)), CAST(123456 AS DECIMAL(5,2)), CAST(-123456 AS DECIMAL(5,2)), CAST(12.5 AS DECIMAL), CAST(2.5 AS DECIMAL(3)), CAST('abc' AS DECIMAL(4,1))",
  );
  await onBoth(
    "SELECT CAST(1.2345 AS DECIMAL(10,3)), CAST('12abc' AS DECIMAL(5,1)), CAST(-0.004 AS DECIMAL(5,2)), CAST(NULL AS DECIMAL(5,2)), CAST('0.5' AS DECIMAL(3,1)), CAST(1 AS DECIMAL(65,30))",
  );
  await onBoth('SELECT CAST(1 AS DECIMAL(70))');
  await onBoth('SELECT CAST(1 AS DECIMAL(5,6))');
  await onBoth('SELECT CAST(1 AS DECIMAL(50,39))');
  await onBoth('SELECT CAST(1 AS DATETIME(7))');
});

it('CAST AS DOUBLE and FLOAT', async () => {
  await onBoth(
    "SELECT CAST(1 AS DOUBLE), CAST('1.5abc' AS DOUBLE), CAST(0.1 AS DOUBLE), CAST('1e3' AS DOUBLE), CAST('abc' AS DOUBLE)",
  );
  await onBoth(
    'SELECT CAST(1.5 AS FLOAT), CAST(0.1 AS FLOAT), CAST(1 AS FLOAT), CAST(123456789 AS FLOAT), CAST(1.234567891 AS FLOAT)',
  );
});

it('CAST AS CHAR and BINARY, a CHARACTER SET after CHAR taken and ignored — SQLite answered 1064', async () => {
  expect(await onBoth("SELECT CAST('abcdef' AS CHAR(3)), CAST('abc' AS CHAR CHARACTER SET latin1)")).toEqual({
    rows: [['abc', 'abc']],
    names: ["CAST('abcdef' AS CHAR(3))", "CAST('abc' AS CHAR CHARACTER SET latin1)"],
  });
  await onBoth(
    "SELECT CAST(123 AS CHAR), CAST('abc' AS CHAR(2) CHARACTER SET utf8mb4), CAST('abc' AS CHAR ASCII), CAST('abc' AS CHAR UNICODE), CAST(NULL AS CHAR), CAST('héllo' AS CHAR(2))",
  );
  await onBoth(
    "SELECT CAST('abc' AS BINARY), CAST('abcdef' AS BINARY(3)), CAST('ab' AS BINARY(4)), CAST(12 AS BINARY), HEX(CAST('ab' AS BINARY(4)))",
  );
  await onBoth("SELECT CAST('abc' AS BINARY) = 'abc', CAST('abc' AS BINARY) = 'ABC'");
  // MariaDB's synonyms: DEC for DECIMAL, VARCHAR and NCHAR for CHAR.
  await onBoth(
    "SELECT CAST('1.5' AS DEC(3,1)), CAST('1.25' AS DEC(4,1)) AS d, CAST('abc' AS VARCHAR(2)), CAST('abc' AS NCHAR(2))",
  );
});

it('CONVERT(x, type) as CAST, and CONVERT(x USING charset) — both were 1305', async () => {
  expect(
    await onBoth(
      "SELECT CONVERT(3.7, SIGNED), CONVERT('2024-01-02', DATE), CONVERT(1, DECIMAL(5,2)), CONVERT('abc', CHAR(2)), CONVERT(-1, UNSIGNED)",
    ),
  ).toEqual({
    rows: [['4', '2024-01-02', '1.00', 'ab', '18446744073709551615']],
    names: [
      'CONVERT(3.7, SIGNED)',
      "CONVERT('2024-01-02', DATE)",
      'CONVERT(1, DECIMAL(5,2))',
      "CONVERT('abc', CHAR(2))",
      'CONVERT(-1, UNSIGNED)',
    ],
  });
  await onBoth(
    "SELECT CONVERT('abc', CHAR CHARACTER SET utf8mb4), CONVERT('abc', BINARY), CONVERT(NULL, SIGNED), CONVERT(CONVERT('12.5', DECIMAL(4,1)), SIGNED)",
  );
  expect(
    await onBoth(
      "SELECT CONVERT('abc' USING utf8mb4), CONVERT('abc' USING latin1), CONVERT('abc' USING utf8), CONVERT('abc' USING binary)",
    ),
  ).toEqual({
    rows: [['abc', 'abc', 'abc', 'abc']],
    names: [
      "CONVERT('abc' USING utf8mb4)",
      "CONVERT('abc' USING latin1)",
      "CONVERT('abc' USING utf8)",
      "CONVERT('abc' USING binary)",
    ],
  });
  await onBoth(
    "SELECT CONVERT(NULL USING utf8mb4), CONVERT(12 USING utf8mb4), UPPER(CONVERT('abc' USING latin1))",
  );
});

it('casts column values, in WHERE and ORDER BY too', async () => {
  await onBoth('CREATE TABLE casts (id INT, price VARCHAR(20), d VARCHAR(20))');
  await onBoth(
    "INSERT INTO casts VALUES (1, '12.345', '2024-03-01'), (2, '9.5', 'nope'), (3, '100', '2024-02-30 10:00'), (4, NULL, NULL)",
  );
  await sameOnBoth(
    both,
    'SELECT id, CAST(price AS DECIMAL(10,2)), CAST(price AS SIGNED), CAST(d AS DATE), CAST(d AS DATETIME) FROM casts',
  );
  await onBoth(
    'SELECT id FROM casts WHERE CAST(price AS DECIMAL(10,2)) > 10 ORDER BY CAST(price AS DECIMAL(10,2))',
  );
  await onBoth("SELECT id FROM casts WHERE CAST(d AS DATE) = '2024-03-01'");
  await onBoth('SELECT SUM(CAST(price AS SIGNED)) FROM casts');
  // A view's columns are named from its stored text, which holds the rewritten calls.
  await onBoth(
    'CREATE VIEW cast_view AS SELECT CAST(d AS DATE), CONVERT(price, SIGNED), CONVERT(d USING latin1), CAST(CAST(price AS DECIMAL(5,1)) AS SIGNED) FROM casts',
  );
  await onBoth('SELECT * FROM cast_view');
});

it('gives the result columns MariaDB’s types where the values allow, also under an alias', async () => {
  const sql =
    "SELECT CAST(1 AS DECIMAL(5,2)), CAST('2024-01-02' AS DATE), CAST('2024-01-02' AS DATETIME(3)), CAST('10:11:12' AS TIME), CAST(1 AS DOUBLE)";
  expect(await columnTypes(both.ours(), sql)).toEqual(await columnTypes(both.server(), sql));
  const aliased =
    "SELECT CAST(1 AS DECIMAL(5,2)) AS p, CONVERT('2024-01-02', DATE) d, CAST(CAST('1.5' AS DOUBLE) AS DECIMAL(4,1)) `a b`, CAST('10:11:12' AS TIME(1)) AS t";
  expect(await columnTypes(both.ours(), aliased)).toEqual(await columnTypes(both.server(), aliased));
  // The scale shows under an alias too.
  expect(await onBoth(aliased)).toEqual({
    rows: [['1.00', '2024-01-02', '1.5', '10:11:12.0']],
    names: ['p', 'd', 'a b', 't'],
  });
  await onBoth('SELECT id, CAST(price AS DECIMAL(10,2)) price FROM casts ORDER BY price');
  // Only a whole cast is described so: an expression of one is a double (MariaDB: 2.00, 3.00).
  expect(
    await answer(both.ours(), 'SELECT CAST(1 AS DECIMAL(5,2)) + 1 AS s, 1 + CAST(2 AS DECIMAL(5,2)) AS u'),
  ).toEqual({ rows: [['2', '3']], names: ['s', 'u'] });
});
