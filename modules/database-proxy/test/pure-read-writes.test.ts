/**
 * SELECTs that read like pure reads but call a stored function that writes must never be
 * stacked, moved or run again: `against(…)` (a keyword only after MATCH), a stored function
 * qualified with white space or a comment around the dot, a writing view named with a comment
 * in its qualified name. Each is checked the way a pure read would run twice — stacked behind a
 * read waiting for a lock and moved after pipeline_stall, or replayed for SHOW WARNINGS /
 * FOUND_ROWS() — and MariaDB's log of writes must say once.
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

describe('a SELECT calling a writing stored function runs once', () => {
  it('MariaDB calls the stored function test.against for `SELECT against(1)`', async () => {
    await admin.query('TRUNCATE writes_log');
    expect(await one(admin, 'SELECT against(1) AS n')).toEqual({ n: 101 });
    expect(await logCount()).toBe(1);
  });

  it('`SELECT against(1)` behind a stalled read is not stacked: it writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client();
    const blocked = await blockedRead();
    const before = fx.proxy.stats().pipeline;
    expect(await one(c, 'SELECT against(1) AS n')).toEqual({ n: 101 });
    const after = fx.proxy.stats().pipeline;
    await blocked.unlock();
    expect(await blocked.read.promise).toEqual({ n: 3 });
    await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
    expect(
      await logCount(),
      `stacked +${after.stacked - before.stacked}, diverted +${after.diverted - before.diverted}`,
    ).toBe(1);
  });

  it('a writing view named `test/**/.writing_v` from another schema, behind a stalled read, writes once', async () => {
    expect(fx.proxy.stats().pipeline.impureViews).toBe(1);
    await admin.query('TRUNCATE writes_log');
    expect(await one(admin, 'SELECT n FROM test/**/.writing_v')).toEqual({ n: 7 });
    expect(await logCount()).toBe(1);
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client({ database: 'other' });
    const blocked = await blockedRead('other');
    const before = fx.proxy.stats().pipeline;
    expect(await one(c, 'SELECT n FROM test/**/.writing_v')).toEqual({ n: 7 });
    const after = fx.proxy.stats().pipeline;
    await blocked.unlock();
    expect(await blocked.read.promise).toEqual({ n: 3 });
    await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
    expect(
      await logCount(),
      `stacked +${after.stacked - before.stacked}, diverted +${after.diverted - before.diverted}`,
    ).toBe(1);
  });

  it('a writing view named `test.writing_v` from another schema, behind a stalled read, writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client({ database: 'other' });
    const blocked = await blockedRead('other');
    expect(await one(c, 'SELECT n FROM test.writing_v')).toEqual({ n: 7 });
    await blocked.unlock();
    expect(await blocked.read.promise).toEqual({ n: 3 });
    await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
    expect(await logCount()).toBe(1);
  });

  it('MariaDB calls the stored function test.concat for `SELECT test . concat(1)`', async () => {
    await admin.query('TRUNCATE writes_log');
    expect(await one(admin, 'SELECT test . concat(1) AS n')).toEqual({ n: 201 });
    expect(await logCount()).toBe(1);
  });

  it('`SELECT test . concat(1)` behind a stalled read is not stacked: it writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client();
    const blocked = await blockedRead();
    const before = fx.proxy.stats().pipeline;
    expect(await one(c, 'SELECT test . concat(1) AS n')).toEqual({ n: 201 });
    const after = fx.proxy.stats().pipeline;
    await blocked.unlock();
    expect(await blocked.read.promise).toEqual({ n: 3 });
    await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
    expect(
      await logCount(),
      `stacked +${after.stacked - before.stacked}, diverted +${after.diverted - before.diverted}`,
    ).toBe(1);
  });

  it('`SELECT test./**/concat(1)` then SHOW WARNINGS: no replay, it writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client();
    expect(await one(c, 'SELECT test./**/concat(1) AS n')).toEqual({ n: 201 });
    expect(await logCount()).toBe(1);
    const replays = fx.proxy.stats().counters.replays;
    await c.query('SHOW WARNINGS');
    expect(await logCount(), `replays +${fx.proxy.stats().counters.replays - replays}`).toBe(1);
  });

  it('`SELECT against(1)` then SELECT FOUND_ROWS(): no replay, it writes once', async () => {
    await admin.query('TRUNCATE writes_log');
    const c = await clients.client();
    expect(await one(c, 'SELECT against(1) AS n')).toEqual({ n: 101 });
    expect(await logCount()).toBe(1);
    const replays = fx.proxy.stats().counters.replays;
    expect(await one(c, 'SELECT FOUND_ROWS() AS f')).toEqual({ f: 1 });
    expect(await logCount(), `replays +${fx.proxy.stats().counters.replays - replays}`).toBe(1);
  });
});
