import { expect, it } from 'vitest';
import { answer, inOrder, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// UPDATE and DELETE of one table with ORDER BY and LIMIT, which SQLite's own grammar lacks as
// node builds it: the rows changed and the counts reported, on MariaDB and on the backend alike.

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

it('changes and deletes only the first rows in the order asked, and counts them', async () => {
  await onBoth('CREATE TABLE queue (id INT PRIMARY KEY, grp INT, hits INT)');
  await onBoth('INSERT INTO queue VALUES (1, 1, 0), (2, 1, 0), (3, 2, 0), (4, 2, 0), (5, 1, 0)');
  expect(await onBoth('UPDATE queue SET hits = hits + 1 WHERE grp = 1 ORDER BY id DESC LIMIT 2')).toEqual({
    affectedRows: 2,
  });
  await onBoth('UPDATE queue SET hits = 9 ORDER BY id LIMIT 1');
  await onBoth(
    'UPDATE LOW_PRIORITY queue SET hits = (SELECT MAX(id) FROM queue WHERE id < 4) ORDER BY grp DESC, id LIMIT 1',
  );
  await sameOnBoth(both, 'SELECT id, grp, hits FROM queue');
  expect(await onBoth('DELETE FROM queue WHERE grp = 1 ORDER BY id LIMIT 2')).toEqual({ affectedRows: 2 });
  await onBoth('DELETE FROM queue ORDER BY id DESC LIMIT 1');
  await onBoth('DELETE FROM queue LIMIT 0');
  await sameOnBoth(both, 'SELECT id, grp, hits FROM queue');
  // Placeholders keep their order.
  const run = async (c: ReturnType<typeof both.ours>) => {
    const [ok] = await c.execute('UPDATE queue SET hits = ? WHERE grp = ? ORDER BY id LIMIT ?', [
      '7',
      '2',
      '1',
    ]);
    return (ok as { affectedRows: number }).affectedRows;
  };
  expect(await run(both.ours())).toBe(await run(both.server()));
  await sameOnBoth(both, 'SELECT id, grp, hits FROM queue');
});

it('takes a SET column named through its table or the alias, as MariaDB does; another name is 1054', async () => {
  await onBoth('CREATE TABLE named_set (id INT PRIMARY KEY, n INT, m INT)');
  await onBoth('INSERT INTO named_set VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3)');
  expect(await onBoth('UPDATE named_set AS x SET x.n = x.n + 10 WHERE x.id = 1')).toEqual({
    affectedRows: 1,
  });
  await onBoth('UPDATE named_set SET named_set.n = named_set.n + 100, m = 0 WHERE named_set.id = 2');
  await onBoth('UPDATE named_set x SET x.m = 7, x.n = (SELECT 40) ORDER BY x.id DESC LIMIT 1');
  await sameOnBoth(both, 'SELECT id, n, m FROM named_set');
  expect(await onBoth('UPDATE named_set AS x SET named_set.n = 1')).toBe('ERR 1054');
  expect(await onBoth('UPDATE named_set SET x.n = 1')).toBe('ERR 1054');
  await sameOnBoth(both, 'SELECT id, n, m FROM named_set');
});

it('takes DELETE … ORDER BY … LIMIT n RETURNING …, as MariaDB does', async () => {
  await onBoth('CREATE TABLE returned (id INT PRIMARY KEY, v INT)');
  await onBoth('INSERT INTO returned VALUES (1, 10), (2, 20), (3, 30), (4, 40)');
  // SQLite lists the rows in its own order (README): compared as sets.
  const sql = 'DELETE FROM returned WHERE id > 1 ORDER BY id DESC LIMIT 2 RETURNING id, v * 2 AS w';
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect(inOrder(mine)).toEqual(inOrder(theirs));
  await onBoth('DELETE FROM returned ORDER BY id LIMIT 1 RETURNING id');
  await sameOnBoth(both, 'SELECT id, v FROM returned');
});

it('refuses an UPDATE … ORDER BY assigning a user variable in SET: SQLite would not change the rows in that order', async () => {
  await onBoth('CREATE TABLE numbered (id INT PRIMARY KEY, created INT, seq INT)');
  await onBoth('INSERT INTO numbered VALUES (1, 30, 0), (2, 10, 0), (3, 20, 0)');
  await onBoth('SET @n := 0');
  const ours = both.ours();
  // MariaDB numbers the rows by `created` (3, 1, 2); SQLite would number them by rowid.
  expect(await answer(ours, 'UPDATE numbered SET seq = (@n := @n + 1) ORDER BY created')).toBe('ERR 1235');
  expect(await answer(ours, 'UPDATE numbered SET seq = @n := @n + 1 ORDER BY created LIMIT 2')).toBe(
    'ERR 1235',
  );
  expect(await answer(ours, 'SELECT id, seq FROM numbered ORDER BY id')).toEqual({
    rows: [
      ['1', '0'],
      ['2', '0'],
      ['3', '0'],
    ],
    names: ['id', 'seq'],
  });
  // Reading a variable, or ordering without one assigned, still runs.
  await onBoth('UPDATE numbered SET seq = @n + 1 ORDER BY created LIMIT 2');
  await sameOnBoth(both, 'SELECT id, seq FROM numbered');
});
