import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseProxy } from '../src/database-proxy.js';
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
