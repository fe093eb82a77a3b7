/**
 * SELECTs that read like pure reads but call a stored function that writes must never be
 * stacked, moved or run again: `against(…)` (a keyword only after MATCH), a stored function
 * qualified with white space or a comment around the dot, a writing view named with a comment
 * in its qualified name, a call with white space before its parenthesis from a client without
 * IGNORE_SPACE, a view named by a client writing another character set than UTF-8. Each is
 * checked the way a pure read would run twice — stacked behind a read waiting for a lock and
 * moved after pipeline_stall, or replayed for SHOW WARNINGS / FOUND_ROWS() — and MariaDB's log
 * of writes must say once.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { one, type Row } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 10;
const BLOCKED = 'SELECT COUNT(*) AS n FROM locked_t';

let fx: ProxyFixture;
let admin: mysql.Connection;
let mariadb: MariaDB;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000 });
  admin = await mysql.createConnection({
    host: '127.0.0.1',
    port: mariadb.port,
    user: mariadb.user,
    password: mariadb.password,
    database: 'test',
  });
  await admin.query('CREATE TABLE locked_t (id INT PRIMARY KEY)');
  await admin.query('INSERT INTO locked_t VALUES (1), (2), (3)');
  await admin.query('CREATE TABLE writes_log (id INT AUTO_INCREMENT PRIMARY KEY)');
  // AGAINST is a keyword of MATCH … AGAINST, but not reserved: MariaDB calls a stored function
  // of that name for `against(…)`.
  await admin.query(
    'CREATE FUNCTION `against` (x INT) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN x + 100; END',
  );
  // A stored function named like a built-in must be called qualified; MariaDB also reads
  // `test . concat(…)` (spaces or a comment around the dot) as test.concat.
  await admin.query(
    'CREATE FUNCTION test.`concat` (x INT) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN x + 200; END',
  );
  await admin.query(
    'CREATE FUNCTION log_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 7; END',
  );
  // A stored function named like an aggregate: MariaDB calls it for `sum/**/(…)` — a comment
  // between a name and its parenthesis makes the name an ordinary identifier.
  await admin.query(
    'CREATE FUNCTION test.`sum` (x INT) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN x + 300; END',
  );
  await admin.query(
    'CREATE FUNCTION test.`now` () RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 400; END',
  );
  // Writing views whose names are not ASCII (the catalog has them in UTF-8), for clients that
  // write them in latin1, cp1251 and latin2.
  for (const name of ['v\u00e9', '\u0432\u0438\u0434', 'v\u017e'])
    await admin.query(`CREATE VIEW test.\`${name}\` AS SELECT test.log_write() AS n`);
  await admin.query('CREATE DATABASE other');
  // Known to the proxy from its first check of the views, at start.
  await admin.query('CREATE VIEW test.writing_v AS SELECT test.log_write() AS n');
  fx = await startProxyFixture({
    mariadb,
    pool: POOL,
    options: { pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '200ms' },
  });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await admin?.end();
  await fx?.stop();
  await mariadb?.stop();
});

async function waitingForLock(): Promise<number[]> {
  const [r] = await admin.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO LIKE 'SELECT COUNT(*) AS n FROM %locked_t' AND STATE LIKE '%lock%'",
  );
  return (r as Row[]).map((x) => Number(x.id));
}

async function blockedRead(database = 'test') {
  const locker = await clients.client();
  await locker.query('LOCK TABLES locked_t WRITE');
  const reader = await clients.client({ database });
  const read = watch(
    one(reader, database === 'test' ? BLOCKED : BLOCKED.replace('locked_t', 'test.locked_t')),
  );
  await waitFor(async () => (await waitingForLock()).length === 1, { what: 'the read to wait for the lock' });
  return { read, unlock: () => locker.query('UNLOCK TABLES') };
}

async function logCount(): Promise<number> {
  return Number((await one(admin, 'SELECT COUNT(*) AS n FROM test.writes_log')).n);
}

/**
 * Runs `sql` (answering `answer`) from a client in `database` while a read waits for a table
 * lock on a shared connection — where a pure read would be stacked, then moved after
 * pipeline_stall — and returns how often the server ran its write.
 */
async function writesBehindStalledRead(sql: string, answer: Row, database = 'test'): Promise<number> {
  await admin.query('TRUNCATE writes_log');
  const c = await clients.client({ database });
  const blocked = await blockedRead(database);
  expect(await one(c, sql)).toEqual(answer);
  await blocked.unlock();
  expect(await blocked.read.promise).toEqual({ n: 3 });
  await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
  return logCount();
}

/**
 * Runs `sql` from a client with `options`, then `asking` (which asks about it: a pure read would
 * be replayed first); the writes after each.
 */
async function writesBeforeAndAfterAsking(
  sql: string,
  answer: Row,
  asking: string,
  options: mysql.ConnectionOptions = {},
): Promise<number[]> {
  await admin.query('TRUNCATE writes_log');
  const c = await clients.client(options);
  expect(await one(c, sql)).toEqual(answer);
  const first = await logCount();
  await c.query(asking);
  return [first, await logCount()];
}

