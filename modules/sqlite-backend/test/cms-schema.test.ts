import { expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// A CMS's install script (WordPress's shape: bigint(20) unsigned ids, longtext, prefix indexes,
// zero-date defaults, MySQL table options), each statement compared with a live MariaDB 10.11.

const both = sideBySide();

async function onBoth(sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  return mine;
}

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
  // The declared type is the column's, as MariaDB shows it (the AUTO_INCREMENT id's is not kept).
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
