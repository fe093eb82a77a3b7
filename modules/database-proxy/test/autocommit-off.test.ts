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
    await d.query(
      "CREATE PROCEDURE test.ac_writes_then_fails() BEGIN INSERT INTO test.ac_off VALUES (4001, 'p'); SELECT * FROM test.no_such_table; END",
    );
    await d.query('CREATE PROCEDURE test.ac_savepoint() SAVEPOINT s5');
  },
});
const client = file.clients.client;
const { fx, direct } = file;

async function rowsAtServer(id: number): Promise<number> {
  return Number((await one(direct(), 'SELECT COUNT(*) AS n FROM test.ac_off WHERE id = ?', [id])).n);
}

/**
 * Runs `steps` while another client holds a backend connection in a transaction: the one a
 * released connection would go to first, so a statement that should stay on its client's
 * connection and does not lands elsewhere.
 */
async function whileAnotherHolds(steps: () => Promise<void>): Promise<void> {
  const other = await hold(fx());
  try {
    await steps();
  } finally {
    await other.release();
  }
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
  it('a SAVEPOINT before the transaction’s first table keeps its connection: ROLLBACK TO it works, as at MariaDB (Django’s nested atomic())', async () => {
    // MariaDB keeps the savepoint but reports no transaction until a table is read or written;
    // the connection went back to the pool, another client took it, and the ROLLBACK TO ran
    // elsewhere: 1305 "SAVEPOINT s1 does not exist".
    const a = await client();
    await a.query('SET autocommit = 0');
    await a.query('SAVEPOINT s1');
    expect(fx().proxy.stats().pinnedNow.savepoint).toBe(1);
    await whileAnotherHolds(async () => {
      await a.query("INSERT INTO test.ac_off VALUES (5001, 'sp')");
      await a.query('ROLLBACK TO SAVEPOINT s1');
      await a.query("INSERT INTO test.ac_off VALUES (5002, 'sp')");
      await a.query('COMMIT');
    });
    expect([await rowsAtServer(5001), await rowsAtServer(5002)]).toEqual([0, 1]);
    expect(pinnedNow(fx()), 'the transaction over, nothing held').toBe(0);
    // Each way a transaction ends takes its savepoints with it (MariaDB answers 1305 after), and
    // the pin with them (BEGIN opens another transaction: that one holds the connection now).
    for (const end of ['COMMIT', 'ROLLBACK', 'BEGIN', 'SET autocommit = 1']) {
      await a.query('SET autocommit = 0');
      await a.query('SAVEPOINT s2');
      await a.query(end);
      expect(fx().proxy.stats().pinnedNow.savepoint, end).toBe(0);
      await a.query('ROLLBACK');
      expect(pinnedNow(fx()), end).toBe(0);
    }
    await a.query('SET autocommit = 1');
    await a.query('SAVEPOINT s3');
    expect(pinnedNow(fx())).toBe(0);
    // Prepared (MariaDB prepares SAVEPOINT too), as a driver with server-side statements sends it.
    await a.query('SET autocommit = 0');
    await a.execute('SAVEPOINT s4');
    await whileAnotherHolds(async () => {
      await a.execute("INSERT INTO test.ac_off VALUES (5003, 'sp')");
      await a.execute('ROLLBACK TO SAVEPOINT s4');
      await a.query('COMMIT');
    });
    expect(await rowsAtServer(5003)).toBe(0);
    // Taken inside a procedure, where the text does not show it.
    await a.query('CALL test.ac_savepoint()');
    // (A statement after it: a CALL's results hold its connection for the next one anyway.)
    await a.query('DO 1');
    await whileAnotherHolds(async () => {
      await a.query("INSERT INTO test.ac_off VALUES (5004, 'sp')");
      await a.query('ROLLBACK TO SAVEPOINT s5');
      await a.query('COMMIT');
    });
    expect(await rowsAtServer(5004)).toBe(0);
    await a.query('SET autocommit = 1');
  });

  it('a SAVEPOINT after a string ending in a backslash under NO_BACKSLASH_ESCAPES is seen: ROLLBACK TO it works', async () => {
    // Read with backslash escapes, `'C:\'` would run on to the end of the text and hide the
    // SAVEPOINT: the connection went back to the pool, and the ROLLBACK TO ran elsewhere (1305).
    const a = await client({ multipleStatements: true });
    await a.query("SET sql_mode = 'NO_BACKSLASH_ESCAPES'");
    await a.query('SET autocommit = 0');
    await a.query("DO 'C:\\'; SAVEPOINT s6");
    expect(fx().proxy.stats().pinnedNow.savepoint).toBe(1);
    await whileAnotherHolds(async () => {
      await a.query("INSERT INTO test.ac_off VALUES (5005, 'sp')");
      await a.query('ROLLBACK TO SAVEPOINT s6');
      await a.query('COMMIT');
    });
    expect(await rowsAtServer(5005)).toBe(0);
    await a.query('SET autocommit = 1');
  });

  it('an error before any table was locked holds nothing; one after (an unknown column, a CALL, a duplicate key) keeps the transaction, as at MariaDB', async () => {
    await direct().query("INSERT INTO test.ac_off VALUES (4000, 'taken')");
    const failing = [
      'SELEC 1',
      'SELECT * FROM test.no_such_table',
      'SELECT no_such_column FROM test.ac_off',
      'CALL test.ac_writes_then_fails()',
      "INSERT INTO test.ac_off VALUES (4000, 'dup')",
    ];
    // Whether each failing statement left a transaction open: at MariaDB, what it says.
    const own = await fx().direct();
    const server: number[] = [];
    try {
      await own.query('SET autocommit = 0');
      for (const sql of failing) {
        await own.query(sql).catch(() => {});
        server.push(Number((await one(own, 'SELECT @@in_transaction AS t')).t));
        await own.query('ROLLBACK');
      }
    } finally {
      await own.end();
    }
    expect(server).toEqual([0, 0, 1, 1, 1]);
    // Through the proxy: the transaction pin says the same, and the ROLLBACK reaches it (the
    // CALL's row is not left written on a connection another client then gets).
    const a = await client();
    await a.query('SET autocommit = 0');
    const pinned: number[] = [];
    for (const sql of failing) {
      await a.query(sql).catch(() => {});
      pinned.push(fx().proxy.stats().pinnedNow.transaction);
      await a.query('ROLLBACK');
    }
    expect(pinned).toEqual(server);
    expect(await rowsAtServer(4001)).toBe(0);
    // Two such clients on a pool of two: after their parse errors a third is served at once.
    const [b, c] = [await client(), await client()];
    await Promise.all([b, c].map((x) => x.query('SET autocommit = 0')));
    await Promise.all([b, c].map((x) => x.query('SELEC 1').catch(() => {})));
    // (The error is held for a SHOW WARNINGS for result_hold, not as a transaction.)
    expect(fx().proxy.stats().pinnedNow.transaction).toBe(0);
    expect(await one(await client(), 'SELECT 1 AS one')).toEqual({ one: 1 });
  });
});
