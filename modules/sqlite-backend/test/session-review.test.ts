import { expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// Bugs found reviewing this session's TRUNCATE / DROP lists and ALTER TABLE … ADD PRIMARY KEY,
// compared with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both; expects the same answer. */
async function onBoth(sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  return mine;
}

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
  expect(ours === 'ERR 1235' || (ours as { affectedRows?: number }).affectedRows === 0).toBe(true);
  await both.server().query('ALTER TABLE rv_tree ADD PRIMARY KEY (id)');
  await sameOnBoth(both, 'SELECT * FROM rv_tree');
});
