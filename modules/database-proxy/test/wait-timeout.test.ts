/**
 * wait_timeout: a client that sends nothing between statements for that long is closed, as by
 * a server's own wait_timeout — so a transaction left open by a client that went quiet (a stuck
 * worker, a leaked connection) gives its backend connection back instead of holding one of N
 * for good. A statement that runs long is not "quiet". net_write_timeout: a client that takes
 * none of a result for that long is closed, and the backend that waited on it let go.
 */
import type { Socket } from 'node:net';
import { Kernel } from '@scalestack/kernel';
import { DEFAULT_SERVER_VERSION, SqliteBackendServer } from '@scalestack/sqlite-backend';
import { waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_PROXY, type DatabaseProxyService } from '../src/index.js';
import { one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let direct: mysql.Connection;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2, options: { wait_timeout: '400ms', net_write_timeout: '400ms' } });
  direct = await fx.direct();
  await direct.query('CREATE TABLE wt (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20)) ENGINE=InnoDB');
});

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

it('closes a client quiet in a transaction as MariaDB closes one (no ERR), rolls it back and frees its backend', async () => {
  // MariaDB's own way, for comparison: it closes a session idle past its wait_timeout without
  // a word, and drivers that reconnect on a lost connection (DBD's 2006 / 2013) do so unseen.
  const own = await fx.direct();
  const ownTold = new Promise<{ code?: unknown; sqlState?: string }>((resolve) => own.on('error', resolve));
  await own.query('SET SESSION wait_timeout = 1');
  const quiet = await fx.connect();
  const told = new Promise<{ code?: unknown; fatal?: boolean; sqlState?: string }>((resolve) =>
    quiet.on('error', resolve),
  );
  await quiet.query('BEGIN');
  await quiet.query("INSERT INTO wt (v) VALUES ('left-open')");
  expect(fx.proxy.stats().pools[0]!.busy).toBe(1);
  const err = await told;
  // A lost connection, no server error (ERR 4031 before): mysql2 reads MariaDB's reset as
  // ECONNRESET and the proxy's close as PROTOCOL_CONNECTION_LOST, a C client either as 2013.
  expect(err.fatal).toBe(true);
  expect(err.code).toBe('PROTOCOL_CONNECTION_LOST');
  expect(err.sqlState).toBeUndefined();
  expect((await ownTold).sqlState).toBeUndefined();
  await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'its backend back in the pool' });
  expect(fx.proxy.stats().counters.idleClosed).toBeGreaterThanOrEqual(1);
  expect(Number((await one(direct, "SELECT COUNT(*) AS n FROM wt WHERE v = 'left-open'")).n)).toBe(0);
});

it('does not close a client whose statement runs longer than wait_timeout', async () => {
  const busy = await fx.connect();
  let closed = false;
  busy.on('error', () => {
    closed = true;
  });
  const before = fx.proxy.stats().counters.idleClosed;
  expect(await one(busy, 'SELECT SLEEP(1.2) AS s')).toEqual({ s: 0 });
  expect(await one(busy, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
  expect(closed).toBe(false);
  expect(fx.proxy.stats().counters.idleClosed).toBe(before);
  busy.destroy();
});

it('closes a client that stops reading a result, and lets go of the backend that waited on it', async () => {
  const stuck = await fx.connect();
  stuck.on('error', () => {});
  const before = fx.proxy.stats().counters.writeTimeouts;
  // Far more than socket buffers hold: the proxy's writes to the client back up, and its
  // backend is paused for it.
  void stuck.query("SELECT REPEAT('x', 1000) AS pad FROM seq_1_to_200000").catch(() => {});
  // mysql2's socket, which its types do not declare.
  (stuck as unknown as { connection: { stream: Socket } }).connection.stream.pause();
  await waitFor(() => fx.proxy.stats().counters.writeTimeouts === before + 1, {
    what: 'the proxy to give up on the client',
  });
  await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'the backend to be let go' });
  // Both backends serve others.
  const a = await fx.connect();
  const b = await fx.connect();
  await a.query('BEGIN');
  await b.query('BEGIN');
  expect(await one(a, 'SELECT 1 AS v')).toEqual({ v: 1 });
  expect(await one(b, 'SELECT 2 AS v')).toEqual({ v: 2 });
  a.destroy();
  b.destroy();
  stuck.destroy();
});

it("a client's own SET SESSION wait_timeout is its timeout, as at a server: longer keeps it", async () => {
  const own = await fx.connect();
  const other = await fx.connect();
  const otherTold = new Promise<{ code?: unknown }>((resolve) => other.on('error', resolve));
  let ownClosed = false;
  own.on('error', () => {
    ownClosed = true;
  });
  await own.query('SET SESSION wait_timeout = 3600');
  await other.query('SELECT 1');
  // Both quiet from here: the other goes after the proxy's 400 ms, this one stays.
  expect((await otherTold).code).toBe('PROTOCOL_CONNECTION_LOST');
  await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'the other client to be gone' });
  expect(ownClosed).toBe(false);
  expect(await one(own, 'SELECT @@session.wait_timeout AS t')).toEqual({ t: 3600 });
  own.destroy();
});

it('in front of a MySQL 8 server, ERR 4031 first, as MySQL 8 sends it', async () => {
  // The embedded SQLite backend announces itself as MySQL 8 (and sends 4031 itself).
  expect(DEFAULT_SERVER_VERSION).not.toMatch(/MariaDB/i);
  const sqlite = await SqliteBackendServer.start({ listen: '127.0.0.1:0' });
  const kernel = new Kernel({ logLevel: process.env.SCALESTACK_TEST_LOG ?? 'warn' });
  try {
    if (sqlite.address.kind !== 'tcp') throw new Error('expected a TCP listener');
    await kernel.load({
      modules: ['database-proxy'],
      env: {},
      config: {
        modules: {
          'database-proxy': {
            listen: '127.0.0.1:0',
            wait_timeout: '400ms',
            users: [{ name: 'app', password: 'secret' }],
            backends: [
              {
                name: 'db1',
                address: `127.0.0.1:${sqlite.address.port}`,
                user: 'root',
                password: '',
                pool: 1,
              },
            ],
          },
        },
      },
    });
    await kernel.start();
    const proxy = kernel.container.resolve(DATABASE_PROXY) as DatabaseProxyService;
    const quiet = await mysql.createConnection({
      host: '127.0.0.1',
      port: proxy.address.port,
      user: 'app',
      password: 'secret',
    });
    const told = new Promise<{ code?: unknown; fatal?: boolean; message: string }>((resolve) =>
      quiet.on('error', resolve),
    );
    expect(await one(quiet, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
    const err = await told;
    // An ERR no command asked for: mysql2 reports it as a fatal error whose code is the errno.
    expect(err.code).toBe(4031);
    expect(err.fatal).toBe(true);
    expect(err.message).toMatch(/inactivity \(wait_timeout\)/);
  } finally {
    await kernel.shutdown();
    await sqlite.close();
  }
});
