import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// Statements Node ORMs (knex, Sequelize) send during migrations and everyday queries, as a
// newcomer's app sends them through `npm start`, each compared with a live MariaDB 10.11.

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** A result's rows (an error is its `ERR n` text, as `answer` gives it). */
type Rows = { rows: unknown[][]; names: string[] };

/**
 * Runs `sql` on both and expects the same `part` of the answers (some columns of the rows, where
 * the others differ), the statement in the comparison.
 */
async function samePart(sql: string, part: (a: Rows) => unknown): Promise<void> {
  const [theirs, mine] = await Promise.all(
    [both.server(), both.ours()].map(async (c) => part((await answer(c, sql)) as Rows)),
  );
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
}

/** The columns of `table` as SHOW COLUMNS lists them: name and nullability, in order. */
const columns = (table: string): Promise<void> =>
  samePart(`SHOW COLUMNS FROM ${table}`, (a) => a.rows.map((r) => [r[0], r[2]]));

it("runs several changes of one ALTER TABLE in order, all or none, as knex's alterTable adding two columns writes them", async () => {
  await onBoth('CREATE TABLE kx_widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255))');
  await onBoth("INSERT INTO kx_widgets (name) VALUES ('a'), ('b')");
  await onBoth('alter table `kx_widgets` add `a` varchar(255), add `b` int');
  await onBoth(
    "alter table `kx_widgets` add `c` int not null default '3', add index `kx_widgets_b_index`(`b`), drop `name`",
  );
  await columns('kx_widgets');
  await sameOnBoth(both, 'SELECT * FROM kx_widgets');
  // A change that fails undoes the ones before it: nothing of the statement stays.
  expect(await onBoth('alter table `kx_widgets` add `d` int, drop `nope`')).toBe('ERR 1091');
  await columns('kx_widgets');
  await onBoth(
    "alter table `kx_widgets` add `d` int, add `e` varchar(10) default 'x', rename column `a` to `aa`",
  );
  await columns('kx_widgets');
  await sameOnBoth(both, 'SELECT * FROM kx_widgets');
});

it("takes DEFAULT in some rows of a multi-row INSERT, as knex writes a key one row lacks: each such row gets the column's default", async () => {
  await onBoth(
    "CREATE TABLE kx_orders (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(20), qty INT DEFAULT 1, status ENUM('new', 'paid') DEFAULT 'new', note VARCHAR(20) DEFAULT NULL, weight DOUBLE)",
  );
  await onBoth(
    "insert into `kx_orders` (`note`, `qty`, `sku`, `status`, `weight`) values ('first', 2, 'A', DEFAULT, 1.5), (DEFAULT, DEFAULT, 'B', 'paid', DEFAULT), (DEFAULT, 4, DEFAULT, default, 2)",
  );
  await sameOnBoth(both, 'SELECT id, sku, qty, status, note, weight FROM kx_orders');
  // A qualified table name.
  await Promise.all([
    both.server().query("insert into test.kx_orders (sku, qty) values (DEFAULT, 7), ('F', DEFAULT)"),
    both.ours().query("insert into main.kx_orders (sku, qty) values (DEFAULT, 7), ('F', DEFAULT)"),
  ]);
  await sameOnBoth(both, 'SELECT id, sku, qty, status FROM kx_orders');
  // The id too, DEFAULT in some rows only: those rows are numbered as if it had been left out.
  // (Not their ids compared: InnoDB reserves ids for a mixed-mode insert and skips some.)
  await onBoth("insert into kx_orders (id, sku) values (20, 'C'), (DEFAULT, 'D'), (DEFAULT, 'E')");
  await sameOnBoth(both, 'SELECT id > 20, sku, qty, status FROM kx_orders WHERE id >= 20');
});

