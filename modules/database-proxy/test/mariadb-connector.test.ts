/**
 * The `mariadb` connector pipelines by default: commands issued together on one connection go
 * out without waiting for each other's answers. Through the proxy, with a small pool and other
 * clients beside it, every one of them gets its own answer, in order — reads, writes, prepared
 * statements, and an error in the middle that stops nothing after it — as straight to MariaDB.
 */
import { afterEach, expect, it } from 'vitest';
import { rows } from './support/backends.js';
import { connectorClients } from './support/mariadb-connector.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE TABLE test.piped (id INT PRIMARY KEY, v VARCHAR(20))');
  },
});
const clients = connectorClients(fx);
// Registered after the file's own: runs before it, so every client has left when it checks.
afterEach(() => clients.closeAll());
const connector = () => clients.open({ pipelining: true });

/** What a settled command came to: its value, or `ERR <errno>`. */
const outcome = (s: PromiseSettledResult<unknown>) =>
  s.status === 'fulfilled' ? s.value : `ERR ${(s.reason as { errno?: number }).errno}`;

it('answers every pipelined command of each client in order, an error in the middle stopping nothing', async () => {
  const piping = await Promise.all([connector(), connector(), connector(), connector()]);
  const perClient = 60;
  const results = await Promise.all(
    piping.map((c, ci) =>
      Promise.allSettled(
        Array.from({ length: perClient }, (_, i) => {
          const id = ci * 1000 + i;
          switch (i % 4) {
            case 0:
              return c.query('SELECT ? AS n', [id]).then((r) => Number(r[0].n));
            case 1:
              return c.query('INSERT INTO piped VALUES (?, ?)', [id, `c${ci}`]).then((r) => r.affectedRows);
            case 2:
              // A duplicate of the row just written: the server's error, for this command only.
              return c.query('INSERT INTO piped VALUES (?, ?)', [id - 1, 'dup']);
            default:
              return c
                .execute('SELECT COUNT(*) AS n FROM piped WHERE id = ?', [id - 2])
                .then((r) => Number(r[0].n));
          }
        }),
      ),
    ),
  );
  results.forEach((settled, ci) => {
    const expected = Array.from({ length: perClient }, (_, i) => [ci * 1000 + i, 1, 'ERR 1062', 1][i % 4]);
    expect(settled.map(outcome)).toEqual(expected);
  });
  const [{ n }] = await rows(direct(), 'SELECT COUNT(*) AS n FROM test.piped');
  expect(n).toBe((piping.length * perClient) / 4);
  // Every client goes on.
  for (const c of piping) expect((await c.query('SELECT 1 AS one'))[0].one).toBe(1);
});

it('keeps a pipelined transaction whole: BEGIN, writes and ROLLBACK sent together undo only that client', async () => {
  await direct().query('DELETE FROM test.piped');
  const [a, b] = await Promise.all([connector(), connector()]);
  const aDone = Promise.all([
    a.query('BEGIN'),
    a.query('INSERT INTO piped VALUES (1, "a")'),
    a.query('INSERT INTO piped VALUES (2, "a")'),
    a.query('ROLLBACK'),
  ]);
  const bDone = Promise.all([b.query('INSERT INTO piped VALUES (3, "b")'), b.query('SELECT 1')]);
  await Promise.all([aDone, bDone]);
  expect(await rows(direct(), 'SELECT id, v FROM test.piped ORDER BY id')).toEqual([{ id: 3, v: 'b' }]);
});
