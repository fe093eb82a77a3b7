/**
 * KILL QUERY with two backend servers: the backend thread id a running statement has is an id
 * on *its* server; the KILL QUERY the proxy sends for it must go to that server.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_USER,
  BACKEND_USER,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

let a: MariaDB;
let b: MariaDB;
let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  [a, b] = await Promise.all([startMariaDB(), startMariaDB()]);
  await Promise.all([createBackendUser(a), createBackendUser(b)]);
  const backend = (name: string, m: MariaDB) => ({
    name,
    address: `127.0.0.1:${m.port}`,
    user: BACKEND_USER.name,
    password: BACKEND_USER.password,
    pool: 1,
  });
  // One connection per server: while the victim's statement holds its server's connection, any
  // other statement (the KILL QUERY) runs on the other server.
  fx = await startProxyFixture({
    mariadb: a,
    createBackendUser: false,
    options: {
      users: [{ name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 50 }],
      backends: [backend('db1', a), backend('db2', b)],
    },
  });
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await fx?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('KILL QUERY with more than one backend server', () => {
  it("goes to the server that runs the victim's statement", async () => {
    const victim = await clients.client({ database: undefined });
    const killer = await clients.client({ database: undefined });
    const sleeping = watch(
      victim.query('SELECT SLEEP(5) AS s').then(([rows]) => Number((rows as { s: number }[])[0]!.s)),
    );
    await waitFor(() => fx.proxy.stats().clients.find((c) => c.id === victim.threadId)?.state === 'active', {
      what: "the victim's SLEEP to run",
    });
    const kill = await killer.query(`KILL QUERY ${victim.threadId}`).then(
      () => 'ok',
      (e: { errno?: number; message?: string }) => `${e.errno}: ${e.message}`,
    );
    // Interrupted: SLEEP returns 1 (or the statement fails 1317), not 0 after 5 s.
    const outcome = await sleeping.promise.catch((e: { errno?: number }) => e.errno);
    expect({ kill, interrupted: outcome === 1 || outcome === 1317 }).toEqual({
      kill: 'ok',
      interrupted: true,
    });
  });
});
