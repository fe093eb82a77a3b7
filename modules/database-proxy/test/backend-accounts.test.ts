/**
 * Each backend logs in with its own service account (`backends[].user` / `password`): two
 * MariaDBs whose accounts differ — each exists on its own server only — with one connection
 * each, so two clients in transactions sit one on each server. A proxy user with a
 * `backend_user` of its own logs in as that on both.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { APP_USER, createBackendUser } from './support/proxy-fixture.js';
import { startTwoServerProxy, type TwoServerProxy } from './support/two-servers.js';

const ACCOUNTS: [{ name: string; password: string }, { name: string; password: string }] = [
  { name: 'svc_one', password: 'pw-one' },
  { name: 'svc_two', password: 'pw-two' },
];
const OWN = { name: 'tenant_own', password: 'pw-own' };

let both: TwoServerProxy;

beforeAll(async () => {
  both = await startTwoServerProxy((m) => createBackendUser(m, OWN), {
    accounts: ACCOUNTS,
    users: [
      { name: APP_USER.name, password: APP_USER.password, max_connections: 50 },
      {
        name: 'owner',
        password: 'secret2',
        max_connections: 50,
        backend_user: OWN.name,
        backend_password: OWN.password,
      },
    ],
  });
});

afterAll(async () => {
  await both?.stop();
});

/** Port of the server a client's transaction runs on, and the account it runs as there. */
async function whereAndWho(c: mysql.Connection): Promise<{ port: number; user: string }> {
  const [rows] = await c.query('SELECT @@port AS port, CURRENT_USER() AS user');
  return (rows as { port: number; user: string }[])[0]!;
}

/** Two clients, each holding one server's only connection in a transaction. */
async function onBothServers(options: mysql.ConnectionOptions): Promise<{ port: number; user: string }[]> {
  const x = await both.fx.connect({ database: undefined, ...options });
  const y = await both.fx.connect({ database: undefined, ...options });
  try {
    await x.query('BEGIN');
    const a = await whereAndWho(x);
    await y.query('BEGIN');
    const b = await whereAndWho(y);
    await Promise.all([x.query('COMMIT'), y.query('COMMIT')]);
    return [a, b].sort((p, q) => p.port - q.port);
  } finally {
    x.destroy();
    y.destroy();
  }
}

it("each server's connections log in as that server's own service account", async () => {
  const [db1, db2] = both.servers;
  const seen = await onBothServers({});
  expect(seen).toEqual(
    [
      { port: db1.port, user: `${ACCOUNTS[0].name}@%` },
      { port: db2.port, user: `${ACCOUNTS[1].name}@%` },
    ].sort((p, q) => p.port - q.port),
  );
});

it('a user with its own backend_user logs in as that on every server', async () => {
  const [db1, db2] = both.servers;
  const seen = await onBothServers({ user: 'owner', password: 'secret2' });
  expect(seen).toEqual(
    [
      { port: db1.port, user: `${OWN.name}@%` },
      { port: db2.port, user: `${OWN.name}@%` },
    ].sort((p, q) => p.port - q.port),
  );
});
