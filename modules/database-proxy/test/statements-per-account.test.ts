/**
 * The same SQL prepared by users with different backend accounts is a different statement
 * (PROXY-NOTES 22): one account's prepared statement is never run for a user whose account may
 * not run it. One backend connection in the pool for both accounts, so they take turns at it:
 * the pool closes one account's idle connection to open the other's.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { failure } from './support/backends.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const LIMITED = { name: 'limited_svc', password: 'pw-limited' };
let fx: ProxyFixture;
let root: mysql.Connection;

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: 1,
    options: {
      users: [
        { name: APP_USER.name, password: APP_USER.password, max_connections: 50 },
        {
          name: 'reader',
          password: 'reader-pw',
          max_connections: 50,
          backend_user: LIMITED.name,
          backend_password: LIMITED.password,
        },
      ],
    },
  });
  root = await fx.direct();
  await root.query('CREATE TABLE test.open_t (id INT PRIMARY KEY, v VARCHAR(10))');
  await root.query('CREATE TABLE test.secret_t (id INT PRIMARY KEY, v VARCHAR(10))');
  await root.query("INSERT INTO test.open_t VALUES (1, 'open')");
  await root.query("INSERT INTO test.secret_t VALUES (1, 'secret')");
  await root.query(`CREATE USER '${LIMITED.name}'@'%' IDENTIFIED BY '${LIMITED.password}'`);
  await root.query(`GRANT SELECT ON test.open_t TO '${LIMITED.name}'@'%'`);
});

afterAll(async () => {
  await root?.query(`DROP USER IF EXISTS '${LIMITED.name}'@'%'`);
  await root?.query('DROP TABLE IF EXISTS test.open_t, test.secret_t');
  await root?.end();
  await fx?.stop();
});

it("never runs one account's prepared statement for a user whose account may not run it", async () => {
  const app = await fx.connect();
  const reader = await fx.connect({ user: 'reader', password: 'reader-pw' });
  try {
    for (let round = 0; round < 5; round++) {
      const [appRows] = await app.execute('SELECT v FROM secret_t WHERE id = ?', [1]);
      expect(appRows).toEqual([{ v: 'secret' }]);
      const denied = await failure(reader.execute('SELECT v FROM secret_t WHERE id = ?', [1]));
      expect([denied.errno, denied.message]).toEqual([
        1142,
        `SELECT command denied to user '${LIMITED.name}'@'127.0.0.1' for table \`test\`.\`secret_t\``,
      ]);
      // What the reader's account may read, it reads, prepared on its own connections too.
      const [readerRows] = await reader.execute('SELECT v FROM open_t WHERE id = ?', [1]);
      expect(readerRows).toEqual([{ v: 'open' }]);
    }
  } finally {
    await app.end();
    await reader.end();
  }
});
