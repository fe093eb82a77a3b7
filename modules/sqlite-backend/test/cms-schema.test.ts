import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// A CMS's install script (WordPress's shape: bigint(20) unsigned ids, longtext, prefix indexes,
// zero-date defaults, MySQL table options), each statement compared with a live MariaDB 10.11.

const both = sideBySide();

const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

it('takes a type with a length and then UNSIGNED / ZEROFILL (`bigint(20) unsigned`), in CREATE TABLE and ALTER TABLE, as MariaDB does', async () => {
  // SQLite's grammar has no words after a type's parentheses: this was a 1064.
  await onBoth(`CREATE TABLE cms_posts (
    ID bigint(20) unsigned NOT NULL auto_increment,
    post_author bigint(20) unsigned NOT NULL default '0',
    post_date datetime NOT NULL default '0000-00-00 00:00:00',
    post_content longtext NOT NULL,
    menu_order int(11) NOT NULL default '0',
    price decimal(10,2) unsigned zerofill DEFAULT NULL,
    flags tinyint(3) UNSIGNED DEFAULT NULL,
    PRIMARY KEY  (ID),
    KEY post_author (post_author)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci`);
  await onBoth('ALTER TABLE cms_posts ADD COLUMN comment_count smallint(5) unsigned NOT NULL default 0');
  await onBoth('ALTER TABLE cms_posts MODIFY flags int(10) unsigned NOT NULL DEFAULT 0');
  // The declared type is the column's, as MariaDB shows it.
  await sameOnBoth(
    both,
    `SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cms_posts' AND COLUMN_NAME <> 'ID'`,
  );
  await onBoth(
    "INSERT INTO cms_posts (post_author, post_date, post_content, price, flags) VALUES ('7', '2024-01-02 03:04:05', 'hello', 1.5, 3)",
  );
  await onBoth("INSERT INTO cms_posts (post_content) VALUES ('defaults')");
  await sameOnBoth(
    both,
    'SELECT ID, post_author, post_author + 1, post_date, menu_order, flags, comment_count FROM cms_posts',
  );
});

it("reads `\\_`, `\\%` and `\\\\` in a LIKE pattern as MySQL's escapes (WordPress's esc_like: `LIKE '\\_transient\\_%'`), as MariaDB does", async () => {
  await onBoth('CREATE TABLE cms_options (option_name varchar(191) NOT NULL, PRIMARY KEY (option_name))');
  await onBoth(
    "INSERT INTO cms_options VALUES ('_transient_a'), ('xtransientxb'), ('_site_transient_c'), ('100%'), ('1000'), ('a\\\\b'), ('ab')",
  );
  // SQLite's LIKE has no escape character by default: these matched nothing, or too much.
  for (const where of [
    "option_name LIKE '\\_transient\\_%'",
    "option_name NOT LIKE '\\_%'",
    "option_name LIKE '100\\%'",
    "option_name LIKE 'a\\\\\\\\b'",
    "option_name LIKE CONCAT('\\_', 'transient', '\\_%')",
    "option_name LIKE '|_transient|_%' ESCAPE '|'",
  ])
    await sameOnBoth(both, `SELECT option_name FROM cms_options WHERE ${where}`);
  // The column is named as written.
  await sameOnBoth(both, "SELECT 'a_b' LIKE 'a\\_b', 'axb' LIKE 'a\\_b'");
  await sameOnBoth(
    both,
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'cms\\_opt%'",
  );
  // A bound pattern too (a prepared statement: PDO without emulation, mysql2's execute).
  const [[theirs], [mine]] = await Promise.all(
    [both.server(), both.ours()].map((c) =>
      c.execute('SELECT option_name FROM cms_options WHERE option_name LIKE ? ORDER BY 1', [
        '\\_transient\\_%',
      ]),
    ),
  );
  expect(mine).toEqual(theirs);
  expect(mine).toEqual([{ option_name: '_transient_a' }]);
});

it("DESCRIBE / SHOW FULL COLUMNS give Key MUL for a column that starts an index, as MariaDB does (it was '')", async () => {
  await onBoth(`CREATE TABLE cms_terms (
    term_id bigint(20) unsigned NOT NULL,
    name varchar(200) NOT NULL default '',
    slug varchar(200) NOT NULL default '',
    term_group bigint(10) NOT NULL default 0,
    parent bigint(20) unsigned NOT NULL default 0,
    PRIMARY KEY  (term_id),
    KEY slug (slug(191)),
    KEY name (name(191)),
    UNIQUE KEY group_parent (term_group, parent)
  )`);
  await onBoth('CREATE UNIQUE INDEX parent_u ON cms_terms (parent)');
  await sameOnBoth(both, 'DESCRIBE cms_terms');
  await sameOnBoth(both, "SHOW COLUMNS FROM cms_terms LIKE '%e%'");
});

it("SHOW FULL COLUMNS gives a text or enum column's collation, as MariaDB does (it was NULL: WordPress reads a table's charset from it)", async () => {
  await onBoth("CREATE TABLE cms_full (a varchar(10), b text NOT NULL, c int(11), d enum('x','y'), e blob)");
  await sameOnBoth(both, 'SHOW FULL COLUMNS FROM cms_full');
});

it("keeps the AUTO_INCREMENT column's declared type (`bigint(20) unsigned`) for DESCRIBE, information_schema and SHOW CREATE TABLE, as MariaDB shows it (it read `integer`: SQLite's rowid)", async () => {
  await onBoth(`CREATE TABLE cms_links (
    link_id bigint(20) unsigned NOT NULL auto_increment,
    link_url varchar(255) NOT NULL default '',
    PRIMARY KEY  (link_id)
  )`);
  await onBoth('CREATE TABLE cms_counters (id int(11) AUTO_INCREMENT PRIMARY KEY, n int(11))');
  await sameOnBoth(both, 'DESCRIBE cms_links');
  await sameOnBoth(both, 'SHOW FULL COLUMNS FROM cms_counters');
  await sameOnBoth(
    both,
    `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, NUMERIC_PRECISION, EXTRA FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('cms_links', 'cms_counters', 'cms_posts')`,
  );
  await sameOnBoth(both, 'SHOW CREATE TABLE cms_links');
  // Still SQLite's rowid: ids numbered as before.
  await onBoth("INSERT INTO cms_links (link_url) VALUES ('a'), ('b')");
  await sameOnBoth(both, 'SELECT link_id, link_url FROM cms_links');
});

it('answers OPTIMIZE, ANALYZE, CHECK and REPAIR TABLE as MariaDB (InnoDB) does, an unknown table with its Error row (they were 1064)', async () => {
  await onBoth('CREATE TABLE cms_maint (a int)');
  await onBoth('CREATE TABLE cms_maint2 (a int)');
  for (const sql of [
    'OPTIMIZE TABLE cms_maint',
    'ANALYZE TABLE cms_maint',
    'CHECK TABLE cms_maint',
    'REPAIR TABLE cms_maint',
    'OPTIMIZE TABLE cms_maint, cms_nope, cms_maint2',
    'CHECK TABLE cms_maint EXTENDED',
    'ANALYZE NO_WRITE_TO_BINLOG TABLE cms_maint',
  ]) {
    const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
    // The Table column names the database: MariaDB's is `test`, the backend's `main`.
    expect({ sql, answer: JSON.stringify(mine).replaceAll('main.', 'test.') }).toEqual({
      sql,
      answer: JSON.stringify(theirs),
    });
  }
});
