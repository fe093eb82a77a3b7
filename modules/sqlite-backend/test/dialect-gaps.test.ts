import { expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// Statements MariaDB takes that the backend once refused or answered otherwise, each compared
// with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
async function onBoth(sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  return mine;
}

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