/** `--` then DEL starts a comment at MariaDB (a control character); the rest of the line is not code. */
const DEL_COMMENT = '--\x7f';

describe('a SELECT calling a writing stored function runs once', () => {
  it.each([
    ['SELECT against(1) AS n', { n: 101 }],
    ['SELECT test . concat(1) AS n', { n: 201 }],
    ['SELECT n FROM test/**/.writing_v', { n: 7 }],
    ['SELECT sum/**/(1) AS n', { n: 301 }],
    ['SELECT sum#\n(1) AS n', { n: 301 }],
    [`SELECT 1 AS a ${DEL_COMMENT} '\n, log_write() AS n #'`, { a: 1, n: 7 }],
    [`SELECT test.${DEL_COMMENT}\nconcat(1) AS n`, { n: 201 }],
  ])('MariaDB runs the write of %j once', async (sql, answer) => {
    await admin.query('TRUNCATE writes_log');
    expect(await one(admin, sql)).toEqual(answer);
    expect(await logCount()).toBe(1);
  });

  it.each([
    ['SELECT against(1) AS n', 'test', { n: 101 }],
    ['SELECT test . concat(1) AS n', 'test', { n: 201 }],
    ['SELECT n FROM test/**/.writing_v', 'other', { n: 7 }],
    ['SELECT n FROM test.writing_v', 'other', { n: 7 }],
    ['SELECT sum/**/(1) AS n', 'test', { n: 301 }],
    [`SELECT 1 AS a ${DEL_COMMENT} '\n, log_write() AS n #'`, 'test', { a: 1, n: 7 }],
    [`SELECT test.${DEL_COMMENT}\nconcat(1) AS n`, 'test', { n: 201 }],
    [`SELECT n FROM test.${DEL_COMMENT}\nwriting_v`, 'other', { n: 7 }],
    // A quote inside a string literal must not open a quoted name that swallows the view's.
    [`SELECT REPLACE(n, '"', '') AS n FROM writing_v WHERE n <> '"'`, 'test', { n: '7' }],
    ["SELECT '`' AS q, n FROM writing_v WHERE 'a' <> '`'", 'test', { q: '`', n: 7 }],
  ])('%j from a client in %s, behind a stalled read, writes once', async (sql, database, answer) => {
    if (sql.includes('writing_v')) expect(fx.proxy.stats().pipeline.impureViews).toBe(4);
    expect(await writesBehindStalledRead(sql, answer, database)).toBe(1);
  });

  it.each([
    ['SELECT test./**/concat(1) AS n', 'SHOW WARNINGS', { n: 201 }],
    ['SELECT against(1) AS n', 'SELECT FOUND_ROWS() AS f', { n: 101 }],
    ['SELECT sum/**/(1) AS n', 'SHOW WARNINGS', { n: 301 }],
    [`SELECT 1 AS a ${DEL_COMMENT} '\n, log_write() AS n #'`, 'SHOW WARNINGS', { a: 1, n: 7 }],
  ])('%j then %s: not replayed, it writes once', async (sql, asking, answer) => {
    expect(await writesBeforeAndAfterAsking(sql, answer, asking)).toEqual([1, 1]);
  });
});

/** Clients that do not send IGNORE_SPACE (the mariadb CLI, Connector/J): `sum (1)` is a stored function's. */
const NO_IGNORE_SPACE: mysql.ConnectionOptions = { flags: ['-IGNORE_SPACE'] };

describe('from clients without IGNORE_SPACE, or writing another character set than UTF-8', () => {
  // The catalog names the views in UTF-8; these clients name them in one byte a letter.
  const cases: [string, mysql.ConnectionOptions, Row][] = [
    ['SELECT sum (1) AS n', NO_IGNORE_SPACE, { n: 301 }],
    ['SELECT now () AS n', NO_IGNORE_SPACE, { n: 400 }],
    ['SELECT n FROM v\u00e9', { charset: 'LATIN1_SWEDISH_CI' }, { n: 7 }],
    ['SELECT n FROM \u0432\u0438\u0434', { charset: 'CP1251_GENERAL_CI' }, { n: 7 }],
    ['SELECT n FROM v\u017e', { charset: 'LATIN2_GENERAL_CI' }, { n: 7 }],
  ];

  it.each(cases)('MariaDB runs the write of %j once for a client with %j', async (sql, options, answer) => {
    await admin.query('TRUNCATE writes_log');
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: mariadb.port,
      user: mariadb.user,
      password: mariadb.password,
      database: 'test',
      ...options,
    });
    try {
      expect(await one(c, sql)).toEqual(answer);
    } finally {
      await c.end();
    }
    expect(await logCount()).toBe(1);
  });

  it.each(cases)(
    '%j then SHOW WARNINGS from a client with %j: not replayed, it writes once',
    async (sql, options, answer) => {
      expect(await writesBeforeAndAfterAsking(sql, answer, 'SHOW WARNINGS', options)).toEqual([1, 1]);
    },
  );
});
