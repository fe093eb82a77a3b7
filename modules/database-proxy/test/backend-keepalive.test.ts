/**
 * Backend connections carry TCP keepalive (`keep_alive`), so a server gone without a FIN is
 * found dead under a pinned session that sends nothing — the pool's idle pings skip such a
 * connection. Read from the kernel: /proc/net/tcp shows a pending keepalive timer (timer kind
 * 2) on an idle established socket that has one, none (0) otherwise. Linux only, as CI is.
 */
import { readFileSync } from 'node:fs';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backendOf, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let off: ProxyFixture;
let direct: mysql.Connection;
const open: mysql.Connection[] = [];

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
  off = await startProxyFixture({ pool: 2, mariadb: fx.mariadb, options: { keep_alive: 0 } });
  direct = await fx.direct();
});

afterAll(async () => {
  for (const c of open) await c.end().catch(() => c.destroy());
  await direct?.end();
  await off?.stop();
  await fx?.stop();
});

/**
 * The timer kind the kernel shows for the established TCP socket whose local port is `port`
 * and whose peer is MariaDB: 0 none, 1 retransmission, 2 keepalive.
 */
function timerKind(port: number): number {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const lines = readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1);
  const line = lines
    .map((l) => l.trim().split(/\s+/))
    .find(
      (f) => f[1]?.endsWith(`:${hex(port)}`) && f[2]?.endsWith(`:${hex(fx.mariadb.port)}`) && f[3] === '01',
    );
  if (line === undefined) throw new Error(`no established socket from port ${port} to MariaDB`);
  return Number.parseInt(line[5]!.split(':')[0]!, 16);
}

/** A client inside a transaction through `proxy`, and the local port of the backend connection it holds. */
async function pinnedPort(proxy: ProxyFixture): Promise<number> {
  const c = await proxy.connect();
  open.push(c);
  await c.query('BEGIN');
  const id = await backendOf(c);
  const { host } = await one(direct, 'SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?', [
    id,
  ]);
  return Number(String(host).split(':')[1]);
}

it('a pinned backend connection has a keepalive timer; with keep_alive: 0 it has none', async () => {
  expect(timerKind(await pinnedPort(fx))).toBe(2);
  expect(timerKind(await pinnedPort(off))).toBe(0);
});
