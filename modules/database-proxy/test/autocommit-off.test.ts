/**
 * Sessions with autocommit off (Python's DB-API drivers turn it off at connect, SQLAlchemy and
 * JDBC pools by transaction): autocommit is session state the proxy replays, so such a client
 * holds a backend connection for each transaction it opens — its first read or write of a table
 * — and for nothing between them. Against real MariaDB with a pool of two.
 */
import { describe, expect, it } from 'vitest';
import { backendOf, hold, one, pinnedNow, proxyConnectionsAtServer } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;

const file = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE TABLE test.ac_off (id INT PRIMARY KEY, who VARCHAR(20))');
  },
});
const client = file.clients.client;
const { fx, direct } = file;

async function rowsAtServer(id: number): Promise<number> {
  return Number((await one(direct(), 'SELECT COUNT(*) AS n FROM test.ac_off WHERE id = ?', [id])).n);
}

describe('autocommit off', () => {
  it('pins nothing by itself: twelve clients on two connections, each with its own transactions', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, () => client()));
    await Promise.all(all.map((c) => c.query('SET autocommit = 0')));
    expect(pinnedNow(fx()), 'nothing held between transactions').toBe(0);
    const backends = new Set<number>();
    await Promise.all(
      all.map(async (c, i) => {
        for (let round = 0; round < 4; round++) {
          const id = 1000 + i * 10 + round;
          await c.query('INSERT INTO test.ac_off VALUES (?, ?)', [id, `c${i}`]);
          // Its own transaction: its write is there for it, and not yet for anyone else.
          expect(
            await one(
              c,
              'SELECT @@autocommit AS ac, @@in_transaction AS t, COUNT(*) AS n FROM test.ac_off WHERE id = ?',
              [id],
            ),
          ).toEqual({
            ac: 0,
            t: 1,
            n: 1,
          });
          expect(await rowsAtServer(id)).toBe(0);
          if (round % 2 === 0) await c.query('COMMIT');
          else await c.query('ROLLBACK');
          expect(await rowsAtServer(id)).toBe(round % 2 === 0 ? 1 : 0);
          // Between transactions it may run anywhere, still with autocommit off.
          expect(await one(c, 'SELECT @@autocommit AS ac')).toEqual({ ac: 0 });
          backends.add(await backendOf(c));
        }
      }),
    );
    expect(backends.size).toBe(POOL);
    expect(pinnedNow(fx())).toBe(0);
    expect(fx().proxy.stats().counters.pins.autocommit_off).toBe(0);
    expect(await proxyConnectionsAtServer(direct())).toBeLessThanOrEqual(POOL);
  });

  it('a connection it left goes to the next client with autocommit on: that client’s write is committed at once', async () => {
    const a = await client();
    await a.query('SET autocommit = 0');
    // A statement that opens no transaction: A lets the connection go after it.
    const used = await backendOf(a);
    expect(pinnedNow(fx())).toBe(0);
    // With the other connection held, B can only have the one A left.
    const both = [await hold(fx()), await hold(fx())];
    const holder = both.find((h) => h.backendId !== used)!;
    await both.find((h) => h !== holder)!.release();
    try {
      const b = await client();
      await b.query("INSERT INTO test.ac_off VALUES (2001, 'b')");
      expect(await backendOf(b)).toBe(used);
      expect(await rowsAtServer(2001)).toBe(1);
      expect(await one(b, 'SELECT @@autocommit AS ac')).toEqual({ ac: 1 });
      expect(pinnedNow(fx())).toBe(1); // the holder's transaction only
    } finally {
      await holder.release();
    }
    // And A, on whichever connection, still has it off.
    expect(await one(a, 'SELECT @@autocommit AS ac')).toEqual({ ac: 0 });
  });

  it('an open transaction keeps its connection: no one else runs there, and a client that leaves has it rolled back', async () => {
    const a = await client();
    await a.query('SET autocommit = 0');
    await a.query("INSERT INTO test.ac_off VALUES (3001, 'a')");
    const mine = await backendOf(a);
    expect(fx().proxy.stats().pinnedNow.transaction).toBe(1);
    // Every other client's statement runs on the other connection meanwhile.
    const others = await Promise.all(Array.from({ length: 6 }, () => client()));
    for (const c of others) expect(await backendOf(c)).not.toBe(mine);
    a.destroy();
    file.clients.forget(a);
    // Its write never lands: the proxy rolls the transaction back before the connection is reused.
    const after = await Promise.all(
      others.map((c) => one(c, 'SELECT COUNT(*) AS n FROM test.ac_off WHERE id = 3001')),
    );
    expect(after.map((r) => Number(r.n))).toEqual(others.map(() => 0));
    expect(await rowsAtServer(3001)).toBe(0);
  });
  it('an error before any table was opened holds nothing; a duplicate key keeps the transaction it opened, as at MariaDB', async () => {
    await direct().query("INSERT INTO test.ac_off VALUES (4000, 'taken')");
    const inTransaction = async (c: Awaited<ReturnType<typeof client>>) =>
      Number((await one(c, 'SELECT @@in_transaction AS t')).t);
    const steps = async (c: Awaited<ReturnType<typeof client>>) => {
      await c.query('SET autocommit = 0');
      const after: number[] = [];
      for (const sql of [
        'SELEC 1',
        'SELECT * FROM test.no_such_table',
        "INSERT INTO test.ac_off VALUES (4000, 'dup')",
      ]) {
        await c.query(sql).catch(() => {});
        after.push(await inTransaction(c));
      }
      await c.query('ROLLBACK');
      return after;
    };
    const own = await fx().direct();
    const server = await steps(own).finally(() => own.end());
    expect(server).toEqual([0, 0, 1]);
    // Through the proxy, two such clients on a pool of two: after their parse errors a third
    // client is served at once (the pool's two connections are not held).
    const [a, b] = [await client(), await client()];
    await Promise.all([a, b].map((c) => c.query('SET autocommit = 0')));
    await Promise.all([a, b].map((c) => c.query('SELEC 1').catch(() => {})));
    // (The error is held for a SHOW WARNINGS for result_hold, not as a transaction.)
    expect(fx().proxy.stats().pinnedNow.transaction).toBe(0);
    expect(await one(await client(), 'SELECT 1 AS one')).toEqual({ one: 1 });
    expect(await steps(a)).toEqual(server);
  });
});
