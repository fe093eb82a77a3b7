/**
 * A quiet client's previous results once its `result_hold` has passed (PROXY-NOTES hazards
 * 15–16, ProxySQL #2101 — at the default settings a pause of 100 ms is all it takes): the
 * backend goes back to the pool, taken by others last, and the client's SHOW WARNINGS,
 * ROW_COUNT() and FOUND_ROWS() go back to it while nothing else has used it. When something has,
 * the client reads them empty or 0 — never another client's.
 *
 * connection-bound-results.test.ts covers the same reads within the hold (5 s there).
 */

import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hold, rows } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL, options: { result_hold: '50ms' } });
  direct = await fx.direct();
  await direct.query('CREATE TABLE nums (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)');
  await direct.query('INSERT INTO nums (id) SELECT seq FROM seq_1_to_10');
  // Both connections of the pool open and idle, so that a second client has one of its own.
  const holders = [await hold(fx), await hold(fx)];
  await Promise.all(holders.map((h) => h.release()));
  await waitFor(() => fx.proxy.stats().pools[0]!.idle === POOL, { what: 'both backend connections idle' });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

/**
 * Waits until the proxy has let `conn`'s backend go (its result_hold has passed): the client
 * holds nothing and `idle` connections are back in the pool.
 */
async function quiet(conn: mysql.Connection, idle = POOL): Promise<void> {
  await waitFor(
    () =>
      fx.proxy.stats().clients.find((c) => c.id === conn.threadId)?.pinned.length === 0 &&
      fx.proxy.stats().pools[0]!.idle === idle,
    { what: `client ${conn.threadId}'s result hold to end` },
  );
}

interface Kind {
  name: string;
  /** What the caller runs, and what another client runs after it. */
  mine: string;
  theirs: string;
  read(conn: mysql.Connection): Promise<unknown>;
  /** What the read answers for each, and for a caller whose connection was used meanwhile. */
  expectMine: unknown;
  expectTheirs: unknown;
  expectLost: unknown;
}

const KINDS: Kind[] = [
  {
    name: 'ROW_COUNT() after an UPDATE',
    mine: 'UPDATE nums SET n = n + 1 WHERE id <= 4',
    theirs: 'UPDATE nums SET n = n + 1 WHERE id > 8',
    read: async (c) => Number((await rows(c, 'SELECT ROW_COUNT() AS v'))[0]!.v),
    expectMine: 4,
    expectTheirs: 2,
    expectLost: 0,
  },
  {
    name: 'FOUND_ROWS() after SQL_CALC_FOUND_ROWS',
    mine: 'SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= 7 ORDER BY id LIMIT 1',
    theirs: 'SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= 3 ORDER BY id LIMIT 1',
    read: async (c) => Number((await rows(c, 'SELECT FOUND_ROWS() AS v'))[0]!.v),
    expectMine: 7,
    expectTheirs: 3,
    expectLost: 0,
  },
  {
    name: 'SHOW WARNINGS after INSERT IGNORE',
    mine: 'INSERT IGNORE INTO nums (id) VALUES (1)',
    theirs: 'INSERT IGNORE INTO nums (id) VALUES (2)',
    read: async (c) => (await rows(c, 'SHOW WARNINGS')).map((r) => `${r.Code} ${r.Message}`),
    expectMine: ["1062 Duplicate entry '1' for key 'PRIMARY'"],
    expectTheirs: ["1062 Duplicate entry '2' for key 'PRIMARY'"],
    expectLost: [],
  },
];

describe('after result_hold', () => {
  it.each(KINDS)('$name: the caller reads its own, another client served meanwhile', async (k) => {
    const a = await client();
    const b = await client();
    await a.query(k.mine);
    await quiet(a);
    // B comes while A is quiet and gets the other idle connection, not the one A's results are on.
    await b.query(k.theirs);
    await quiet(b);
    expect(await k.read(a)).toEqual(k.expectMine);
    expect(await k.read(b)).toEqual(k.expectTheirs);
  });

  it.each(KINDS)('$name: through a prepared statement too', async (k) => {
    const a = await client();
    await a.query(k.mine);
    await quiet(a);
    const sql = k.name.startsWith('SHOW')
      ? 'SHOW WARNINGS'
      : k.name.startsWith('ROW')
        ? 'SELECT ROW_COUNT() AS v'
        : 'SELECT FOUND_ROWS() AS v';
    const [result] = await a.execute(sql);
    const got = (result as Record<string, unknown>[]).map((r) =>
      'Code' in r ? `${r.Code} ${r.Message}` : Number(r.v),
    );
    expect(k.name.startsWith('SHOW') ? got : got[0]).toEqual(k.expectMine);
  });

  it.each(KINDS)(
    '$name: once another client used that connection, the caller reads none — not the other’s',
    async (k) => {
      // One connection held in a transaction: B can only take the one A's results are on.
      const holder = await hold(fx);
      try {
        const a = await client();
        const b = await client();
        await a.query(k.mine);
        await quiet(a, POOL - 1);
        await b.query(k.theirs);
        await quiet(b, POOL - 1);
        expect(await k.read(a)).toEqual(k.expectLost);
        // A's read took the one free connection, where B's results were: B's are gone too.
        expect(await k.read(b)).toEqual(k.expectLost);
      } finally {
        await holder.release();
      }
    },
  );

  it('a statement in between replaces them, as at MariaDB', async () => {
    const a = await client();
    await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
    await quiet(a);
    await a.query('UPDATE nums SET n = n + 1 WHERE id = 5');
    await quiet(a);
    expect(Number((await rows(a, 'SELECT ROW_COUNT() AS v'))[0]!.v)).toBe(1);
  });

  it('a reset session has none: ROW_COUNT() after COM_RESET_CONNECTION is not the UPDATE’s', async () => {
    const a = await client();
    await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
    await quiet(a);
    await a.reset();
    // Not the UPDATE's 4: read from an emptied area (README), as any result given up reads.
    expect(Number((await rows(a, 'SELECT ROW_COUNT() AS v'))[0]!.v)).toBe(0);
  });
});

