/**
 * Starting in an embedding process: a start that fails after the proxy opened backend
 * connections leaves none behind, a backend that accepts and never answers does not keep the
 * proxy from listening, however long `connect_timeout` is; users without a password are named
 * in a warning at start; `kernel.report()` (SIGUSR2 under the CLI) logs the proxy's stats.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { Kernel } from '@scalestack/kernel';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_PROXY } from '../src/index.js';

let mariadb: MariaDB;
const servers: net.Server[] = [];

beforeAll(async () => {
  mariadb = await startMariaDB();
  await mariadb.query("CREATE USER 'proxy'@'%' IDENTIFIED BY 'proxypw'");
  await mariadb.query("GRANT ALL ON *.* TO 'proxy'@'%'");
}, 120_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await mariadb?.stop();
});

/** A TCP server on 127.0.0.1 that accepts and never says anything (`silent`) or is just a taken port. */
async function tcpServer(silent: boolean): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => (silent ? sockets.push(s) : s.destroy()));
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function proxyConfig(listen: string, backend: string, extra: Record<string, unknown> = {}) {
  return {
    modules: {
      'database-proxy': {
        listen,
        users: [{ name: 'app', password: 'secret' }],
        backends: [{ name: 'db1', address: backend, user: 'proxy', password: 'proxypw', pool: 2 }],
        ...extra,
      },
    },
  };
}

const proxyConnections = async () =>
  Number(
    (await mariadb.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy'"))[0]!
      .n,
  );

it('a start that fails at listen (port taken) closes the backend connections it opened', async () => {
  // Its warm-up connection stayed open: the drain and stop hooks were registered only after a
  // successful start, so the kernel's roll-back had nothing to run.
  const taken = await tcpServer(false);
  const kernel = new Kernel({ logLevel: 'silent' });
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: proxyConfig(`127.0.0.1:${taken}`, `127.0.0.1:${mariadb.port}`),
  });
  await expect(kernel.start()).rejects.toThrow(/EADDRINUSE/);
  await waitFor(async () => (await proxyConnections()) === 0, {
    what: "the failed proxy's backend connections to close",
  });
});

it('a backend that never answers does not keep the proxy from listening, whatever connect_timeout says', async () => {
  // With connect_timeout above the kernel's start timeout the start waited for the silent
  // server's connect_timeout and failed ("timed out after 30000ms" under the CLI).
  const silent = await tcpServer(true);
  const kernel = new Kernel({ logLevel: 'silent', timeouts: { start: 15_000 } });
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: proxyConfig('127.0.0.1:0', `127.0.0.1:${silent}`, { connect_timeout: '20s' }),
  });
  try {
    await kernel.start();
    // It listens: a client logs in (the proxy answers logins itself) before any backend does.
    const { port } = kernel.resolve(DATABASE_PROXY).address;
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: 'secret' });
    await c.end();
  } finally {
    await kernel.stop();
  }
}, 30_000);

it('names users without a password in a warning at start, and logs its stats when asked to report', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const kernel = new Kernel({ logger: pino({ level: 'info' }, sink) });
  const config = proxyConfig('127.0.0.1:0', `127.0.0.1:${mariadb.port}`, {
    users: [
      { name: 'app', password: 'secret' },
      { name: 'open', password: '' },
    ],
  });
  await kernel.load({ modules: ['database-proxy'], env: {}, config });
  try {
    await kernel.start();
    const warned = lines.filter((l) => String(l.msg).startsWith('users without a password'));
    expect(warned.map((l) => l.users)).toEqual([['open']]);
    kernel.report();
    const stats = await waitFor(() => lines.find((l) => l.msg === 'database proxy stats'), {
      what: 'the stats line',
    });
    expect(stats).toMatchObject({ pools: [expect.objectContaining({ server: 'db1' })] });
  } finally {
    await kernel.stop();
  }
});
