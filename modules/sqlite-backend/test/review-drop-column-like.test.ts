import { expect, it } from 'vitest';
import { sameAnswer, sideBySide } from './support/against-mariadb.js';

// Bugs found reviewing this session's ALTER TABLE … DROP COLUMN and LIKE escapes, compared with a
// live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both; expects the same answer. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

it('refuses to drop a column of a unique key of several (1072), leaving the key and the rows as they were', async () => {
  await onBoth('CREATE TABLE rdl_pair (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY ab (a, b))');
  await onBoth('INSERT INTO rdl_pair VALUES (1, 1, 1), (2, 2, 1)');
  // It was dropped, the key narrowed to (a) alone: a rule the table never had.
  expect(await onBoth('ALTER TABLE rdl_pair DROP COLUMN b')).toBe('ERR 1072');
  await onBoth('SELECT * FROM rdl_pair ORDER BY id');
  await onBoth(
    "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_NAME = 'rdl_pair' AND INDEX_NAME = 'ab' ORDER BY SEQ_IN_INDEX",
  );
  await onBoth('INSERT INTO rdl_pair VALUES (3, 1, 3)');
});

it('matches a LIKE pattern ending in its escape character `\\` as MariaDB does: the `\\` is itself', async () => {
  await onBoth('CREATE TABLE rdl_paths (id INT PRIMARY KEY, p VARCHAR(20))');
  await onBoth("INSERT INTO rdl_paths VALUES (1, 'C:\\\\'), (2, 'C:\\\\x'), (3, 'C:'), (4, 'a\\\\\\\\')");
  // SQLite's LIKE matched nothing where the pattern ended in its ESCAPE character.
  await onBoth("SELECT id FROM rdl_paths WHERE p LIKE 'C:\\\\' ORDER BY id");
  await onBoth("SELECT id FROM rdl_paths WHERE p NOT LIKE '%\\\\' ORDER BY id");
  await onBoth("SELECT id FROM rdl_paths WHERE p LIKE 'a\\\\\\\\\\\\' ORDER BY id");
  await onBoth("SELECT 'x\\\\' LIKE '%\\\\' AS a, 'x\\\\' LIKE 'x\\\\\\\\' AS b, 'x\\\\y' LIKE 'x\\\\' AS c");
});

it('takes a hex literal as a LIKE pattern, as MariaDB does', async () => {
  // The escape went after the X, between it and its string: 1064.
  await onBoth("SELECT 'A%' LIKE X'4125' AS a, 'AB' LIKE X'4125' AS b, 'AB' NOT LIKE x'41255F' AS c");
});