it("filters a SHOW's rows by its WHERE, as knex's renameColumn reads a column with SHOW FULL FIELDS … WHERE field = 'c'", async () => {
  await onBoth(
    'CREATE TABLE kx_renamed (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), n INT NOT NULL)',
  );
  const field = (sql: string) =>
    samePart(sql, (a: Rows | string) =>
      typeof a === 'string' ? a : { names: a.names, rows: a.rows.map((r) => [r[0], r[3]]) },
    );
  await field("show full fields from `kx_renamed` where field = 'name'");
  await field("SHOW COLUMNS FROM kx_renamed WHERE `Null` = 'NO' AND Field <> 'id'");
  await field("show fields from kx_renamed where field = 'nope'");
  await field("SHOW COLUMNS FROM kx_renamed WHERE Field IN ('id', 'n')");
  // A name that is no column of the SHOW's result.
  await field("show columns from kx_renamed where colour = 'red'");
  // Another SHOW's columns.
  await sameOnBoth(both, "SHOW VARIABLES WHERE Variable_name = 'no_such_variable'");
  await onBoth('alter table `kx_renamed` change `name` `title` varchar(255)');
  await field("show full fields from `kx_renamed` where field = 'title'");
});

it("shows a column's DEFAULT in SHOW [FULL] COLUMNS as MariaDB does — the value, not its literal — which knex's renameColumn writes back and Sequelize's describeTable reads", async () => {
  await onBoth(
    "CREATE TABLE kx_defaults (a INT DEFAULT '3', b INT DEFAULT -1, c VARCHAR(9) DEFAULT 'it''s', d VARCHAR(9) DEFAULT 'a\\\\b', e VARCHAR(5) DEFAULT NULL, g TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, h TINYINT(1) DEFAULT TRUE, i DOUBLE DEFAULT 1.5, j VARCHAR(5) DEFAULT '', k DATE DEFAULT '2024-01-01', l INT NOT NULL, m VARCHAR(9) DEFAULT 'NULL', r BOOL DEFAULT FALSE, s ENUM('x', 'y') DEFAULT 'y')",
  );
  const defaults = (sql: string) =>
    samePart(sql, (a) => {
      const at = a.names.indexOf('Default');
      return a.rows.map((r) => [r[0], r[at]]);
    });
  await defaults('SHOW COLUMNS FROM kx_defaults');
  await defaults('SHOW FULL COLUMNS FROM kx_defaults');
  await defaults('DESCRIBE kx_defaults');
  // What knex's renameColumn sends, the DEFAULT read from SHOW FULL FIELDS quoted again.
  await onBoth("alter table `kx_defaults` change `a` `a2` int NULL DEFAULT '3'");
  await onBoth("alter table `kx_defaults` change `c` `c2` varchar(9) NULL DEFAULT 'it\\'s'");
  await defaults('SHOW COLUMNS FROM kx_defaults');
  await onBoth('INSERT INTO kx_defaults (l) VALUES (1)');
  await sameOnBoth(both, 'SELECT a2, b, c2, d, e, h, i, j, k, m, r, s FROM kx_defaults');
});

