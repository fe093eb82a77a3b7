/**
 * A client that set character_set_results by name, moved onto a connection whose character
 * sets another client changed: the proxy put character_set_client back by name (its set's
 * default collation) where the login had given it the connection's (mysql2: utf8mb4_unicode_ci).
 * MariaDB reads a prepared statement's string parameters in character_set_client's collation:
 * `? = 'ALICE'` failed with ER 1267 (illegal mix of collations) and `CONCAT(?, 'é')` came back
 * BINARY, where MariaDB answers both (differential seed 40). One backend connection (pool 1)
 * puts the two clients on it.
 */
import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { failure, rows } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, clients } = proxyTestFile({
  pool: 1,
  setup: async (d) => {
    await d.query('CREATE TABLE names (v VARCHAR(20)) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await d.query("INSERT INTO names VALUES ('Alice'), ('alfred'), ('Bob')");
  },
});

/** What `a` gets for two prepared statements after `b` changed the connection's character sets. */
async function seen(a: mysql.Connection, b: mysql.Connection): Promise<unknown[]> {
  await a.query('SET character_set_results = utf8mb4'); // by name, even to the set it has
  await b.query('SET NAMES latin1');
  const out: unknown[] = [];
  for (const [sql, params] of [
    ["SELECT v FROM names WHERE v LIKE CONCAT(?, '%') ORDER BY v", ['al']],
    ["SELECT ? = 'ALICE' AS same", ['alice']],
  ] as const) {
    try {
      const [r] = await a.execute(sql, [...params]);
      out.push(r);
    } catch (err) {
      out.push((await failure(Promise.reject(err))).errno);
    }
  }
  out.push(await rows(a, 'SELECT @@character_set_client AS cs, @@collation_connection AS co'));
  return out;
}

it('prepared parameters compare in the login collation after a sync, as at MariaDB', async () => {
  const [ra, rb] = [await fx().direct({ database: 'test' }), await fx().direct({ database: 'test' })];
  const expected = await seen(ra, rb);
  await Promise.all([ra.end(), rb.end()]);
  expect(expected.slice(0, 2)).toEqual([[{ v: 'alfred' }, { v: 'Alice' }], [{ same: 1 }]]);
  expect(await seen(await clients.client(), await clients.client())).toEqual(expected);
});
