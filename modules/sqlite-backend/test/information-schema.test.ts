import { beforeAll, expect, it } from 'vitest';
import { answer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// information_schema as migration tools read it (knex's hasTable, TypeORM's and Prisma's
// introspection): the same tables made on a live MariaDB and on the backend, then the same
// queries on both. Columns where the two cannot agree are left out of the comparisons:
// COLUMN_TYPE (MariaDB writes int(11), the backend the declared type), TABLE_SCHEMA (test vs main),
// sizes and times.

const both = sideBySide();

beforeAll(async () => {
  const tables = [
    `CREATE TABLE authors (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE,
      name VARCHAR(40) DEFAULT 'anonymous', born DATE, score DECIMAL(8,2), bio TEXT, joined DATETIME)`,
    `CREATE TABLE posts (author_id INT NOT NULL, seq INT NOT NULL, title CHAR(10), views BIGINT,
      PRIMARY KEY (author_id, seq), FOREIGN KEY (author_id) REFERENCES authors (id))`,
    'CREATE VIEW post_titles AS SELECT title FROM posts',
    'CREATE TABLE title_log (title CHAR(10))',
    'CREATE TRIGGER log_titles AFTER INSERT ON posts FOR EACH ROW BEGIN INSERT INTO title_log VALUES (NEW.title); END',
  ];
  for (const sql of tables) {
    await both.server().query(sql);
    await both.ours().query(sql);
  }
  // MariaDB takes an index in CREATE TABLE, the backend ignores one there: made apart on each.
  await both.server().query('CREATE INDEX posts_by_views ON posts (views, title)');
  await both.ours().query('CREATE INDEX posts_by_views ON posts (views, title)');
});

const same = (sql: string) => sameOnBoth(both, sql);

const rowsOf = (a: unknown) => (a as { rows: unknown[][] }).rows;

it("answers knex's hasTable and lists tables and views with their types", async () => {
  // knex reads only whether a row comes back (sizes and times are the storage engine's own).
  const hasTable = async (name: string) => {
    const sql = `select * from information_schema.tables where table_name = '${name}' and table_schema = database()`;
    const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
    expect((mine as { names: string[] }).names).toEqual((theirs as { names: string[] }).names);
    expect(rowsOf(mine).length).toBe(rowsOf(theirs).length);
    return rowsOf(mine).length;
  };
  expect(await hasTable('authors')).toBe(1);
  expect(await hasTable('missing')).toBe(0);
  expect(
    rowsOf(
      await same(
        'SELECT TABLE_NAME, TABLE_TYPE, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
      ),
    ),
  ).toEqual([
    ['authors', 'BASE TABLE', ''],
    ['post_titles', 'VIEW', 'VIEW'],
    ['posts', 'BASE TABLE', ''],
    ['title_log', 'BASE TABLE', ''],
  ]);
  await same('SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = DATABASE()');
});

it('describes columns: order, nullability, data types, lengths, precision, keys, auto_increment', async () => {
  const columns = await same(
    `SELECT c.TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH,
        CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME,
        COLUMN_KEY, EXTRA, IS_GENERATED
      FROM information_schema.COLUMNS c
      WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN ('authors', 'posts')
      ORDER BY c.TABLE_NAME, ORDINAL_POSITION`,
  );
  expect(rowsOf(columns)).toHaveLength(11);
  await same(
    "SELECT COLUMN_DEFAULT FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'authors' AND column_name = 'name'",
  );
});

it('gives a nullable column without a default SQL NULL as COLUMN_DEFAULT, as MySQL 8 (the version it reports) does', async () => {
  // MariaDB 10.11 writes the text NULL there; TypeORM (type 'mysql', chosen by the version)
  // reads that text as a default of its own and would CHANGE such columns at every synchronize.
  const a = await answer(
    both.ours(),
    "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' AND IS_NULLABLE = 'YES' AND COLUMN_DEFAULT IS NULL",
  );
  expect(rowsOf(a).length).toBeGreaterThan(0);
  const text = await answer(
    both.ours(),
    "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_DEFAULT = 'NULL'",
  );
  expect(rowsOf(text)).toEqual([['0']]);
});

it('lists indexes, constraints and the columns of keys, foreign keys with what they reference', async () => {
  await same(
    `SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NULLABLE, INDEX_TYPE
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
      ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  await same(
    `SELECT CONSTRAINT_NAME, TABLE_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS
      WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
  );
  const keys = await same(
    `SELECT k.CONSTRAINT_NAME, k.TABLE_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION, k.POSITION_IN_UNIQUE_CONSTRAINT,
        k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME
      FROM information_schema.KEY_COLUMN_USAGE AS k
      WHERE k.TABLE_SCHEMA = DATABASE() ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );
  expect(rowsOf(keys)).toContainEqual(['posts_ibfk_1', 'posts', 'author_id', '1', '1', 'authors', 'id']);
  await same(
    `SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE, TABLE_NAME, REFERENCED_TABLE_NAME
      FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
  );
});

it('lists triggers with their event, timing and body, as mariadb-dump reads them', async () => {
  const triggers = await same(
    `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_CONDITION,
        ACTION_STATEMENT, ACTION_ORIENTATION, ACTION_TIMING, ACTION_REFERENCE_OLD_ROW, ACTION_REFERENCE_NEW_ROW
      FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE()`,
  );
  expect(triggers.rows).toHaveLength(1);
});

it('lists views, and no stored routines (the backend has none)', async () => {
  const views = await same(
    `SELECT TABLE_NAME, CHECK_OPTION, SECURITY_TYPE, CHARACTER_SET_CLIENT FROM information_schema.VIEWS
      WHERE TABLE_SCHEMA = DATABASE()`,
  );
  expect(views.rows).toEqual([['post_titles', 'NONE', 'DEFINER', 'utf8mb4']]);
  const [definition] = rowsOf(
    await answer(
      both.ours(),
      "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_NAME = 'post_titles'",
    ),
  );
  expect(String(definition![0])).toMatch(/^SELECT title FROM /);
  await same('SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()');
});

it('shows a `/` in a default, a view and a trigger as written, not as the division of reals it is sent as', async () => {
  const c = both.ours();
  await c.query('CREATE TABLE halves (a INT, b DOUBLE DEFAULT (10/4))');
  await c.query('CREATE VIEW halved AS SELECT a/2 AS h FROM halves');
  await c.query('CREATE TRIGGER halve BEFORE INSERT ON halves FOR EACH ROW BEGIN SELECT NEW.a/2; END');
  const texts = [
    "SELECT COLUMN_DEFAULT AS t FROM information_schema.COLUMNS WHERE TABLE_NAME = 'halves' AND COLUMN_NAME = 'b'",
    "SELECT VIEW_DEFINITION AS t FROM information_schema.VIEWS WHERE TABLE_NAME = 'halved'",
    "SELECT ACTION_STATEMENT AS t FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 'halve'",
  ];
  for (const sql of texts) {
    const [rows] = await c.query(sql);
    const t = String((rows as { t: unknown }[])[0]?.t);
    expect(t, sql).toMatch(/(10|a)\/[24]/);
    expect(t, sql).not.toContain('1e0');
  }
  const [described] = await c.query('DESCRIBE halves');
  expect((described as { Default: unknown }[])[1]?.Default).toBe('10/4');
});

it('answers an information_schema table it does not have with 1146, as a missing table', async () => {
  expect(await answer(both.ours(), 'SELECT * FROM information_schema.no_such_table')).toBe('ERR 1146');
});

it('answers prepared statements over information_schema, as ORMs send them', async () => {
  const sql =
    'SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION';
  const [theirs] = await both.server().execute({ sql, rowsAsArray: true }, ['posts']);
  const [mine] = await both.ours().execute({ sql, rowsAsArray: true }, ['posts']);
  expect(mine).toEqual(theirs);
  expect(mine).toHaveLength(4);
});
