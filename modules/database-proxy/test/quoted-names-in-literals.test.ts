/**
 * A quoted name followed by `(` is read as a call (`` `GET_LOCK`(…) `` is GET_LOCK to the server),
 * and the proxy tries every quote as a name's opener, those inside string literals too. Such
 * readings may only add pins: found by the Go / Connector/J audit, a literal with
 * `` `UNLOCK TABLES`( `` in it ended the LOCK TABLES pin, and other clients' INSERTs ran on the
 * connection that held the write lock; a literal with `"@a"(` pinned `user_variable` for the
 * session's life (a random binary value of a megabyte sent as escaped text does it by chance).
 */
import { expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;

const { fx, direct, clients } = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE DATABASE IF NOT EXISTS lits');
    await d.query('CREATE TABLE lits.lk (s VARCHAR(100))');
  },
});

it('an UNLOCK TABLES in a literal keeps the lock pinned: no other client writes through it', async () => {
  const locker = await clients.client({ database: 'lits' });
  await locker.query('LOCK TABLES lk WRITE');
  await locker.query("INSERT INTO lk VALUES ('docs: run `UNLOCK TABLES`(never) when done')");
  expect(fx().proxy.stats().pinnedNow.table_lock).toBe(1);
  const others = await Promise.all(Array.from({ length: 4 }, () => clients.client({ database: 'lits' })));
  // MariaDB's own wait for the table lock ends them: 1205 after a second each, as direct.
  const errors = await Promise.all(
    others.map(async (c) => {
      await c.query('SET SESSION lock_wait_timeout = 1');
      return (await failure(c.query("INSERT INTO lk VALUES ('another client')"))).errno;
    }),
  );
  expect(errors).toEqual([1205, 1205, 1205, 1205]);
  await locker.query('UNLOCK TABLES');
  expect(fx().proxy.stats().pinnedNow.table_lock).toBe(0);
  const { n } = await one(direct(), 'SELECT COUNT(*) AS n FROM lits.lk');
  expect(Number(n)).toBe(1);
  await direct().query('DELETE FROM lits.lk');
});

it('a quoted @name before ( in a literal pins nothing', async () => {
  const c = await clients.client({ database: 'lits' });
  await c.query(`INSERT INTO lk VALUES ('say "@a"(hi) and \`@b\`(there)')`);
  // (A write holds its connection a moment for its ROW_COUNT(): previous_result, not counted.)
  const { previous_result, ...lasting } = fx().proxy.stats().pinnedNow;
  expect(Object.values(lasting).reduce((a, b) => a + b, 0)).toBe(0);
  // As a real call by a quoted name still would: GET_LOCK pins, even from inside a literal.
  await c.query("INSERT INTO lk VALUES ('`GET_LOCK`(x)')");
  expect(fx().proxy.stats().pinnedNow.advisory_lock).toBe(1);
  await direct().query('DELETE FROM lits.lk');
});
