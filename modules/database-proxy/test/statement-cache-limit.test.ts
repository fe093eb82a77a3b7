import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseProxy } from '../src/database-proxy.js';
import { startRelayedProxy } from './support/backend-relay.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let mariadb: MariaDB;
let fx: ProxyFixture;

beforeAll(async () => {
  mariadb = await startMariaDB({ maxPreparedStmtCount: 100 });
  fx = await startProxyFixture({ pool: 2, mariadb });
});

afterAll(async () => {
  await fx?.stop();
  await mariadb?.stop();
});

it("keeps the statement caches of all backend connections under the server's max_prepared_stmt_count", async () => {
  // 2 connections × the default 64 would exceed 100: 90 % of it is shared out, 45 each.
  expect((fx.proxy as DatabaseProxy).statementCacheSize).toBe(45);
  const c = await fx.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const [rows] = await c.execute(`SELECT ? + ${i} AS v`, [1]);
      expect(rows).toEqual([{ v: 1 + i }]);
      c.unprepare(`SELECT ? + ${i} AS v`);
    }
    const status = await mariadb.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'");
    expect(Number(status[0].Value)).toBeLessThanOrEqual(90);
  } finally {
    await c.end();
  }
});

it('fits the caches to a server first reached after the proxy started, and greets with its version from then on', async () => {
  const { fx: late, relay } = await startRelayedProxy(
    mariadb,
    2,
    { server_failure_limit: 1000 },
    { refuse: true },
  );
  try {
    const proxy = late.proxy as DatabaseProxy;
    expect(proxy.statementCacheSize).toBe(64);
    expect(proxy.serverVersion).not.toMatch(/MariaDB/);
    const early = await late.connect();
    relay.refuse = false;
    // This statement's connection is the server's first: the probe on it learns the limit.
    const [rows] = await early.execute('SELECT ? + 1 AS v', [1]);
    expect(rows).toEqual([{ v: 2 }]);
    expect(proxy.statementCacheSize).toBe(45);
    // What new clients are greeted with.
    expect(proxy.serverVersion).toMatch(/MariaDB/);
    await early.end();
  } finally {
    await late.stop();
    await relay.stop();
  }
});

it('a client that never closes its prepared statements is stopped at max_prepared_statements with ERR 1461, as a server would stop it', async () => {
  const capped = await startProxyFixture({ pool: 2, mariadb, options: { max_prepared_statements: 5 } });
  try {
    const c = await capped.connect();
    const texts = Array.from({ length: 6 }, (_, i) => `SELECT ? + ${i} AS v`);
    // The backends' caches evict: the server never sees more than its limit, so only the proxy's
    // own count can stop this client.
    const open = [];
    for (const sql of texts.slice(0, 5)) open.push(await c.prepare(sql));
    const err = await c.prepare(texts[5]!).then(
      () => undefined,
      (e: { errno?: number; sqlState?: string; message: string }) => e,
    );
    expect(err?.errno).toBe(1461);
    expect(err?.sqlState).toBe('42000');
    expect(err?.message).toMatch(/max_prepared_statements.*5/);
    // The connection goes on: its statements run, and closing one makes room for another.
    const [rows] = await open[4]!.execute([1]);
    expect(rows).toEqual([{ v: 5 }]);
    open[0]!.close();
    const again = await c.prepare(texts[5]!);
    expect((await again.execute([1]))[0]).toEqual([{ v: 6 }]);
    await c.end();
  } finally {
    await capped.stop();
  }
});

it('an execute whose backend is lost while the statement is prepared there again is retried: nothing of it was sent', async () => {
  await mariadb.query('CREATE TABLE IF NOT EXISTS reprep (id INT PRIMARY KEY, n INT NOT NULL)');
  await mariadb.query('INSERT INTO reprep VALUES (1, 0) ON DUPLICATE KEY UPDATE n = 0');
  // One connection caching one statement: preparing a second evicts the first, so executing
  // the first prepares it again — and the relay cuts the connection on that prepare.
  const { fx: single, relay } = await startRelayedProxy(mariadb, 1, { statement_cache_size: 1 });
  try {
    const c = await single.connect();
    const sql = 'UPDATE reprep SET n = n + ? WHERE id = 1';
    const bump = await c.prepare(sql);
    await c.prepare('SELECT ? * 3 AS tripled');
    const retriesBefore = single.proxy.stats().counters.retries;
    relay.cutWhen = (chunk) => chunk[4] === 0x16 && chunk.includes(Buffer.from(sql));
    const [header] = (await bump.execute([5])) as unknown as [{ affectedRows: number }];
    expect(header.affectedRows).toBe(1);
    expect(relay.cuts).toBe(1);
    expect(single.proxy.stats().counters.retries).toBe(retriesBefore + 1);
    // Once, not twice.
    expect((await mariadb.query('SELECT n FROM reprep WHERE id = 1'))[0].n).toBe(5);
    await c.end();
  } finally {
    await single.stop();
    await relay.stop();
  }
});
