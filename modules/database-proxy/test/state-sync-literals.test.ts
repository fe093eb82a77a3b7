/**
 * The proxy's state-sync SET is read under the sql_mode its connection has when it arrives: the
 * previous client's, which may have NO_BACKSLASH_ESCAPES. A value with a quote made the SET fail
 * ("could not restore session state"), one with a backslash came back with two. One backend
 * connection, so every client runs on it in turn.
 */
import { expect, it } from 'vitest';
import { one } from './support/backends.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, clients } = proxyTestFile({ pool: 1 });

it.each([
  ['a quote', "'it''s'", "it's"],
  ['a backslash', "'a\\\\b'", 'a\\b'],
  ['both, at the ends', "'\\\\x''\\\\'", "\\x'\\"],
])(
  'a string variable holding %s is put back as set, after a client with NO_BACKSLASH_ESCAPES',
  async (_, literal, value) => {
    const direct = await connectAsBackendUser(fx());
    await direct.query(`SET default_master_connection = ${literal}`);
    expect((await one(direct, 'SELECT @@default_master_connection AS v')).v).toBe(value);
    await direct.end();

    const q = await clients.client();
    const n = await clients.client();
    await q.query(`SET default_master_connection = ${literal}`);
    await n.query("SET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    await n.query('DO 1');
    // q's next statement runs on the connection n left with NO_BACKSLASH_ESCAPES.
    expect(
      await one(q, "SELECT @@default_master_connection AS v, @@sql_mode LIKE '%NO_BACKSLASH%' AS nbe"),
    ).toEqual({ v: value, nbe: 0 });
  },
);

it.each([
  ['system_versioning_asof', "'2000-01-01 00:00:00'"],
  ['default_tmp_storage_engine', 'InnoDB'],
  ['innodb_ft_user_stopword_table', 'NULL'],
])(
  'SET %s = DEFAULT, whose value then reads as no value can be written back, is put back as DEFAULT',
  async (name, other) => {
    const direct = await connectAsBackendUser(fx());
    await direct.query(`SET ${name} = ${other}`);
    await direct.query(`SET ${name} = DEFAULT`);
    const expected = await one(direct, `SELECT @@${name} AS v`);
    await direct.end();

    const q = await clients.client();
    const n = await clients.client();
    await q.query(`SET ${name} = ${other}`);
    await q.query(`SET ${name} = DEFAULT`);
    // n's statement puts the connection back to n's session (the variable at its connect-time
    // value, or another), so q's next one must write q's back.
    await n.query(other === 'NULL' ? 'DO 1' : `SET ${name} = ${other}`);
    expect(await one(q, `SELECT @@${name} AS v`)).toEqual(expected);
    if (other !== 'NULL') expect(await one(n, `SELECT @@${name} AS v`)).not.toEqual(expected);
  },
);