it("takes a CHANGE of an ENUM column into an ENUM, as Sequelize's sync({ alter: true }) sends for every ENUM column, checking the rows against the new members", async () => {
  await onBoth(
    "CREATE TABLE `sq_users` (`id` INTEGER NOT NULL auto_increment , `name` VARCHAR(255) NOT NULL, `role` ENUM('admin', 'user'), PRIMARY KEY (`id`)) ENGINE=InnoDB",
  );
  await onBoth("INSERT INTO sq_users (name, role) VALUES ('ada', 'admin'), ('bob', 'user'), ('cy', NULL)");
  // What sync({ alter: true }) sends for the model as it was: the same members.
  await onBoth("ALTER TABLE `sq_users` CHANGE `role` `role` ENUM('admin', 'user');");
  await sameOnBoth(both, 'SELECT id, name, role FROM sq_users');
  // A member added, with a default; then one taken away that no row holds.
  await onBoth("ALTER TABLE `sq_users` CHANGE `role` `role` ENUM('admin', 'user', 'guest') DEFAULT 'guest';");
  await onBoth("INSERT INTO sq_users (name) VALUES ('dee')");
  expect(await onBoth("INSERT INTO sq_users (name, role) VALUES ('eve', 'owner')")).toBe('ERR 1265');
  await onBoth("ALTER TABLE `sq_users` MODIFY `role` ENUM('admin', 'user', 'guest', 'owner') DEFAULT 'user'");
  await onBoth("INSERT INTO sq_users (name, role) VALUES ('eve', 'owner')");
  await sameOnBoth(both, 'SELECT id, name, role FROM sq_users');
  // A member some row holds taken away: 1265, and the column is left as it was.
  expect(await onBoth("ALTER TABLE `sq_users` MODIFY `role` ENUM('admin', 'user', 'guest')")).toBe(
    'ERR 1265',
  );
  await onBoth("INSERT INTO sq_users (name, role) VALUES ('fay', 'owner')");
  // Renamed as it changes.
  await onBoth("ALTER TABLE `sq_users` CHANGE `role` `kind` ENUM('admin', 'user', 'guest', 'owner', 'bot')");
  expect(await onBoth("INSERT INTO sq_users (name, kind) VALUES ('gus', 'robot')")).toBe('ERR 1265');
  await onBoth("INSERT INTO sq_users (name, kind) VALUES ('gus', 'bot')");
  await sameOnBoth(both, 'SELECT id, name, kind FROM sq_users');
  await samePart('SHOW COLUMNS FROM sq_users', (a) => a.rows.map((r) => [r[0], r[1], r[2], r[4]]).slice(1));
  // A text column into an ENUM.
  await onBoth('CREATE TABLE sq_kinds (id INT, k VARCHAR(10))');
  await onBoth("INSERT INTO sq_kinds VALUES (1, 'a'), (2, 'B')");
  expect(await onBoth("ALTER TABLE sq_kinds MODIFY k ENUM('a')")).toBe('ERR 1265');
  // (MariaDB copies the table, and counts the rows copied as affected: 0 here.)
  await Promise.all(
    [both.server(), both.ours()].map((c) => c.query("ALTER TABLE sq_kinds MODIFY k ENUM('a', 'b')")),
  );
  expect(await onBoth("INSERT INTO sq_kinds VALUES (3, 'c')")).toBe('ERR 1265');
  await sameOnBoth(both, 'SELECT id, k FROM sq_kinds');
});

it("drops a column an index covers, as knex's dropColumn and Sequelize's removeColumn do: its own indexes go, an index of several columns loses it", async () => {
  await onBoth('CREATE TABLE kx_gadgets (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, c INT, d INT)');
  await onBoth('alter table `kx_gadgets` add index `kx_gadgets_a_index`(`a`)');
  await onBoth('alter table `kx_gadgets` add index `ab`(`a`, `b`)');
  await onBoth('alter table `kx_gadgets` add unique `kx_gadgets_c_unique`(`c`)');
  await onBoth('CREATE INDEX bd ON kx_gadgets (b, d DESC)');
  await onBoth('INSERT INTO kx_gadgets (a, b, c, d) VALUES (1, 2, 3, 4), (5, 6, 7, 8)');
  const indexes = () =>
    samePart('SHOW INDEX FROM kx_gadgets', (a) => a.rows.map((r) => [r[1], r[2], r[3], r[4]]));
  await onBoth('alter table `kx_gadgets` drop `a`');
  await indexes();
  await onBoth('ALTER TABLE kx_gadgets DROP COLUMN c');
  await indexes();
  // Several changes, one of them such a drop.
  await onBoth('ALTER TABLE kx_gadgets ADD e INT, DROP d');
  await indexes();
  await sameOnBoth(both, 'SELECT * FROM kx_gadgets');
  // A column that is not there is still 1091, and an unindexed one drops as before.
  expect(await onBoth('ALTER TABLE kx_gadgets DROP COLUMN nope')).toBe('ERR 1091');
  await onBoth('ALTER TABLE kx_gadgets DROP e');
  await sameOnBoth(both, 'SELECT * FROM kx_gadgets');
});

