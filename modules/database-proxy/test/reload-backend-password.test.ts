/**
 * A reload (SIGHUP / kernel.reload) that rotates a user's `backend_password`: clients logged in
 * before it open their next backend connections with the new password too.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hold, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { fixtureConfig } from './support/qos-helpers.js';

const POOL = 2;
let fx: ProxyFixture;

const usersWith = (backendPassword: string) => [
  { name: 'app', password: 'secret', max_connections: 50 },
  {
    name: 'rot',
    password: 'rot',
    max_connections: 50,
    backend_user: 'rotacct',
    backend_password: backendPassword,
  },
];

beforeAll(async () => {
  const { startMariaDB } = await import('@scalestack/test-harness');
  const { createBackendUser } = await import('./support/proxy-fixture.js');
  const mariadb = await startMariaDB();
  await createBackendUser(mariadb);
  await mariadb.query("CREATE USER 'rotacct'@'%' IDENTIFIED BY 'old-pw'");
  await mariadb.query("GRANT ALL ON *.* TO 'rotacct'@'%'");
  fx = await startProxyFixture({
    pool: POOL,
    mariadb,
    createBackendUser: false,
    options: { users: usersWith('old-pw') },
  });
});
afterAll(async () => {
  const m = fx?.mariadb;
  await fx?.stop();
  await m?.stop();
});

async function killAccount(direct: mysql.Connection, user: string): Promise<void> {
  const [rows] = (await direct.query('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [
    user,
  ])) as [{ ID: number }[], unknown];
  for (const r of rows) await direct.query(`KILL ${r.ID}`).catch(() => {});
  await waitFor(() => fx.proxy.stats().pools[0]!.open <= 1, {
    what: "the proxy to notice rotacct's connections gone",
  });
}

it('a rotated backend_password reloaded: a client logged in before the reload opens new connections with it', async () => {
  const direct = await fx.direct();
  const before = await fx.connect({ user: 'rot', password: 'rot' });
  before.on('error', () => {});
  try {
    expect(await one(before, 'SELECT CURRENT_USER() AS u')).toEqual({ u: 'rotacct@%' });
    // The password is rotated at the server, and the proxy's configuration follows (SIGHUP).
    await direct.query("ALTER USER 'rotacct'@'%' IDENTIFIED BY 'new-pw'");
    await fx.kernel.reload({ config: fixtureConfig(fx, POOL, { users: usersWith('new-pw') }) });
    // The old connections go (a server restart, wait_timeout, max_lifetime…).
    await killAccount(direct, 'rotacct');

    const after = await fx.connect({ user: 'rot', password: 'rot' });
    expect(await one(after, 'SELECT 1 AS v')).toEqual({ v: 1 }); // opens one with new-pw
    // With that connection held by another client, the client from before the reload needs a
    // new one: it logs in with the reloaded password (before the fix: 9004, 1045 from the server).
    const holder = await hold(fx, { user: 'rot', password: 'rot' });
    try {
      expect(await one(before, 'SELECT CURRENT_USER() AS u')).toEqual({ u: 'rotacct@%' });
      expect(fx.proxy.stats().pools[0]!.open).toBe(2);
    } finally {
      await holder.release();
    }
    await after.end();
  } finally {
    before.destroy();
    await direct.end();
  }
});
