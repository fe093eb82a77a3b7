/**
 * Two servers with different global completion_type: a plain COMMIT ends the session only where
 * the server that runs it says so. One MariaDB under completion_type=RELEASE, one with stock
 * settings, one backend connection each, so two clients in transactions sit one on each.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseProxy } from '../src/database-proxy.js';
import { startTwoServerProxy, type TwoServerProxy } from './support/two-servers.js';

let both: TwoServerProxy;

beforeAll(async () => {
  // db1 releases the session at COMMIT and takes few prepared statements; db2 has the stock
  // settings.
  both = await startTwoServerProxy(async (m, i) => {
    if (i === 0) {
      await m.query("SET GLOBAL completion_type = 'RELEASE'");
      await m.query('SET GLOBAL max_prepared_stmt_count = 10');
    }
  });
});

afterAll(async () => {
  await both?.stop();
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
  const [releasing, stock] = both.servers;
  const x = await both.fx.connect({ database: undefined });
  const y = await both.fx.connect({ database: undefined });
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

it("the statement cache fits the tightest server's max_prepared_stmt_count over that server's own N", async () => {
  // db1: 90 % of 10 over its one connection (not over both servers' two).
  expect((both.fx.proxy as DatabaseProxy).statementCacheSize).toBe(9);
});
