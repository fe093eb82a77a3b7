import { expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// MySQL's GROUP_CONCAT grammar (several expressions, SEPARATOR, ORDER BY, DISTINCT), each
// answer compared with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both and expects the same answer, rows in the order given. */
async function inOrderOnBoth(sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  return mine;
}

it('joins several expressions per row, skipping a row where one is NULL — SQLite read the second as the separator', async () => {
  await inOrderOnBoth('CREATE TABLE gc (g INT, name VARCHAR(20), email VARCHAR(40), n INT)');
  await inOrderOnBoth(
    "INSERT INTO gc VALUES (1, 'ann', 'a@x', 3), (1, 'bob', NULL, 1), (1, 'cy', 'c@x', 2), (2, 'dee', 'd@x', 5), (2, 'dee', 'd@x', 4), (3, NULL, NULL, 6)",
  );
  // SQLite gave 'anna@xbob' (`a@x` taken as the separator) for group 1.
  expect(
    await inOrderOnBoth("SELECT g, GROUP_CONCAT(name, '<', email, '>') FROM gc GROUP BY g ORDER BY g"),
  ).toEqual({
    rows: [
      ['1', 'ann<a@x>,cy<c@x>'],
      ['2', 'dee<d@x>,dee<d@x>'],
      ['3', null],
    ],
    names: ['g', "GROUP_CONCAT(name, '<', email, '>')"],
  });
  await inOrderOnBoth('SELECT g, GROUP_CONCAT(name, n ORDER BY n DESC) FROM gc GROUP BY g ORDER BY g');
});

it('takes SEPARATOR, before or after an ORDER BY, with escapes in it — SQLite answered 1064', async () => {
  await inOrderOnBoth('CREATE TABLE gs (g INT, name VARCHAR(20), n INT)');
  await inOrderOnBoth(
    "INSERT INTO gs VALUES (1, 'b', 2), (1, 'a', 3), (1, 'c', 1), (2, 'd', 1), (3, NULL, 1)",
  );
  expect(
    await inOrderOnBoth(
      "SELECT g, GROUP_CONCAT(name ORDER BY name SEPARATOR ', ') FROM gs GROUP BY g ORDER BY g",
    ),
  ).toEqual({
    rows: [
      ['1', 'a, b, c'],
      ['2', 'd'],
      ['3', null],
    ],
    names: ['g', "GROUP_CONCAT(name ORDER BY name SEPARATOR ', ')"],
  });
  await inOrderOnBoth("SELECT GROUP_CONCAT(name ORDER BY n DESC, name SEPARATOR '\\n') AS x FROM gs");
  await inOrderOnBoth("SELECT GROUP_CONCAT(name SEPARATOR '') AS x FROM gs WHERE g = 1 ORDER BY x");
  await inOrderOnBoth("SELECT GROUP_CONCAT(name, '=', n ORDER BY n, name SEPARATOR 'it''s') FROM gs");
  await inOrderOnBoth("SELECT GROUP_CONCAT(name SEPARATOR ';') FROM gs WHERE g > 5");
  await inOrderOnBoth(
    "SELECT UPPER(GROUP_CONCAT(name ORDER BY name SEPARATOR '|')) u, COUNT(*) FROM gs GROUP BY g HAVING u LIKE '%|%'",
  );
  await sameOnBoth(
    both,
    "SELECT g, (SELECT GROUP_CONCAT(name SEPARATOR '+') FROM gs i WHERE i.g = o.g) AS names FROM gs o",
  );
  await inOrderOnBoth("PREPARE p FROM 'SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ?) FROM gs'");
});

it('takes DISTINCT, with and without a separator or several expressions', async () => {
  await inOrderOnBoth('CREATE TABLE gd (g INT, name VARCHAR(20), n INT)');
  await inOrderOnBoth(
    "INSERT INTO gd VALUES (1, 'b', 2), (1, 'a', 3), (1, 'b', 2), (1, 'b', 7), (2, NULL, 1)",
  );
  await inOrderOnBoth('SELECT g, GROUP_CONCAT(DISTINCT name ORDER BY name) FROM gd GROUP BY g ORDER BY g');
  // SQLite refuses DISTINCT for an aggregate of two arguments: an aggregate of ours then.
  expect(
    await inOrderOnBoth(
      "SELECT g, GROUP_CONCAT(DISTINCT name ORDER BY name DESC SEPARATOR '; ') FROM gd GROUP BY g ORDER BY g",
    ),
  ).toEqual({
    rows: [
      ['1', 'b; a'],
      ['2', null],
    ],
    names: ['g', "GROUP_CONCAT(DISTINCT name ORDER BY name DESC SEPARATOR '; ')"],
  });
  await inOrderOnBoth("SELECT GROUP_CONCAT(DISTINCT name, n ORDER BY n SEPARATOR '/') FROM gd");
  await inOrderOnBoth('SELECT GROUP_CONCAT(DISTINCT name, n ORDER BY name, n) FROM gd');
  await inOrderOnBoth("SELECT GROUP_CONCAT(DISTINCT n SEPARATOR '-') FROM gd WHERE g = 1 AND n < 5");
});

it('leaves what MariaDB refuses refused', async () => {
  for (const sql of [
    'SELECT GROUP_CONCAT(name SEPARATOR n) FROM gd',
    "SELECT GROUP_CONCAT(name SEPARATOR ',' ORDER BY name) FROM gd",
  ])
    expect(await inOrderOnBoth(sql)).toBe('ERR 1064');
});