describe('what is not kept', () => {
  it("another client's warnings that the caller's statement left in place are not kept as the caller's", async () => {
    const holder = await hold(fx); // everything below runs on the other connection, X
    try {
      const a = await client();
      const b = await client();
      // B's read leaves a warning with B's data on X; A's table-less statement raises none,
      // so MariaDB keeps B's there — A holds X for its SQL_CALC_FOUND_ROWS.
      await b.query("SELECT CAST('secret-of-b' AS INT) AS v FROM nums LIMIT 1");
      await a.query('SELECT SQL_CALC_FOUND_ROWS 1 AS one');
      await quiet(a, POOL - 1);
      expect(await rows(a, 'SHOW WARNINGS')).toEqual([]);
    } finally {
      await holder.release();
    }
  });

  it("another client's FOUND_ROWS() under the caller's UPDATE is not kept as the caller's", async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await b.query('SELECT id FROM nums WHERE id <= 7');
      await a.query('UPDATE nums SET n = n + 1 WHERE id = 10');
      await quiet(a, POOL - 1);
      expect(Number((await rows(a, 'SELECT FOUND_ROWS() AS v'))[0]!.v)).toBe(0);
    } finally {
      await holder.release();
    }
  });

  it("a failed prepare on another connection: the read is of that one's, cleared — not another client's", async () => {
    const a = await client();
    const b = await client();
    await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
    await quiet(a);
    // B's read takes the other connection, Y, and leaves its count there; A's prepare fails on Y.
    await b.query('SELECT id FROM nums WHERE id <= 7');
    await expect(a.prepare('SELECT * FROM no_such_table')).rejects.toMatchObject({ errno: 1146 });
    expect(Number((await rows(a, 'SELECT FOUND_ROWS() AS v'))[0]!.v)).toBe(0);
  });

  it('a BEGIN and COMMIT answered by the proxy (lazy BEGIN) replace them, as at MariaDB', async () => {
    const a = await client();
    await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
    await quiet(a);
    await a.query('BEGIN');
    await a.query('COMMIT');
    expect(Number((await rows(a, 'SELECT ROW_COUNT() AS v'))[0]!.v)).toBe(0);
  });
});

describe('what is not kept, once more', () => {
  it("a prepare that cannot go back to the kept connection leaves no mark on another's", async () => {
    const holder = await hold(fx); // everything below runs on the other connection, X
    try {
      const a = await client();
      const b = await client();
      await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
      await quiet(a, POOL - 1);
      // B takes X, where A's results were, and leaves its own there.
      await b.query('UPDATE nums SET n = n + 1 WHERE id > 8');
      await quiet(b, POOL - 1);
      const [result] = await a.execute('SELECT ROW_COUNT() AS v');
      expect(Number((result as Record<string, unknown>[])[0]!.v)).not.toBe(2);
      expect(Number((result as Record<string, unknown>[])[0]!.v)).toBe(0);
    } finally {
      await holder.release();
    }
  });

  it('a KILL answered by the proxy within the hold replaces the results held', async () => {
    const a = await client();
    await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
    await expect(a.query('KILL 999999')).rejects.toMatchObject({ errno: 1094 });
    await quiet(a);
    // Not the UPDATE's 4: the KILL's error, raised again where the read runs, leaves what
    // MariaDB's own failed KILL leaves.
    const atServer = await fx.direct();
    try {
      await atServer.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
      await expect(atServer.query('KILL 999999')).rejects.toMatchObject({ errno: 1094 });
      const server = Number((await rows(atServer, 'SELECT ROW_COUNT() AS v'))[0]!.v);
      expect(server).toBe(-1);
      expect(Number((await rows(a, 'SELECT ROW_COUNT() AS v'))[0]!.v)).toBe(server);
    } finally {
      await atServer.end();
    }
  });
});
