/**
 * XA branches through the proxy. A branch its client PREPAREd outlives the client at MariaDB
 * (10.5 on): another session finds it in XA RECOVER and commits or rolls it back. The proxy once
 * reset the connection of a client that left with one (COM_RESET_CONNECTION) and gave it to the
 * next client: the branch was gone from XA RECOVER, an XA COMMIT of it answered OK and wrote
 * nothing, the connection answered ER 1031 to every InnoDB statement after, and the branch's
 * locks stayed until the server restarted. A connection with XA state now closes with its client.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { backendOf, one, rows } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const { fx, direct, clients } = proxyTestFile({ pool: POOL });

/**
 * What a client leaving after XA PREPARE leaves for the next ones, at `connect` (MariaDB or the
 * proxy); `serverId` names the server session the client's branch is on.
 */
async function preparedThenGone(
  connect: () => Promise<mysql.Connection>,
  serverId: (c: mysql.Connection) => Promise<number>,
  table: string,
  xid: string,
) {
  await direct().query(`CREATE TABLE ${table} (id INT PRIMARY KEY)`);
  const a = await connect();
  for (const sql of [
    `XA START '${xid}'`,
    `INSERT INTO ${table} VALUES (1)`,
    `XA END '${xid}'`,
    `XA PREPARE '${xid}'`,
  ])
    await a.query(sql);
  const id = await serverId(a);
  await a.end();
  // The branch is another session's to commit once its own session is gone at the server.
  await waitFor(
    async () =>
      (await rows(direct(), 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 0,
    { what: `server session ${id} to end with its client` },
  );
  const b = await connect();
  const recovered = (await rows(b, 'XA RECOVER')).map((r) => String(r.data));
  await b.query(`XA COMMIT '${xid}'`);
  const written = await rows(b, `SELECT id FROM ${table}`);
  await b.end();
  // Every connection the next clients get still works.
  const after: unknown[] = [];
  const others = await Promise.all(Array.from({ length: 2 * POOL }, () => connect()));
  for (const [i, c] of others.entries())
    after.push(await one(c, `SELECT COUNT(*) + ${i} AS n FROM ${table}`));
  await Promise.all(others.map((c) => c.end()));
  return { recovered, written, after, pending: (await rows(direct(), 'XA RECOVER')).length };
}

it('a branch prepared by a client that left is recoverable and committed by another, and every connection goes on, as at MariaDB', async () => {
  const expected = await preparedThenGone(
    () => fx().direct(),
    async (c) => c.threadId!,
    'xa_direct',
    'xd1',
  );
  expect(expected).toEqual({
    recovered: ['xd1'],
    written: [{ id: 1 }],
    after: Array.from({ length: 2 * POOL }, (_, i) => ({ n: 1 + i })),
    pending: 0,
  });
  const seen = await preparedThenGone(() => clients.client(), backendOf, 'xa_proxy', 'xp1');
  expect(seen).toEqual({ ...expected, recovered: ['xp1'] });
});

it('a branch left active by a client that left is rolled back, its locks gone', async () => {
  await direct().query('CREATE TABLE xa_active (id INT PRIMARY KEY)');
  const a = await clients.client();
  await a.query("XA START 'xa_left'");
  await a.query('INSERT INTO xa_active VALUES (1)');
  await a.end();
  clients.forget(a);
  // The row lock is free again: a write of the same key goes through (not 1205).
  const b = await clients.client();
  await b.query('SET SESSION innodb_lock_wait_timeout = 5');
  await b.query('INSERT INTO xa_active VALUES (1)');
  expect(await rows(b, 'SELECT id FROM xa_active')).toEqual([{ id: 1 }]);
  expect(await rows(direct(), 'XA RECOVER')).toEqual([]);
});

it('a branch prepared before the client resets its session (COM_CHANGE_USER) stays recoverable, and the connection is not handed on', async () => {
  await direct().query('CREATE TABLE xa_reset (id INT PRIMARY KEY)');
  const a = await clients.client();
  for (const sql of ["XA START 'xr1'", 'INSERT INTO xa_reset VALUES (1)', "XA END 'xr1'", "XA PREPARE 'xr1'"])
    await a.query(sql);
  const id = await backendOf(a);
  await a.changeUser({ user: 'app', password: 'secret', database: 'test' });
  await waitFor(
    async () =>
      (await rows(direct(), 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 0,
    { what: `server session ${id} to end` },
  );
  expect((await rows(a, 'XA RECOVER')).map((r) => String(r.data))).toEqual(['xr1']);
  await a.query("XA COMMIT 'xr1'");
  const others = await Promise.all(Array.from({ length: 2 * POOL }, () => clients.client()));
  for (const c of others) expect(await one(c, 'SELECT COUNT(*) AS n FROM xa_reset')).toEqual({ n: 1 });
});

it('a branch committed, or rolled back, by its client ends the pin: the connection goes back to the pool, not closed', async () => {
  await direct().query('CREATE TABLE xa_done (id INT PRIMARY KEY)');
  const a = await clients.client();
  const id = await backendOf(a);
  for (const [xid, end] of [
    ['xd_c', "XA COMMIT 'xd_c'"],
    ['xd_r', "XA ROLLBACK 'xd_r'"],
    ['xd_1', "XA COMMIT 'xd_1' ONE PHASE"],
  ] as const) {
    await a.query(`XA START '${xid}'`);
    await a.query(`INSERT INTO xa_done VALUES (${xid.length + xid.charCodeAt(3)})`);
    await a.query(`XA END '${xid}'`);
    if (!end.endsWith('ONE PHASE')) await a.query(`XA PREPARE '${xid}'`);
    expect(fx().proxy.stats().pinnedNow.xa).toBe(1);
    await a.query(end);
    expect(fx().proxy.stats().pinnedNow.xa ?? 0).toBe(0);
  }
  // XA RECOVER alone pins nothing; a failed XA COMMIT of nothing neither.
  const r = await clients.client();
  await r.query('XA RECOVER');
  expect(fx().proxy.stats().pinnedNow.xa ?? 0).toBe(0);
  await r.query("XA COMMIT 'no_such_xid'").catch(() => undefined);
  expect(fx().proxy.stats().pinnedNow.xa ?? 0).toBe(0);
  await a.end();
  clients.forget(a);
  // Its server session goes on, back in the pool.
  await waitFor(() => fx().proxy.stats().clients.length === 1, { what: 'a to leave' });
  expect(
    await rows(direct(), 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [id]),
  ).toHaveLength(1);
  expect(await one(direct(), 'SELECT COUNT(*) AS n FROM xa_done')).toEqual({ n: 2 });
});