it("takes MySQL's BINARY column attribute, as Sequelize declares a UUID primary key: CHAR(36) BINARY", async () => {
  await onBoth(
    "CREATE TABLE IF NOT EXISTS `sq_items` (`id` CHAR(36) BINARY , `sku` VARCHAR(32) BINARY NOT NULL, `code` BINARY(4), `n` VARCHAR(5) CHARACTER SET utf8mb4 BINARY DEFAULT 'x', PRIMARY KEY (`id`)) ENGINE=InnoDB;",
  );
  await onBoth('ALTER TABLE `sq_items` ADD `ref` CHAR(36) BINARY NULL');
  await onBoth("ALTER TABLE `sq_items` CHANGE `ref` `ref` CHAR(36) BINARY NOT NULL DEFAULT ''");
  await onBoth(
    "INSERT INTO sq_items (id, sku, code) VALUES ('c0528fc7-46be-42a6-b895-c303b6bb750e', 'A1', 'ab'), ('e9fd5465-4192-4cf2-a782-1e6c4d952c62', 'a1', 'cd')",
  );
  // Binary: case tells the values apart, as SQLite's default collation does.
  await sameOnBoth(both, "SELECT id, sku, n, ref FROM sq_items WHERE sku = 'a1'");
  await samePart('SHOW COLUMNS FROM sq_items', (a) => a.rows.map((r) => [r[0], r[2], r[3], r[4]]));
});

it("names a table that exists as MariaDB does when CREATE TABLE meets it, whichever way the statement quoted it (knex's createTable backquotes)", async () => {
  await onBoth('CREATE TABLE kx_twice (id INT)');
  for (const sql of ['create table `kx_twice` (`id` int)', 'CREATE TABLE kx_twice (id INT)']) {
    const [theirs, mine] = await Promise.all(
      [both.server(), both.ours()].map((c) =>
        c.query(sql).then(
          () => 'created',
          (e: { errno: number; message: string }) => `${e.errno} ${e.message}`,
        ),
      ),
    );
    expect({ sql, error: mine }).toEqual({ sql, error: theirs });
  }
});

it("places a new column FIRST or AFTER another, as knex's .first() / .after() ask, keeping the rows, indexes and the AUTO_INCREMENT counter", async () => {
  await onBoth(
    'CREATE TABLE kx_accounts (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) NOT NULL, credits INT DEFAULT 0)',
  );
  await onBoth('alter table `kx_accounts` add unique `kx_accounts_email_unique`(`email`)');
  await onBoth("INSERT INTO kx_accounts (email, credits) VALUES ('a@x', 1), ('b@x', 2), ('c@x', 3)");
  await onBoth("DELETE FROM kx_accounts WHERE email = 'c@x'");
  // Another table's foreign key to it, as knex's migration makes: its rows stay, and it still holds.
  await onBoth(
    'CREATE TABLE kx_orders2 (id INT AUTO_INCREMENT PRIMARY KEY, account_id INT UNSIGNED NOT NULL, CONSTRAINT kx_orders2_account_id_foreign FOREIGN KEY (account_id) REFERENCES kx_accounts (id) ON DELETE CASCADE)',
  );
  await onBoth('INSERT INTO kx_orders2 (account_id) VALUES (1), (2), (2)');
  await onBoth('alter table `kx_accounts` add `nickname` varchar(40) after `email`');
  await onBoth("alter table `kx_accounts` add `tier` int not null default '1' first");
  await onBoth('ALTER TABLE kx_accounts ADD COLUMN note TEXT AFTER id, ADD flag BOOL DEFAULT 0 AFTER note');
  await columns('kx_accounts');
  await sameOnBoth(both, 'SELECT * FROM kx_accounts');
  // A new row takes the id after the deleted one's, and the unique key still holds.
  await onBoth("INSERT INTO kx_accounts (email, nickname) VALUES ('d@x', 'dee')");
  expect(await onBoth("INSERT INTO kx_accounts (email) VALUES ('a@x')")).toBe('ERR 1062');
  await sameOnBoth(both, 'SELECT * FROM kx_accounts');
  // After a column that is not there: 1054, and nothing changes.
  expect(await onBoth('ALTER TABLE kx_accounts ADD z INT AFTER nope')).toBe('ERR 1054');
  await columns('kx_accounts');
  await sameOnBoth(both, 'SELECT id, account_id FROM kx_orders2');
  expect(await onBoth('INSERT INTO kx_orders2 (account_id) VALUES (99)')).toBe('ERR 1452');
  await onBoth('DELETE FROM kx_accounts WHERE id = 2');
  await sameOnBoth(both, 'SELECT id, account_id FROM kx_orders2');
});
