import { expect, it } from 'vitest';
import { answer, sameAnswer, sideBySide } from './support/against-mariadb.js';

// SHOW CREATE TABLE as MariaDB 10.11 lays it out, compared with a live one: one column or key a
// line, names in backticks, types in lower case, PRIMARY KEY / UNIQUE KEY / KEY / CONSTRAINT
// lines, the table options after the `)`. SQLAlchemy's MySQL dialect reflects a table from this
// text alone, line by line (inspect().get_columns, get_pk_constraint, get_foreign_keys,
// autoload_with, Alembic's autogenerate): the backend's one-line SQLite text gave it no columns.

const both = sideBySide();

/** Runs `sql` on both; expects the same answer. */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** Each one's answer to `sql` (MariaDB's first), not compared. */
async function answers(sql: string): Promise<[unknown, unknown]> {
  return Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
}

/** The Create Table text of `table` on each (MariaDB's first). */
async function createText(table: string): Promise<[string, string]> {
  const [theirs, mine] = await answers(`SHOW CREATE TABLE ${table}`);
  const text = (a: unknown) => ((a as { rows: string[][] }).rows[0] ?? [])[1] ?? String(a);
  return [text(theirs), text(mine)];
}

it('lays out SHOW CREATE TABLE as MariaDB does: a line per column and key, primary and unique keys from the columns, table options', async () => {
  const created = await onBoth(
    `CREATE TABLE sct_parent (
       id int(11) NOT NULL AUTO_INCREMENT,
       name varchar(50) NOT NULL UNIQUE,
       flag tinyint(1) DEFAULT 1,
       price decimal(10,2) NOT NULL,
       note text,
       status enum('draft','published') NOT NULL DEFAULT 'draft',
       d datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
       created datetime DEFAULT CURRENT_TIMESTAMP,
       updated timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       PRIMARY KEY (id),
       KEY name_price (name, price)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
  expect(created).toEqual({ affectedRows: 0 });
  await onBoth(
    `CREATE TABLE sct_child (
       parent_id int(11) NOT NULL,
       tag varchar(20) NOT NULL,
       other_id int(11) DEFAULT NULL,
       PRIMARY KEY (parent_id, tag),
       KEY other_id (other_id),
       FOREIGN KEY (other_id) REFERENCES sct_parent (id),
       CONSTRAINT sct_fk FOREIGN KEY (parent_id) REFERENCES sct_parent (id) ON DELETE CASCADE
     )`,
  );
  const [theirs, mine] = await createText('sct_parent');
  expect(mine).toBe(theirs);
  const [theirChild, myChild] = await createText('sct_child');
  expect(myChild).toBe(theirChild);
});

it('shows BOOL as tinyint(1), NUMERIC as decimal and a column without a default as DEFAULT NULL, as MariaDB does', async () => {
  await onBoth('CREATE TABLE sct_types (a bool, b NUMERIC(8, 3), c VARCHAR(10), d DATETIME DEFAULT NOW())');
  const [theirs, mine] = await createText('sct_types');
  expect(mine).toBe(theirs);
});

it("writes a column's clauses as MariaDB does whatever case the CREATE used (`not null default '0'`, WordPress's), an integer's string default as a number", async () => {
  await onBoth(`CREATE TABLE sct_wp (
    option_id bigint(20) unsigned NOT NULL,
    option_name varchar(191) NOT NULL default '',
    autoload varchar(20) not null default 'yes',
    n int(11) NOT NULL default '0',
    m smallint(6) default '-1',
    d datetime default null,
    PRIMARY KEY  (option_id),
    UNIQUE KEY option_name (option_name),
    KEY autoload (autoload)
  )`);
  const [theirs, mine] = await createText('sct_wp');
  expect(mine).toBe(theirs);
});

it("gives the next AUTO_INCREMENT id as MariaDB's table options do, so a dump's table does not hand out a deleted row's id again", async () => {
  await onBoth(
    'CREATE TABLE sct_counter (id int(11) NOT NULL AUTO_INCREMENT, a int(11) DEFAULT NULL, PRIMARY KEY (id))',
  );
  await onBoth('INSERT INTO sct_counter (a) VALUES (1), (2), (3)');
  await onBoth('DELETE FROM sct_counter WHERE id = 3');
  await onBoth(
    'CREATE TABLE sct_started (id int(11) NOT NULL AUTO_INCREMENT, PRIMARY KEY (id)) AUTO_INCREMENT=50',
  );
  for (const table of ['sct_counter', 'sct_started']) {
    const [theirs, mine] = await createText(table);
    expect(mine).toBe(theirs);
    // Made again from the backend's own text, the table numbers on from there.
    await both.ours().query(`DROP TABLE ${table}`);
    await both.ours().query(mine);
    await both.server().query(`DROP TABLE ${table}`);
    await both.server().query(theirs);
    await onBoth(`INSERT INTO ${table} () VALUES ()`);
    await onBoth(`SELECT MAX(id) FROM ${table}`);
  }
});
