/**
 * MariaDB's `SET STATEMENT name = value FOR statement` sets the variable for that statement only.
 * Its OK may still report the statement's value (sql_select_limit, max_statement_time…), which the
 * proxy took for a change: it replayed the value for the client on its next backend, and recorded
 * it for the connection it left, so another client that had set the same value itself ran there
 * without it. Checked on the backend the statement ran on and on the other one (pool 2).
 */
import { describe, expect, it } from 'vitest';
import { backendOf, holdBackend, onAnotherBackend, one, pinnedNow } from './support/backends.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const { fx, clients } = proxyTestFile({
  pool: POOL,
  setup: async (direct) => {
    await direct.query('CREATE TABLE IF NOT EXISTS test.sst (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await direct.query('INSERT IGNORE INTO test.sst VALUES (1, 1), (2, 2)');
    await direct.query(
      'CREATE OR REPLACE FUNCTION test.sst_sets() RETURNS INT BEGIN SET @sst = 42; SET @@session.div_precision_increment = 7; RETURN 1; END',
    );
    await direct.query('CREATE OR REPLACE VIEW test.sst_v AS SELECT test.sst_sets() AS a');
  },
});

describe.each([
  ['sql_select_limit', '3'],
  ['max_statement_time', '5'],
  ['lock_wait_timeout', '7'],
  ['div_precision_increment', '9'],
])('SET STATEMENT %s = … FOR', (name, value) => {
  it.each([
    ['SET STATEMENT', 'DO 1'],
    ['SET STATEMENT', 'UPDATE test.sst SET v = v WHERE id = 1'],
    // A classic EOF (mysql2's) names no variable, only that the state changed.
    ['SET STATEMENT', 'SELECT 1 + 1'],
    ['SET /* a */ STATEMENT /* b */', 'DO 1'],
    ['/*!100000 SET STATEMENT', '*/ DO 1'],
  ])(
    '%s … FOR %s: the session has its own value again, on this backend and the next, as directly',
    async (lead, statement) => {
      const sql = `${lead} ${name} /* c */ = ${value} FOR ${statement}`;
      const d = await connectAsBackendUser(fx());
      const before = (await one(d, `SELECT @@${name} AS v`)).v;
      await d.query(sql);
      expect((await one(d, `SELECT @@${name} AS v`)).v).toEqual(before);
      await d.end();

      const c = await clients.client();
      await c.query(sql);
      // An UPDATE pins its connection until the next statement (ROW_COUNT() and friends).
      await c.query('DO 1');
      expect(pinnedNow(fx())).toBe(0);
      expect((await one(c, `SELECT @@${name} AS v`)).v).toEqual(before);
      expect((await onAnotherBackend(fx(), c, POOL, `SELECT @@${name} AS v`)).v).toEqual(before);
    },
  );
});

it("another client's own value is kept on the connection a SET STATEMENT ran on", async () => {
  const a = await clients.client();
  const c = await clients.client();
  const x = await backendOf(a);
  // C sets its session's sql_select_limit on the other connection, Y.
  const holdX = await holdBackend(fx(), x, POOL);
  await c.query('SET sql_select_limit = 1');
  const y = await backendOf(c);
  await holdX.release();
  expect(y).not.toBe(x);
  // A's SET STATEMENT on X; then C's SELECT runs on X, which must get C's limit.
  const holdY = await holdBackend(fx(), y, POOL);
  expect(await backendOf(a)).toBe(x);
  await a.query('SET STATEMENT sql_select_limit = 1 FOR DO 1');
  const [rows] = await c.query('SELECT id, CONNECTION_ID() AS conn FROM test.sst ORDER BY id');
  await holdY.release();
  const got = rows as { id: number; conn: number }[];
  expect(got[0]!.conn).toBe(x);
  expect(got.map((r) => r.id)).toEqual([1]);
});

it('beside a plain SET of the same variable in one text, the client is pinned with the value it set', async () => {
  const c = await clients.client({ multipleStatements: true });
  await c.query('SET STATEMENT sql_select_limit = 5 FOR DO 1; SET sql_select_limit = 2');
  expect(fx().proxy.stats().pinnedNow.unreplayable_variable).toBe(1);
  expect((await one(c, 'SELECT @@sql_select_limit AS v')).v).toBe(2);
});

it('FOR a SELECT of a view whose function changes the session (a classic EOF tells only that): pinned, its changes kept', async () => {
  // The view was made after the proxy started: the proxy does not know it hides a function yet.
  const sql = 'SET STATEMENT max_statement_time = 100 FOR SELECT a FROM test.sst_v';
  const read = 'SELECT @sst AS v, @@div_precision_increment AS d';
  const d = await connectAsBackendUser(fx());
  await d.query(sql);
  const expected = await one(d, read);
  await d.end();
  expect(expected).toEqual({ v: 42, d: 7 });
  const c = await clients.client();
  await c.query(sql);
  expect(fx().proxy.stats().pinnedNow.session_state).toBe(1);
  expect(await one(c, read)).toEqual(expected);
});
