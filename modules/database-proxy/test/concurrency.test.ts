/**
 * Concentration under load: 2,000 concurrent mysql2 clients through a pool of N = 8. Every query
 * is answered correctly, and MariaDB never sees more than 8 connections from the proxy — checked
 * two ways: the service account is created WITH MAX_USER_CONNECTIONS 8 (a ninth login would be
 * refused by the server and surface as a failed query), and the process list is sampled.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { one, proxyConnectionsAtServer } from './support/backends.js';
import { BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const POOL = 8;
const CLIENTS = 2000;
/** Logins in flight at once: enough to overlap, fewer than the listen backlog. */
const CONNECT_BATCH = 100;
let mariadb: MariaDB;
let fx: ProxyFixture;
let direct: mysql.Connection;

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000 });
  await mariadb.query(
    `CREATE USER '${BACKEND_USER.name}'@'%' IDENTIFIED BY '${BACKEND_USER.password}' WITH MAX_USER_CONNECTIONS ${POOL}`,
  );
  fx = await startProxyFixture({ pool: POOL, mariadb });
  direct = await fx.direct();
  await direct.query('CREATE TABLE hits (k INT PRIMARY KEY)');
});

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
  await mariadb?.stop();
});

it(`${CLIENTS} concurrent clients on a pool of ${POOL}: every answer right, at most ${POOL} server connections`, async () => {
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) peak = Math.max(peak, await proxyConnectionsAtServer(direct));
  })();

  const clients = await inBatches(
    Array.from({ length: CLIENTS }, (_, k) => k),
    CONNECT_BATCH,
    async () => {
      const c = await fx.connect();
      c.on('error', () => {});
      return c;
    },
  );
  expect(fx.proxy.stats().clients).toHaveLength(CLIENTS);

  try {
    // Everyone at once: three statements each, and every 20th client a small transaction.
    const answers = await Promise.all(
      clients.map(async (c, k) => {
        const got: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const [r] = await c.query('SELECT ? AS k, ? AS i, CONCAT(?, ?) AS s', [k, i, `c${k}`, `/${i}`]);
          got.push((r as mysql.RowDataPacket[])[0]);
        }
        if (k % 20 === 0) {
          await c.query('START TRANSACTION');
          await c.query('INSERT INTO hits VALUES (?)', [k]);
          const mine = await one(c, 'SELECT COUNT(*) AS n FROM hits WHERE k = ?', [k]);
          await c.query('COMMIT');
          got.push(Number(mine.n));
        }
        return got;
      }),
    );
    answers.forEach((got, k) => {
      const expected: unknown[] = [0, 1, 2].map((i) => ({ k, i, s: `c${k}/${i}` }));
      if (k % 20 === 0) expected.push(1);
      expect(got).toEqual(expected);
    });
  } finally {
    sampling = false;
    await sampler;
  }

  expect(Number((await one(direct, 'SELECT COUNT(*) AS n FROM hits')).n)).toBe(CLIENTS / 20);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThanOrEqual(POOL);
  expect(fx.proxy.stats().pools[0]!.open).toBeLessThanOrEqual(POOL);
  expect(fx.proxy.stats().counters.queueTimeouts).toBe(0);

  await inBatches(clients, CONNECT_BATCH, (c) => c.end());
  await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'every client to leave the proxy' });
}, 120_000);
