import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { answer, sameAnswer, sameOnBoth, sideBySide } from './support/against-mariadb.js';

// ENUM columns, compared with a live MariaDB 10.11 (SQLite's type grammar refused them: 1064).

const both = sideBySide();

/** Runs `sql` on both and expects the same answer (rows, affected count or error). */
const onBoth = (sql: string): Promise<unknown> => sameAnswer(both, sql);

/** The error (code and message) `sql` fails with on `c`. */
async function failure(c: mysql.Connection, sql: string): Promise<{ errno?: number; message: string }> {
  const err = (await c.query(sql).catch((e) => e)) as { errno?: number; message: string };
  return { errno: err.errno, message: err.message };
}

/** Field, Type, Null of the enums DESCRIBE lists (an int's Type and the quoting of a default differ anyway). */
async function described(c: mysql.Connection, sql: string): Promise<unknown[][]> {
  return ((await answer(c, sql)) as { rows: unknown[][] }).rows
    .filter((r) => String(r[1]).startsWith('enum'))
    .map((r) => r.slice(0, 3));
}

it('CREATE TABLE takes ENUM columns with NULL / NOT NULL, DEFAULT, CHARACTER SET, COLLATE and quoted members', async () => {
  await onBoth(
    `CREATE TABLE en (
      id INT PRIMARY KEY,
      status ENUM('new','active','it''s') NOT NULL DEFAULT 'new',
      kind ENUM('point', 'Line') CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL,
      flag enum('0','1') DEFAULT NULL
    )`,
  );
  for (const sql of ['DESCRIBE en', "SHOW COLUMNS FROM en LIKE 'kind'"])
    expect(await described(both.ours(), sql)).toEqual(await described(both.server(), sql));
  await sameOnBoth(
    both,
    `SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, IS_NULLABLE
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'en' AND DATA_TYPE = 'enum'`,
  );
  // SHOW CREATE TABLE writes the enum columns as MariaDB does (`int` is not `int(11)` here).
  const [[shown]] = (await both.ours().query('SHOW CREATE TABLE en')) as unknown as [
    [{ 'Create Table': string }],
  ];
  expect(shown['Create Table']).toContain("`status` enum('new','active','it''s') NOT NULL DEFAULT 'new',\n");
  expect(shown['Create Table']).toContain("`kind` enum('point','Line') DEFAULT NULL,\n");
  expect(shown['Create Table']).not.toContain('__enum_member');
  // …and makes the same table again (a dump's reload).
  await both.ours().query(shown['Create Table'].replace('CREATE TABLE `en`', 'CREATE TABLE `en_again`'));
  const [again] = await both.ours().query('SHOW CREATE TABLE en_again');
  expect((again as { 'Create Table': string }[])[0]!['Create Table']).toBe(
    shown['Create Table'].replace('CREATE TABLE `en`', 'CREATE TABLE `en_again`'),
  );
});

it('INSERT / UPDATE store a member (any case) as declared, refuse others with 1265, and SELECT reads the member', async () => {
  await onBoth(
    "CREATE TABLE ei (id INT PRIMARY KEY, c ENUM('small','Medium','big') NULL, d ENUM('x','y') NOT NULL)",
  );
  await onBoth("INSERT INTO ei VALUES (1, 'small', 'x'), (2, 'MEDIUM', 'Y'), (3, NULL, 'y')");
  await sameOnBoth(both, 'SELECT id, c, d FROM ei');
  await sameOnBoth(both, "SELECT id FROM ei WHERE c = 'medium'");
  await sameOnBoth(both, "SELECT id FROM ei WHERE c IN ('Small', 'big')");
  expect(await onBoth("INSERT INTO ei VALUES (4, 'huge', 'x')")).toBe('ERR 1265');
  expect(await onBoth("INSERT INTO ei VALUES (4, '', 'x')")).toBe('ERR 1265');
  expect(await onBoth("UPDATE ei SET d = 'z' WHERE id = 1")).toBe('ERR 1265');
  expect(await failure(both.ours(), "INSERT INTO ei VALUES (4, 'huge', 'x')")).toEqual(
    await failure(both.server(), "INSERT INTO ei VALUES (4, 'huge', 'x')"),
  );
  await onBoth("UPDATE ei SET c = 'BIG' WHERE id = 3");
  expect(await onBoth('INSERT INTO ei (id, c, d) VALUES (5, NULL, NULL)')).toBe('ERR 1048');
  await sameOnBoth(both, 'SELECT id, c, d FROM ei');
});

