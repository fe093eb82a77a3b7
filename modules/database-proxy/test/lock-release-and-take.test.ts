/**
 * A text that ends locks and takes one of the same kind, in that order: `SELECT
 * RELEASE_ALL_LOCKS(), GET_LOCK('job', 0)`, `UNLOCK TABLES; LOCK TABLES t WRITE`. The proxy
 * once ended the pin for it whatever the order, so the lock stayed on a pooled connection with
 * nobody pinned to it: another client there got the named lock as its own (GET_LOCK 1,
 * RELEASE_ALL_LOCKS freeing it), or ER 1100 for every table but the locked one, and the owner's
 * next statements ran elsewhere, waiting on its own lock (helper audit, N = 2).
 */
import { expect, it } from 'vitest';
import { backendOf, one } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const { fx, direct, clients } = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE TABLE lk (id INT PRIMARY KEY)');
    await d.query('CREATE TABLE lk_other (id INT PRIMARY KEY)');
  },
});

const pinned = () => fx().proxy.stats().pinnedNow;

it('RELEASE_ALL_LOCKS() then GET_LOCK() in one statement: the owner stays pinned, the lock is nobody else’s', async () => {
  const a = await clients.client();
  expect(await one(a, "SELECT RELEASE_ALL_LOCKS() AS r, GET_LOCK('job', 0) AS g")).toEqual({ r: 0, g: 1 });
  expect(pinned().advisory_lock).toBe(1);
  const mine = await backendOf(a);
  // Every other client, on whichever connection, finds the lock taken.
  for (let i = 0; i < 2 * POOL; i++) {
    const other = await clients.client();
    expect(await one(other, "SELECT GET_LOCK('job', 0) AS g, RELEASE_ALL_LOCKS() AS n")).toEqual({
      g: 0,
      n: 0,
    });
    await other.end();
    clients.forget(other);
  }
  expect(await backendOf(a)).toBe(mine);
  // Its own to free, and only RELEASE_ALL_LOCKS() (or leaving) ends the pin.
  expect(await one(a, 'SELECT RELEASE_ALL_LOCKS() AS n')).toEqual({ n: 1 });
  expect(pinned().advisory_lock ?? 0).toBe(0);
});

it('UNLOCK TABLES; LOCK TABLES … WRITE in one text: the owner stays pinned and writes; others read other tables', async () => {
  const a = await clients.client({ multipleStatements: true });
  await a.query('UNLOCK TABLES; LOCK TABLES lk WRITE');
  expect(pinned().table_lock).toBe(1);
  await a.query('INSERT INTO lk VALUES (1)');
  for (let i = 0; i < 2 * POOL; i++) {
    const other = await clients.client();
    expect(await one(other, 'SELECT COUNT(*) AS n FROM lk_other')).toEqual({ n: 0 });
    await other.end();
    clients.forget(other);
  }
  await a.query('UNLOCK TABLES');
  expect(pinned().table_lock ?? 0).toBe(0);
  expect(await one(direct(), 'SELECT COUNT(*) AS n FROM lk')).toEqual({ n: 1 });
});
