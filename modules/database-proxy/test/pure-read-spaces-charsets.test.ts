/**
 * SELECTs MariaDB runs a write for that the proxy once took for pure reads (and so replayed for
 * SHOW WARNINGS, writing twice): white space between a built-in's name and its parenthesis from
 * a client without IGNORE_SPACE (`sum (1)` calls a stored function named sum), and a writing
 * view named in a client character set other than UTF-8 (cp1251, latin2). MariaDB counts the
 * writes; each case is also run against MariaDB directly.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

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
    charset: 'UTF8MB4_GENERAL_CI',
  });
  await admin.query('CREATE TABLE writes_log (id INT AUTO_INCREMENT PRIMARY KEY)');
  await admin.query(
    'CREATE FUNCTION log_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 7; END',
  );
  await admin.query(
    'CREATE FUNCTION test.`sum` (x INT) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN x + 300; END',
  );
  await admin.query(
    'CREATE FUNCTION test.`now` () RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 400; END',
  );
  // A writing view with a Cyrillic name (the catalog holds it in UTF-8).
  await admin.query('CREATE VIEW test.`\u0432\u0438\u0434` AS SELECT test.log_write() AS n');
  // A writing view with a latin2 name (ž).
  await admin.query('CREATE VIEW test.`v\u017e` AS SELECT test.log_write() AS n');
  fx = await startProxyFixture({ mariadb, pool: 4 });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await admin?.end();
  await fx?.stop();
  await mariadb?.stop();
});

async function logCount(): Promise<number> {
  return Number((await one(admin, 'SELECT COUNT(*) AS n FROM test.writes_log')).n);
}

/** Runs `sql` then SHOW WARNINGS (a pure read is replayed before it): writes after each. */
async function writesThroughProxy(
  sql: string,
  answer: Record<string, unknown>,
  options: mysql.ConnectionOptions = {},
): Promise<number[]> {
  await admin.query('TRUNCATE writes_log');
  const c = await clients.client(options);
  expect(await one(c, sql)).toEqual(answer);
  const first = await logCount();
  await c.query('SHOW WARNINGS');
  return [first, await logCount()];
}

const NO_IGNORE_SPACE: mysql.ConnectionOptions = { flags: ['-IGNORE_SPACE'] };

describe('a space between a built-in name and its parenthesis (no IGNORE_SPACE)', () => {
  it.each([
    ['SELECT sum (1) AS n', { n: 301 }],
    ['SELECT now () AS n', { n: 400 }],
  ])('MariaDB itself calls the stored function for %j', async (sql, answer) => {
    await admin.query('TRUNCATE writes_log');
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: mariadb.port,
      user: mariadb.user,
      password: mariadb.password,
      database: 'test',
      ...NO_IGNORE_SPACE,
    });
    try {
      expect(await one(c, sql)).toEqual(answer);
    } finally {
      await c.end();
    }
    expect(await logCount()).toBe(1);
  });

  it.each([
    ['SELECT sum (1) AS n', { n: 301 }],
    ['SELECT now () AS n', { n: 400 }],
  ])('%j then SHOW WARNINGS through the proxy: it writes once', async (sql, answer) => {
    expect(await writesThroughProxy(sql, answer, NO_IGNORE_SPACE)).toEqual([1, 1]);
  });
});

describe('a writing view named in a client character set other than UTF-8 or latin1', () => {
  it('MariaDB itself: a cp1251 client reading вид writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: mariadb.port,
      user: mariadb.user,
      password: mariadb.password,
      database: 'test',
      charset: 'CP1251_GENERAL_CI',
    });
    try {
      expect(await one(c, 'SELECT n FROM \u0432\u0438\u0434')).toEqual({ n: 7 });
    } finally {
      await c.end();
    }
    expect(await logCount()).toBe(1);
  });

  it('a cp1251 client reading the writing view вид, then SHOW WARNINGS: it writes once', async () => {
    expect(fx.proxy.stats().pipeline.impureViews).toBe(2);
    expect(
      await writesThroughProxy(
        'SELECT n FROM \u0432\u0438\u0434',
        { n: 7 },
        { charset: 'CP1251_GENERAL_CI' },
      ),
    ).toEqual([1, 1]);
  });

  it('a latin2 client reading the writing view vž, then SHOW WARNINGS: it writes once', async () => {
    expect(
      await writesThroughProxy('SELECT n FROM v\u017e', { n: 7 }, { charset: 'LATIN2_GENERAL_CI' }),
    ).toEqual([1, 1]);
  });
});
