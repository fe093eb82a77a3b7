/**
 * Review scratch test: a start that fails at listen (port taken) after the warm-up connection
 * was opened — does anything stay connected to MariaDB in an embedding process?
 */
import net from 'node:net';
import { Kernel } from '@scalestack/kernel';
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import { afterAll, beforeAll, expect, it } from 'vitest';

let mariadb: MariaDB;
let blocker: net.Server;
beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 50 });
  await mariadb.query("CREATE USER 'proxy'@'%' IDENTIFIED BY 'proxypw'");
  await mariadb.query("GRANT ALL ON *.* TO 'proxy'@'%'");
  blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(26099, '127.0.0.1', () => r()));
}, 120_000);
afterAll(async () => {
  blocker?.close();
  await mariadb?.stop();
});

it('a failed start leaves no backend connection behind', async () => {
  const kernel = new Kernel({ logLevel: 'silent' });
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: {
      modules: {
        'database-proxy': {
          listen: '127.0.0.1:26099',
          users: [{ name: 'app', password: 'secret' }],
          backends: [
            {
              name: 'db1',
              address: `127.0.0.1:${mariadb.port}`,
              user: 'proxy',
              password: 'proxypw',
              pool: 2,
            },
          ],
        },
      },
    },
  });
  await expect(kernel.start()).rejects.toThrow(/EADDRINUSE/);
  await new Promise((r) => setTimeout(r, 1000));
  const rows = await mariadb.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
  );
  console.log('PROXY CONNECTIONS LEFT AT MARIADB AFTER FAILED START:', rows[0].n);
  expect(Number(rows[0].n)).toBe(0);
}, 60_000);
