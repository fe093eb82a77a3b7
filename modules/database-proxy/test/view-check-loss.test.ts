/**
 * The backend connection that runs the proxy's check of the views at start is lost under it.
 * The server has not said which views there are, so until a check gets through every SELECT is
 * an ordinary statement (README: "Until the first check … no read stacks"): a read of a view
 * that writes is not run again for SHOW WARNINGS. Before, the failed check left the list known
 * and empty, and the view's write was applied twice.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { BackendRelay } from './support/backend-relay.js';
import { one } from './support/backends.js';
import {
  BACKEND_USER,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

let mariadb: MariaDB;
let admin: mysql.Connection;
let relay: BackendRelay;
let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000 });
  await createBackendUser(mariadb);
  admin = await mysql.createConnection({
    host: '127.0.0.1',
    port: mariadb.port,
    user: mariadb.user,
    password: mariadb.password,
    database: 'test',
  });
  await admin.query('CREATE TABLE writes_log (id INT AUTO_INCREMENT PRIMARY KEY)');
  await admin.query(
    'CREATE FUNCTION log_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 7; END',
  );
  await admin.query('CREATE VIEW writing_v AS SELECT log_write() AS n');
  relay = new BackendRelay(mariadb.port);
  // The connection the check of the views runs on is lost under it (once).
  relay.cutWhen = (chunk) => chunk.includes(Buffer.from('information_schema.VIEWS'));
  await relay.start();
  fx = await startProxyFixture({
    pool: 4,
    mariadb,
    options: {
      view_check_interval: '1h',
      backends: [
        {
          name: 'relayed',
          address: `127.0.0.1:${relay.port}`,
          user: BACKEND_USER.name,
          password: BACKEND_USER.password,
          pool: 4,
        },
      ],
    },
  });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
  await relay?.stop();
  await admin?.end();
  await mariadb?.stop();
});

it('after the view check lost its connection at start, a read of a writing view is not run again for SHOW WARNINGS', async () => {
  expect(relay.cuts).toBe(1);
  // Not known: the server never answered.
  expect(fx.proxy.stats().pipeline.impureViews).toBeNull();
  await admin.query('TRUNCATE writes_log');
  const c = await clients.client();
  expect(await one(c, 'SELECT n FROM writing_v')).toEqual({ n: 7 });
  expect(Number((await one(admin, 'SELECT COUNT(*) AS n FROM writes_log')).n)).toBe(1);
  const replays = fx.proxy.stats().counters.replays;
  await c.query('SHOW WARNINGS');
  expect(
    Number((await one(admin, 'SELECT COUNT(*) AS n FROM writes_log')).n),
    `replays +${fx.proxy.stats().counters.replays - replays}, impureViews ${fx.proxy.stats().pipeline.impureViews}`,
  ).toBe(1);
});
