/**
 * Two servers with different global completion_type: a plain COMMIT ends the session only where
 * the server that runs it says so. One MariaDB under completion_type=RELEASE, one with stock
 * settings, one backend connection each, so two clients in transactions sit one on each.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  APP_USER,
  BACKEND_USER,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';

let releasing: MariaDB;
let stock: MariaDB;
let fx: ProxyFixture;

beforeAll(async () => {
  [releasing, stock] = await Promise.all([startMariaDB(), startMariaDB()]);
  await Promise.all([createBackendUser(releasing), createBackendUser(stock)]);
  await releasing.query("SET GLOBAL completion_type = 'RELEASE'");
  const backend = (name: string, m: MariaDB) => ({
    name,
    address: `127.0.0.1:${m.port}`,
    user: BACKEND_USER.name,
    password: BACKEND_USER.password,
    pool: 1,
  });
  fx = await startProxyFixture({
    mariadb: releasing,
    createBackendUser: false,
    options: {
      users: [{ name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 50 }],
      backends: [backend('releasing', releasing), backend('stock', stock)],
    },
  });
});

afterAll(async () => {
  await fx?.stop();
  await Promise.all([releasing?.stop(), stock?.stop()]);
});

/** The connection is gone: mysql2 reports that as fatal, unlike an ERR. */
const connectionLost = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (e: { fatal?: boolean }) => e.fatal === true,
  );

const portOf = async (c: mysql.Connection) =>
  Number(((await c.query('SELECT @@port AS p'))[0] as { p: number }[])[0]!.p);

it("a plain COMMIT ends the client's connection only on the server whose completion_type is RELEASE", async () => {
  const x = await fx.connect({ database: undefined });
  const y = await fx.connect({ database: undefined });
  x.on('error', () => {});
  y.on('error', () => {});
  try {
    // Each holds its server's only connection until COMMIT: one on each server.
    await x.query('BEGIN');
    const xPort = await portOf(x);
    await y.query('BEGIN');
    const yPort = await portOf(y);
    expect([xPort, yPort].sort()).toEqual([releasing.port, stock.port].sort());
    await Promise.all([x.query('COMMIT'), y.query('COMMIT')]);
    const lost = {
      [xPort]: await connectionLost(x.query('SELECT 1')),
      [yPort]: await connectionLost(y.query('SELECT 1')),
    };
    expect(lost).toEqual({ [releasing.port]: true, [stock.port]: false });
  } finally {
    x.destroy();
    y.destroy();
  }
});