it('a NOT NULL ENUM left out of an INSERT takes what MariaDB gives it', async () => {
  await onBoth("CREATE TABLE eo (id INT, c ENUM('first','second') NOT NULL, d ENUM('a','b'))");
  await onBoth('INSERT INTO eo (id) VALUES (1)');
  await sameOnBoth(both, 'SELECT id, c, d FROM eo');
});

it('result metadata of an ENUM column is MariaDB’s: a STRING with the ENUM flag', async () => {
  await onBoth("CREATE TABLE em (c ENUM('a','bbb'))");
  await onBoth("INSERT INTO em VALUES ('a')");
  const fields = async (c: mysql.Connection) => {
    const [, f] = (await c.query('SELECT c FROM em')) as [unknown, mysql.FieldPacket[]];
    return f.map((x) => ({ type: x.columnType, flags: x.flags, length: x.columnLength }));
  };
  expect(await fields(both.ours())).toEqual(await fields(both.server()));
});

it('ALTER TABLE ADD COLUMN takes an ENUM column', async () => {
  await onBoth('CREATE TABLE ea (id INT)');
  await onBoth('INSERT INTO ea VALUES (1)');
  await onBoth("ALTER TABLE ea ADD COLUMN c ENUM('on','off') DEFAULT 'off'");
  await sameOnBoth(both, 'SELECT id, c FROM ea');
  expect(await onBoth("INSERT INTO ea VALUES (2, 'maybe')")).toBe('ERR 1265');
  expect(await described(both.ours(), 'DESCRIBE ea')).toEqual(await described(both.server(), 'DESCRIBE ea'));
});
it('ALTER TABLE … RENAME COLUMN keeps the enum; MODIFY / CHANGE of one into another type is refused (1235), not half done', async () => {
  await onBoth("CREATE TABLE er (id INT, c ENUM('a','b') NOT NULL)");
  await onBoth('ALTER TABLE er RENAME COLUMN c TO d');
  expect(await onBoth("INSERT INTO er VALUES (1, 'q')")).toBe('ERR 1265');
  await onBoth("INSERT INTO er VALUES (1, 'B')");
  await sameOnBoth(both, 'SELECT id, d FROM er');
  expect(await answer(both.ours(), 'ALTER TABLE er MODIFY d VARCHAR(5)')).toBe('ERR 1235');
  // Into another ENUM it is taken (orm-statements.test.ts), the CHECK naming the column as it is now.
  await onBoth("ALTER TABLE er MODIFY d ENUM('a','b','c') NOT NULL");
  expect(await onBoth("INSERT INTO er VALUES (2, 'q')")).toBe('ERR 1265');
  await onBoth("INSERT INTO er VALUES (2, 'c')");
  await sameOnBoth(both, 'SELECT id, d FROM er');
});

it('CREATE TABLE refuses a DEFAULT that is no member (1067) and members equal but for case (1291), as MariaDB', async () => {
  for (const sql of [
    "CREATE TABLE ed (c ENUM('a','b') DEFAULT 'z')",
    "CREATE TABLE ed (c ENUM('a','b') NOT NULL DEFAULT '')",
    "CREATE TABLE ed (c ENUM('a','B','b'))",
  ])
    expect({ sql, error: await failure(both.ours(), sql) }).toEqual({
      sql,
      error: await failure(both.server(), sql),
    });
  await onBoth("CREATE TABLE ed (c ENUM('a','b') DEFAULT 'B')");
  await onBoth('INSERT INTO ed VALUES ()');
  await sameOnBoth(both, 'SELECT c FROM ed');
});

it('prepared statements bind and read enums alike, and a UNIQUE enum ignores case, as MariaDB', async () => {
  await onBoth("CREATE TABLE eps (id INT, c ENUM('low','High') NOT NULL, UNIQUE KEY (c))");
  const run = async (c: mysql.Connection) => {
    await c.execute('INSERT INTO eps VALUES (?, ?)', [1, 'LOW']);
    const refused = await c.execute('INSERT INTO eps VALUES (?, ?)', [2, 'mid']).catch((e) => e.errno);
    const duplicate = await c.execute('INSERT INTO eps VALUES (?, ?)', [3, 'Low']).catch((e) => e.errno);
    const [rows] = await c.execute('SELECT id, c FROM eps WHERE c = ?', ['low']);
    return { refused, duplicate, rows };
  };
  expect(await run(both.ours())).toEqual(await run(both.server()));
});
