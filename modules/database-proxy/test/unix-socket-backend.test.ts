/**
 * A backend reached over its Unix socket (`address: /path/to/mysqld.sock`): statements, KILL
 * QUERY, a killed backend thread and a server restart, as over TCP.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backendOf, failure, one } from './support/backends.js';
import { useOwnMariaDB } from './support/own-mariadb.js';
import { backendAt, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const mariadb = useOwnMariaDB();
let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture({
    mariadb: mariadb(),
    createBackendUser: false,
    options: {
      health_check_interval: '200ms',
      connect_timeout: '2s',
      backends: [backendAt('sock', mariadb().socketPath, 2)],
    },
  });
});
afterAll(async () => {
  await fx?.stop();
});

it('serves statements, and the pool stats name the server', async () => {
  const c = await fx.connect();
  try {
    expect(await one(c, 'SELECT 1 AS v')).toEqual({ v: 1 });
    const host = await one(c, 'SELECT USER() AS u');
    expect(String(host.u)).toMatch(/^proxy@localhost$/);
    expect(fx.proxy.stats().pools[0]).toMatchObject({ server: 'sock', size: 2, healthy: true });
  } finally {
    await c.end();
  }
});

it('KILL QUERY of a running statement reaches the server over the socket', async () => {
  const c = await fx.connect();
  const k = await fx.connect();
  try {
    const slow = failure(c.query('SELECT SLEEP(30) AS s'));
    const direct = await fx.direct();
    let running = false;
    while (!running) {
      const [r] = (await direct.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'",
      )) as [mysql.RowDataPacket[], unknown];
      running = Number(r[0]!.n) === 1;
    }
    await direct.end();
    await k.query(`KILL QUERY ${c.threadId}`);
    // As MariaDB answers an interrupted SLEEP directly.
    expect((await slow).errno).toBe(1317);
    expect(await one(c, 'SELECT 2 AS v')).toEqual({ v: 2 });
  } finally {
    await c.end();
    await k.end();
  }
});

it('a transaction whose backend thread is killed at the server: 9008, others carry on; idle pings keep the pool', async () => {
  const c = await fx.connect();
  c.on('error', () => {});
  const other = await fx.connect();
  const direct = await fx.direct();
  try {
    await c.query('START TRANSACTION');
    const id = await backendOf(c);
    await direct.query(`KILL ${id}`);
    await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'the pinned client to be closed' });
    expect(await one(other, 'SELECT 3 AS v')).toEqual({ v: 3 });
    // Idle connections are pinged (every 200 ms here): after two rounds of pings at the
    // server, the pool still serves.
    const pings = async () =>
      Number((await one(direct, "SHOW GLOBAL STATUS LIKE 'Com_admin_commands'")).Value);
    const before = await pings();
    await waitFor(async () => (await pings()) >= before + 2, { what: 'idle pings to reach the server' });
    expect(await one(other, 'SELECT 4 AS v')).toEqual({ v: 4 });
  } finally {
    c.destroy();
    await other.end();
    await direct.end();
  }
});

it('server restart: statements fail with 9004/9005 while down, work after', async () => {
  const c = await fx.connect();
  c.on('error', () => {});
  try {
    expect(await one(c, 'SELECT 5 AS v')).toEqual({ v: 5 });
    await mariadb().kill();
    await waitFor(() => fx.proxy.stats().pools[0]!.open === 0, { what: 'connections gone' });
    const err = await failure(c.query('SELECT 6 AS v'));
    expect(err.errno).toBe(9004);
    await mariadb().restart();
    expect(await one(c, 'SELECT 7 AS v')).toEqual({ v: 7 });
  } finally {
    c.destroy();
  }
});
