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
