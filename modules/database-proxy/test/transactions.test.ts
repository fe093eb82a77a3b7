/**
 * Transactions through the proxy (PROXY-NOTES hazards 9–13), against real MariaDB with a pool of
 * two: a client inside a transaction keeps its backend, whatever else runs; a client that leaves
 * mid-transaction has it rolled back before anyone else gets the backend.
 */
import {
  buildPing,
  SERVER_STATUS_IN_TRANS,
  SERVER_STATUS_IN_TRANS_READONLY,
} from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  backendOf,
  failure,
  hold,
  onEveryBackend,
  one,
  pinnedNow,
  rows,
  sentAndPlaced,
} from './support/backends.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { rawLogin } from './support/raw-login.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;

async function committed(v: string): Promise<number> {
  return Number((await one(direct, 'SELECT COUNT(*) AS n FROM trx WHERE v = ?', [v])).n);
}

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL });
  direct = await fx.direct();
  await direct.query('CREATE TABLE trx (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)) ENGINE=InnoDB');
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

describe('explicit transactions', () => {
  it('keep one backend for the whole transaction while other clients run', async () => {
    const a = await client();
    const b = await client();
    const transactionsBefore = fx.proxy.stats().counters.pins.transaction;
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO trx (v) VALUES ('explicit')");
    const mine = await backendOf(a);
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    expect(fx.proxy.stats().counters.pins.transaction).toBe(transactionsBefore + 1);
    for (let i = 0; i < 5; i++) {
      const [aRow, bRow] = await Promise.all([
        one(a, "SELECT CONNECTION_ID() AS id, COUNT(*) AS n FROM trx WHERE v = 'explicit'"),
        one(b, "SELECT CONNECTION_ID() AS id, COUNT(*) AS n FROM trx WHERE v = 'explicit'"),
      ]);
      expect(aRow).toEqual({ id: mine, n: 1 });
      expect(bRow.id).not.toBe(mine);
      expect(bRow.n).toBe(0);
    }
    await a.query('COMMIT');
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(0);
    expect((await one(b, "SELECT COUNT(*) AS n FROM trx WHERE v = 'explicit'")).n).toBe(1);
    // Both backends are free for others again.
    expect(await onEveryBackend(fx, POOL, 'SELECT 1 AS one')).toHaveLength(POOL);
  });

  it('ROLLBACK undoes everything the client did inside it', async () => {
    const a = await client();
    await a.query('BEGIN');
    await a.query("INSERT INTO trx (v) VALUES ('rolled-back')");
    expect((await one(a, "SELECT COUNT(*) AS n FROM trx WHERE v = 'rolled-back'")).n).toBe(1);
    await a.query('ROLLBACK');
    expect((await one(a, "SELECT COUNT(*) AS n FROM trx WHERE v = 'rolled-back'")).n).toBe(0);
    expect(await committed('rolled-back')).toBe(0);
  });

  it('savepoints work inside the pinned transaction', async () => {
    const a = await client();
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO trx (v) VALUES ('sp-kept')");
    await a.query('SAVEPOINT s1');
    await a.query("INSERT INTO trx (v) VALUES ('sp-undone')");
    await a.query('ROLLBACK TO SAVEPOINT s1');
    await a.query('COMMIT');
    expect(await committed('sp-kept')).toBe(1);
    expect(await committed('sp-undone')).toBe(0);
  });
});

describe('lazy BEGIN: answered by the proxy, opened on a backend with the first statement', () => {
  const IN_TRANS = 1;
  const comBegin = async () => Number((await one(direct, "SHOW GLOBAL STATUS LIKE 'Com_begin'")).Value);
  const serverStatus = async (c: mysql.Connection, sql: string) => {
    const [r] = await c.query<mysql.ResultSetHeader>(sql);
    return r.serverStatus;
  };

  it('BEGIN reports IN_TRANS as MariaDB does, holds no backend, and its first read sees one snapshot', async () => {
    const a = await client();
    const counters = () => fx.proxy.stats().counters;
    const { lazyBegins, queries } = counters();
    // The proxy's BEGIN answers with MariaDB's own status flags.
    const directStatus = await serverStatus(direct, 'BEGIN');
    await direct.query('ROLLBACK');
    expect(await serverStatus(a, 'BEGIN')).toBe(directStatus);
    expect(directStatus & IN_TRANS).toBe(IN_TRANS);
    expect(counters()).toMatchObject({ lazyBegins: lazyBegins + 1, queries });
    expect(fx.proxy.stats().clients.find((c) => c.lazyBegin)).toMatchObject({ pinned: [] });
    expect(pinnedNow(fx)).toBe(0);

    // Committed before the first read: seen, as on MariaDB (a plain BEGIN's snapshot is taken
    // by the first read). Committed after it: not seen until COMMIT.
    await direct.query("INSERT INTO trx (v) VALUES ('lazy-before')");
    const first = await one(
      a,
      "SELECT @@in_transaction AS t, CONNECTION_ID() AS id, COUNT(*) AS n FROM trx WHERE v LIKE 'lazy-%'",
    );
    expect(first).toMatchObject({ t: 1, n: 1 });
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    await direct.query("INSERT INTO trx (v) VALUES ('lazy-after')");
    expect(
      await one(a, "SELECT CONNECTION_ID() AS id, COUNT(*) AS n FROM trx WHERE v LIKE 'lazy-%'"),
    ).toEqual({
      id: first.id,
      n: 1,
    });
    expect((await serverStatus(a, 'COMMIT')) & IN_TRANS).toBe(0);
    expect(pinnedNow(fx)).toBe(0);
    expect((await one(a, "SELECT COUNT(*) AS n FROM trx WHERE v LIKE 'lazy-%'")).n).toBe(2);
  });

  it('BEGIN then COMMIT or ROLLBACK with nothing between never reaches a backend', async () => {
    const a = await client();
    const { lazyBegins, emptyTransactions, queries } = fx.proxy.stats().counters;
    const beginsAtServer = await comBegin();
    for (const end of ['COMMIT', 'ROLLBACK', 'commit work']) {
      await a.query('START TRANSACTION');
      expect((await serverStatus(a, end)) & IN_TRANS).toBe(0);
    }
    // BEGIN; BEGIN: the second commits the (empty) first and opens another, still lazily.
    await a.query('BEGIN');
    await a.query('BEGIN WORK');
    await a.query('ROLLBACK');
    expect(fx.proxy.stats().counters).toMatchObject({
      lazyBegins: lazyBegins + 5,
      emptyTransactions: emptyTransactions + 4,
      queries,
    });
    expect(await comBegin()).toBe(beginsAtServer);
  });

  it('a write as the first statement runs inside the transaction: ROLLBACK undoes it', async () => {
    const a = await client();
    const beginsAtServer = await comBegin();
    await a.query('BEGIN');
    await a.query("INSERT INTO trx (v) VALUES ('lazy-write')");
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    expect(await committed('lazy-write')).toBe(0);
    await a.query('ROLLBACK');
    expect(await committed('lazy-write')).toBe(0);
    expect(await comBegin()).toBe(beginsAtServer + 1);
  });

  it('prepared BEGIN, COMMIT and ROLLBACK (COM_STMT_EXECUTE) behave the same', async () => {
    const a = await client();
    const { lazyBegins, emptyTransactions } = fx.proxy.stats().counters;
    await a.execute('BEGIN');
    await a.execute('COMMIT');
    await a.execute('BEGIN');
    await a.execute('INSERT INTO trx (v) VALUES (?)', ['lazy-prepared']);
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    await a.execute('ROLLBACK');
    expect(await committed('lazy-prepared')).toBe(0);
    expect(fx.proxy.stats().counters).toMatchObject({
      lazyBegins: lazyBegins + 2,
      emptyTransactions: emptyTransactions + 1,
    });
    expect(pinnedNow(fx)).toBe(0);
  });

  it('forms with characteristics or an executable comment, and BEGIN inside a pinned session, go to the backend at once', async () => {
    const a = await client();
    const { lazyBegins } = fx.proxy.stats().counters;
    for (const begin of [
      'START TRANSACTION WITH CONSISTENT SNAPSHOT',
      'START TRANSACTION READ ONLY',
      '/*!40101 BEGIN */',
    ]) {
      await a.query(begin);
      expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
      await a.query('ROLLBACK');
    }
    await a.query('SET @pinned = 1');
    await a.query('BEGIN');
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    await a.query('COMMIT');
    expect(fx.proxy.stats().counters.lazyBegins).toBe(lazyBegins);
  });

  it('COM_RESET_CONNECTION drops a lazy BEGIN: the next statement runs outside a transaction', async () => {
    const a = await client();
    await a.query('BEGIN');
    await a.reset();
    expect((await one(a, 'SELECT @@in_transaction AS t')).t).toBe(0);
    expect(fx.proxy.stats().clients.some((c) => c.lazyBegin)).toBe(false);
  });
});

describe('implicit transactions (autocommit=0)', () => {
  it('a SELECT after SET autocommit=0 opens a transaction: its snapshot stays on one backend', async () => {
    const a = await client();
    await a.query('SET autocommit = 0');
    const first = await one(a, "SELECT COUNT(*) AS n, CONNECTION_ID() AS id FROM trx WHERE v = 'snapshot'");
    // Committed by someone else after A's snapshot was taken: invisible to A until it commits.
    await direct.query("INSERT INTO trx (v) VALUES ('snapshot')");
    const b = await client();
    for (let i = 0; i < 3; i++) {
      const row = await one(a, "SELECT COUNT(*) AS n, CONNECTION_ID() AS id FROM trx WHERE v = 'snapshot'");
      expect(row).toEqual(first);
      expect(await backendOf(b)).not.toBe(first.id);
    }
    await a.query('COMMIT');
    expect((await one(a, "SELECT COUNT(*) AS n FROM trx WHERE v = 'snapshot'")).n).toBe(Number(first.n) + 1);
    await a.query('SET autocommit = 1');
  });

  it('writes stay uncommitted until COMMIT, then SET autocommit=1 frees the backend', async () => {
    const a = await client();
    const b = await client();
    await a.query('SET autocommit = 0');
    await a.query("INSERT INTO trx (v) VALUES ('implicit')");
    const mine = await backendOf(a);
    for (let i = 0; i < 3; i++) {
      expect((await one(b, "SELECT COUNT(*) AS n FROM trx WHERE v = 'implicit'")).n).toBe(0);
      expect(
        (await one(a, "SELECT COUNT(*) AS n, CONNECTION_ID() AS id FROM trx WHERE v = 'implicit'")).n,
      ).toBe(1);
      expect(await backendOf(a)).toBe(mine);
    }
    expect(await committed('implicit')).toBe(0);
    await a.query('COMMIT');
    expect(await committed('implicit')).toBe(1);
    await a.query('SET autocommit = 1');
    expect(pinnedNow(fx)).toBe(0);
    // Nobody inherits autocommit=0 from A.
    const seen = await onEveryBackend(
      fx,
      POOL,
      "SELECT VARIABLE_VALUE AS v FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = 'AUTOCOMMIT'",
    );
    expect(seen.map((s) => s.rows[0]!.v)).toEqual(['ON', 'ON']);
  });
});

describe('a client that leaves mid-transaction', () => {
  it.each(['COM_QUIT', 'socket close'] as const)(
    'after %s its transaction is rolled back before the next client gets the backend',
    async (how) => {
      const tag = `ghost-${how}`;
      // The holder keeps the other backend, so B can only get A's.
      const holder = await hold(fx);
      try {
        const a = await client();
        await a.query('START TRANSACTION');
        await a.query('INSERT INTO trx (v) VALUES (?)', [tag]);
        expect(await backendOf(a)).not.toBe(holder.backendId);

        const b = await client();
        const answer = one(
          b,
          'SELECT @@in_transaction AS inTrx, (SELECT COUNT(*) FROM trx WHERE v = ?) AS ghosts, CONNECTION_ID() AS id',
          [tag],
        );
        await waitFor(() => fx.proxy.stats().waiting >= 1, { what: 'B to wait for a backend' });
        if (how === 'COM_QUIT') await a.end();
        else a.destroy();
        const row = await answer;
        expect(row.inTrx).toBe(0);
        expect(row.ghosts).toBe(0);
        expect(row.id).not.toBe(holder.backendId);
      } finally {
        await holder.release();
      }
      expect(await committed(tag)).toBe(0);
    },
  );

  it('with autocommit=0 and pending writes, nothing is committed and nobody inherits autocommit=0', async () => {
    const a = await client();
    await a.query('SET autocommit = 0');
    await a.query("INSERT INTO trx (v) VALUES ('ghost-autocommit')");
    a.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'A to leave the proxy' });
    const seen = await onEveryBackend(
      fx,
      POOL,
      "SELECT (SELECT VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = 'AUTOCOMMIT') AS ac, (SELECT COUNT(*) FROM trx WHERE v = 'ghost-autocommit') AS ghosts",
    );
    expect(seen.map((s) => s.rows[0])).toEqual([
      { ac: 'ON', ghosts: 0 },
      { ac: 'ON', ghosts: 0 },
    ]);
    expect(await committed('ghost-autocommit')).toBe(0);
  });
});

describe('errors inside a transaction', () => {
  it('an error with unknown transaction state keeps the pin', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      await a.query('START TRANSACTION');
      await a.query("INSERT INTO trx (id, v) VALUES (1000, 'dup')");
      const mine = await backendOf(a);
      const err = await failure(a.query("INSERT INTO trx (id, v) VALUES (1000, 'dup')"));
      expect(err.errno).toBe(1062); // ER_DUP_ENTRY: the server keeps the transaction open
      // B asks now; it must not be handed A's backend (it would land inside A's transaction).
      const b = await client();
      const answer = one(b, 'SELECT COUNT(*) AS n, @@in_transaction AS inTrx FROM trx WHERE id = 1000');
      await waitFor(() => fx.proxy.stats().waiting >= 1, { what: 'B to wait for a backend' });
      const still = await one(a, 'SELECT COUNT(*) AS n, CONNECTION_ID() AS id FROM trx WHERE id = 1000');
      expect(still).toEqual({ n: 1, id: mine });
      await a.query('ROLLBACK');
      expect(await answer).toEqual({ n: 0, inTrx: 0 });
    } finally {
      await holder.release();
    }
    expect(Number((await one(direct, 'SELECT COUNT(*) AS n FROM trx WHERE id = 1000')).n)).toBe(0);
  });

  /**
   * Asks for a backend for a fresh client `b` while the holder keeps the pool's other backend,
   * so the only one B could get is A's: B must wait for a slot (`waiting` 1), not run inside A's
   * transaction. B's answer (wrapped, see sentAndPlaced) is what it sees of row `id`, and whether
   * it is in a transaction.
   */
  async function queuedBehind(
    id: number,
    options?: mysql.ConnectionOptions,
  ): Promise<{ outcome: Promise<unknown> }> {
    const b = await client(options);
    const { outcome } = await sentAndPlaced(
      fx,
      one(b, 'SELECT COUNT(*) AS n, @@in_transaction AS t FROM trx WHERE id = ?', [id]),
    );
    expect(fx.proxy.stats().waiting).toBe(1);
    return { outcome };
  }

  /** The pins the proxy reports for client `c` now. */
  const pinsOf = (c: mysql.Connection) => fx.proxy.stats().clients.find((x) => x.id === c.threadId)?.pinned;

  it('a multi-statement text that opens a transaction and fails inside it keeps the pin, as MariaDB keeps the transaction', async () => {
    const text = (id: number) =>
      `START TRANSACTION; INSERT INTO trx (id, v) VALUES (${id}, 'ms-first'); INSERT INTO trx (id, v) VALUES (${id}, 'ms-dup')`;
    const after = (c: mysql.Connection, id: number) =>
      one(c, 'SELECT @@in_transaction AS t, COUNT(*) AS n FROM trx WHERE id = ?', [id]);
    // MariaDB itself: the error ends the text, not the transaction the text opened.
    const own = await fx.direct({ multipleStatements: true });
    const server = await (async () => {
      const { errno } = await failure(own.query(text(3002)));
      const seen = await after(own, 3002);
      await own.query('ROLLBACK');
      return { errno, ...seen, kept: await committed('ms-first') };
    })().finally(() => own.end());
    expect(server).toEqual({ errno: 1062, t: 1, n: 1, kept: 0 });

    const holder = await hold(fx);
    try {
      const a = await client({ multipleStatements: true });
      const { errno } = await failure(a.query(text(3001)));
      expect(pinsOf(a)).toContain('transaction');
      // B has A's flavour: were A's backend back in the pool, B would run on it, in A's transaction.
      const { outcome: bAnswer } = await queuedBehind(3001, { multipleStatements: true });
      const seen = await after(a, 3001);
      expect(fx.proxy.stats().waiting).toBe(1);
      await a.query('ROLLBACK');
      expect({ errno, ...seen, kept: await committed('ms-first') }).toEqual(server);
      expect(await bAnswer).toEqual({ n: 0, t: 0 });
    } finally {
      await holder.release();
    }
  });

  it('under autocommit=0 a failing first statement leaves the transaction open, and ROLLBACK undoes the writes after it', async () => {
    await direct.query("INSERT INTO trx (id, v) VALUES (3100, 'ac0-existing')");
    /** The steps, for a client `c` writing row `id`; `between` runs after the second failure. */
    const steps = async (c: mysql.Connection, id: number, between?: () => Promise<void>) => {
      await c.query('SET autocommit = 0');
      const dup = "INSERT INTO trx (id, v) VALUES (3100, 'ac0-dup')";
      // The first statement of the implicit transaction fails.
      const first = (await failure(c.query(dup))).errno;
      const afterFirst = (await one(c, 'SELECT @@in_transaction AS t')).t;
      await c.query('INSERT INTO trx (id, v) VALUES (?, ?)', [id, 'ac0-write']);
      const second = (await failure(c.query(dup))).errno;
      await between?.();
      const afterSecond = await one(c, 'SELECT @@in_transaction AS t, COUNT(*) AS n FROM trx WHERE id = ?', [
        id,
      ]);
      await c.query('ROLLBACK');
      const kept = Number((await one(direct, 'SELECT COUNT(*) AS n FROM trx WHERE id = ?', [id])).n);
      await c.query('SET autocommit = 1');
      return { first, afterFirst, second, ...afterSecond, kept };
    };
    const own = await fx.direct();
    const server = await steps(own, 3102).finally(() => own.end());
    expect(server).toMatchObject({ first: 1062, second: 1062, t: 1, n: 1, kept: 0 });

    const holder = await hold(fx);
    try {
      const a = await client();
      let bAnswer: Promise<unknown> | undefined;
      const viaProxy = await steps(a, 3101, async () => {
        expect(pinsOf(a)).toEqual(expect.arrayContaining(['transaction']));
        ({ outcome: bAnswer } = await queuedBehind(3101));
      });
      expect(viaProxy).toEqual(server);
      expect(await bAnswer).toEqual({ n: 0, t: 0 });
    } finally {
      await holder.release();
    }
  });

  it('a lock wait timeout (1205) inside a transaction leaves it open and pinned, as MariaDB does', async () => {
    await direct.query("INSERT INTO trx (id, v) VALUES (3200, 'lw-locked')");
    // Another session holds the row's lock until the end of the test.
    const locker = await fx.direct();
    await locker.query('START TRANSACTION');
    await locker.query("UPDATE trx SET v = 'lw-locker' WHERE id = 3200");
    try {
      const steps = async (c: mysql.Connection, id: number, between?: () => Promise<void>) => {
        await c.query('SET SESSION innodb_lock_wait_timeout = 1');
        await c.query('START TRANSACTION');
        await c.query('INSERT INTO trx (id, v) VALUES (?, ?)', [id, 'lw-write']);
        const started = performance.now();
        const { errno } = await failure(c.query("UPDATE trx SET v = 'lw-waiter' WHERE id = 3200"));
        const waited = performance.now() - started;
        await between?.();
        const after = await one(c, 'SELECT @@in_transaction AS t, COUNT(*) AS n FROM trx WHERE id = ?', [id]);
        await c.query('ROLLBACK');
        const kept = Number((await one(direct, 'SELECT COUNT(*) AS n FROM trx WHERE id = ?', [id])).n);
        return { result: { errno, ...after, kept }, waited };
      };
      const own = await fx.direct();
      const server = await steps(own, 3202).finally(() => own.end());
      // innodb_rollback_on_timeout is off: only the statement is rolled back.
      expect(server.result).toEqual({ errno: 1205, t: 1, n: 1, kept: 0 });

      const holder = await hold(fx);
      try {
        const a = await client();
        let bAnswer: Promise<unknown> | undefined;
        const viaProxy = await steps(a, 3201, async () => {
          expect(pinsOf(a)).toContain('transaction');
          ({ outcome: bAnswer } = await queuedBehind(3201));
        });
        expect(viaProxy.result).toEqual(server.result);
        // It was the server's timeout (the session's, replayed), not some other error.
        expect(viaProxy.waited).toBeGreaterThanOrEqual(900);
        expect(await bAnswer).toEqual({ n: 0, t: 0 });
      } finally {
        await holder.release();
      }
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it('a deadlock victim (transaction rolled back by the server) can go on', async () => {
    await direct.query("INSERT INTO trx (id, v) VALUES (2001, 'dl'), (2002, 'dl')");
    const a = await client();
    const b = await client();
    await a.query('START TRANSACTION');
    await b.query('START TRANSACTION');
    await a.query("UPDATE trx SET v = 'a' WHERE id = 2001");
    await b.query("UPDATE trx SET v = 'b' WHERE id = 2002");
    // Two open transactions: two different backends.
    expect(await backendOf(b)).not.toBe(await backendOf(a));
    const aWaits = a.query("UPDATE trx SET v = 'a' WHERE id = 2002").then(
      () => null,
      (e: { errno?: number }) => e.errno,
    );
    let aSettled = false;
    void aWaits.then(() => {
      aSettled = true;
    });
    let snapshot = '';
    await waitFor(
      async () => {
        // The server's own view of A's statement: in the process list while it waits for B's
        // row lock (INNODB_TRX's lock state proved too slow to show up under load).
        const running = await rows(
          direct,
          "SELECT ID AS id, STATE AS state, INFO AS q FROM information_schema.PROCESSLIST WHERE INFO = 'UPDATE trx SET v = ''a'' WHERE id = 2002'",
        );
        snapshot = `A settled: ${aSettled}; server: ${JSON.stringify(running)}; proxy: ${JSON.stringify(fx.proxy.stats().clients)}`;
        return running.length === 1 && !aSettled;
      },
      { what: 'A to wait for the row lock' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${snapshot}`);
    });
    const bResult = await b.query("UPDATE trx SET v = 'b' WHERE id = 2001").then(
      () => null,
      (e: { errno?: number }) => e.errno,
    );
    const aResult = await aWaits;
    // Exactly one of them is the deadlock victim (1213); the other's UPDATE went through.
    expect(new Set([aResult, bResult])).toEqual(new Set([1213, null]));
    await a.query('COMMIT');
    await b.query('COMMIT');
    for (const c of [a, b]) expect((await one(c, 'SELECT 1 AS one')).one).toBe(1);
  });
});

describe('transaction characteristics and savepoints', () => {
  it('SET TRANSACTION applies to the client’s own next transaction only, as on MariaDB itself', async () => {
    /**
     * Under READ COMMITTED a transaction sees rows others commit meanwhile; under the default
     * REPEATABLE READ it does not. Returns what each of two transactions in a row saw.
     */
    const twoTransactions = async (c: mysql.Connection, tag: string, between?: () => Promise<void>) => {
      const seen: number[] = [];
      await c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await between?.();
      for (let t = 0; t < 2; t++) {
        await c.query('START TRANSACTION');
        const n1 = Number((await one(c, 'SELECT COUNT(*) AS n FROM trx WHERE v = ?', [tag])).n);
        await direct.query('INSERT INTO trx (v) VALUES (?)', [tag]);
        const n2 = Number((await one(c, 'SELECT COUNT(*) AS n FROM trx WHERE v = ?', [tag])).n);
        await c.query('COMMIT');
        seen.push(n2 - n1);
      }
      return seen;
    };
    const own = await fx.direct();
    const oracle = await twoTransactions(own, 'iso-direct').finally(() => own.end());
    expect(oracle).toEqual([1, 0]);

    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      // B asks for a backend between A's SET TRANSACTION and A's transaction: with the holder
      // in place it could only get A's.
      let bAnswer: Promise<unknown> | undefined;
      const viaProxy = await twoTransactions(a, 'iso-proxy', async () => {
        let bDone = false;
        bAnswer = one(b, "SELECT COUNT(*) AS n FROM trx WHERE v = 'iso-b'").finally(() => {
          bDone = true;
        });
        await waitFor(() => bDone || fx.proxy.stats().waiting >= 1, {
          what: "B's statement to run or queue",
        });
      });
      expect(viaProxy).toEqual(oracle);
      await bAnswer;
    } finally {
      await holder.release();
    }
  });

  it('SET @@tx_read_only (no scope word) makes the client’s own next transaction read-only, never another client’s', async () => {
    // On the server itself: the next transaction only, and the session's value never changes.
    const own = await fx.direct();
    try {
      await own.query('SET @@tx_read_only = 1');
      expect(Number((await one(own, 'SELECT @@session.tx_read_only AS ro')).ro)).toBe(0);
      await own.query('START TRANSACTION');
      const oracle = await failure(own.query("INSERT INTO trx (v) VALUES ('ro-direct')"));
      expect(oracle.errno).toBe(1792); // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
      await own.query('ROLLBACK');
      await own.query('START TRANSACTION');
      await own.query("INSERT INTO trx (v) VALUES ('ro-direct-after')");
      await own.query('ROLLBACK');
    } finally {
      await own.end();
    }

    const a = await client();
    const b1 = await client();
    const b2 = await client();
    await a.query('SET @@tx_read_only = 1');
    // Two transactions of others at once take two backends: with a pool of two, one of them
    // would be the connection A's SET ran on, were A not kept on it.
    await b1.query('START TRANSACTION');
    await b1.query("INSERT INTO trx (v) VALUES ('ro-b1')");
    let b2Settled = false;
    const b2Insert = (async () => {
      await b2.query('START TRANSACTION');
      await b2.query("INSERT INTO trx (v) VALUES ('ro-b2')");
    })().finally(() => {
      b2Settled = true;
    });
    await waitFor(() => b2Settled || fx.proxy.stats().waiting >= 1, {
      what: "B2's transaction to run or queue",
    });
    expect(fx.proxy.stats().pinnedNow.next_transaction).toBe(1);

    await a.query('START TRANSACTION');
    expect((await failure(a.query("INSERT INTO trx (v) VALUES ('ro-a')"))).errno).toBe(1792);
    await a.query('ROLLBACK');
    await b2Insert;
    await b1.query('COMMIT');
    await b2.query('COMMIT');

    // The transaction after is an ordinary one again, wherever it runs.
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO trx (v) VALUES ('ro-a-after')");
    await a.query('COMMIT');
    expect(fx.proxy.stats().pinnedNow.next_transaction).toBe(0);
    for (const [v, n] of [
      ['ro-b1', 1],
      ['ro-b2', 1],
      ['ro-a', 0],
      ['ro-a-after', 1],
    ] as const)
      expect(await committed(v)).toBe(n);

    // A client that leaves before its read-only transaction leaves no backend read-only —
    // however it said so: in an executable comment (mysqldump's form), after another statement.
    for (const sql of [
      "SET @@tx_read_only = 1, @@tx_isolation = 'SERIALIZABLE'",
      '/*!SET TRANSACTION READ ONLY*/',
      'DO 1; SET TRANSACTION READ ONLY',
    ]) {
      const leaver = await client({ multipleStatements: true });
      await leaver.query(sql);
      expect(fx.proxy.stats().pinnedNow.next_transaction).toBe(1);
      await leaver.end();
      await waitFor(() => fx.proxy.stats().pinnedNow.next_transaction === 0, {
        what: 'the leaver’s pin to end',
      });
      const inserted = await onEveryBackend(fx, POOL, "INSERT INTO trx (v) VALUES ('ro-after-leaver')");
      expect(inserted).toHaveLength(POOL);
    }
  });

  it('SET autocommit=1 commits and forgets savepoints, as MariaDB does, and unpins', async () => {
    const steps = async (c: mysql.Connection, tag: string) => {
      await c.query('SET autocommit = 0');
      await c.query('INSERT INTO trx (v) VALUES (?)', [tag]);
      await c.query('SAVEPOINT s10');
      await c.query('SET autocommit = 1');
      return (await failure(c.query('ROLLBACK TO SAVEPOINT s10'))).errno;
    };
    const a = await client();
    const viaProxy = await steps(a, 'sp10-proxy');
    const viaServer = await steps(direct, 'sp10-direct');
    expect(viaProxy).toBe(viaServer); // 1305: SAVEPOINT does not exist
    expect(await committed('sp10-proxy')).toBe(1);
    // Only the failed ROLLBACK's error is held (for SHOW ERRORS), until the next statement.
    expect(fx.proxy.stats().clients.find((c) => c.pinned.length > 0)?.pinned ?? []).toEqual([
      'previous_result',
    ]);
    await a.query('SELECT 1');
    expect(pinnedNow(fx)).toBe(0);
  });
});

describe('COMMIT / ROLLBACK that end the session', () => {
  /**
   * `execute: SQL` runs SQL as a prepared statement (COM_STMT_EXECUTE), anything else as text;
   * a text may hold several statements. Resolves whether the server answered or closed first.
   */
  const finish = (c: mysql.Connection, end: string) =>
    (end.startsWith('execute: ') ? c.execute(end.slice('execute: '.length)) : c.query(end)).then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );

  it.each([
    ['COMMIT RELEASE', undefined, 'COMMIT RELEASE', 1],
    ['ROLLBACK WORK RELEASE', undefined, 'ROLLBACK WORK RELEASE', 0],
    ['completion_type=RELEASE', "SET SESSION completion_type = 'RELEASE'", 'COMMIT', 1],
    ['prepared COMMIT RELEASE', undefined, 'execute: COMMIT RELEASE', 1],
    // The last statement of a multi-statement text, or one with more after it (never run).
    ['DO 0; COMMIT RELEASE', undefined, 'DO 0; COMMIT RELEASE', 1],
    ['COMMIT RELEASE; DO 0', undefined, 'COMMIT RELEASE; DO 0', 1],
    ['completion DO 0; COMMIT', "SET SESSION completion_type = 'RELEASE'", 'DO 0; COMMIT', 1],
  ] as const)(
    '%s closes the client as MariaDB does, and that backend goes to nobody else',
    async (name, setup, end, kept) => {
      const tag = `release-${name}`;
      // mysql2 refuses a query on a connection it already saw close with no code, only a message.
      const outcome = async (c: mysql.Connection) =>
        c.query('SELECT 1').then(
          () => 'still connected',
          (e: { code?: string; message: string }) =>
            e.code ?? (/closed state/.test(e.message) ? 'CLOSED_STATE' : e.message),
        );
      // MariaDB itself, for comparison.
      const d = await connectAsBackendUser(fx, { multipleStatements: true });
      d.on('error', () => {});
      if (setup) await d.query(setup);
      await d.query('BEGIN');
      const serverAnswer = await finish(d, end);
      // How the next query learns of it (a reset, or the close read first) depends on timing.
      const LOST = ['ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'EPIPE', 'CLOSED_STATE'];
      const server = await outcome(d);
      d.destroy();
      expect(LOST).toContain(server);

      const a = await client({ multipleStatements: true });
      a.on('error', () => {});
      if (setup) await a.query(setup);
      await a.query('BEGIN');
      await a.query('INSERT INTO trx (v) VALUES (?)', [tag]);
      const mine = await backendOf(a);
      // Answered when the text ends with the release; closed mid-answer when more follows.
      expect(await finish(a, end)).toBe(serverAnswer);
      expect(LOST).toContain(await outcome(a));
      clients.forget(a);
      a.destroy();
      expect(await committed(tag)).toBe(kept);
      // The pool hands out live connections only: never the one the server closed.
      const backends = await onEveryBackend(fx, POOL, 'SELECT 1 AS one');
      expect(backends.map((x) => x.backendId)).not.toContain(mine);
    },
  );
});

describe('table locks', () => {
  it('LOCK TABLES pins until UNLOCK TABLES, which allows sharing again', async () => {
    const a = await client();
    const before = fx.proxy.stats().counters.pins.table_lock;
    await a.query('LOCK TABLES trx WRITE');
    expect(fx.proxy.stats().counters.pins.table_lock).toBe(before + 1);
    expect(fx.proxy.stats().pinnedNow.table_lock).toBe(1);
    const mine = await backendOf(a);
    await a.query("INSERT INTO trx (v) VALUES ('locked')");
    expect(await backendOf(a)).toBe(mine);
    await a.query('UNLOCK TABLES');
    expect(fx.proxy.stats().pinnedNow.table_lock).toBe(0);
    expect(await committed('locked')).toBe(1);
    expect(await onEveryBackend(fx, POOL, 'SELECT 1 AS one')).toHaveLength(POOL);
  });

  it('while one client holds LOCK TABLES … WRITE, another’s INSERT waits at the server on its own backend until UNLOCK TABLES', async () => {
    await direct.query('CREATE TABLE locked_w (id INT PRIMARY KEY, who VARCHAR(10)) ENGINE=InnoDB');
    const a = await client();
    const b = await client();
    await a.query('LOCK TABLES locked_w WRITE');
    await a.query("INSERT INTO locked_w VALUES (1, 'a')");
    const aBackend = await backendOf(a);
    const bSql = "INSERT INTO locked_w VALUES (2, 'b')";
    const bInsert = watch(b.query(bSql));
    // On A's connection the INSERT would pass the lock at once; elsewhere it waits for it.
    const waiter = await waitFor(
      async () => {
        const r = await rows(
          direct,
          "SELECT ID AS id, STATE AS state FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO = ?",
          [bSql],
        );
        return r.length === 1 && r[0]!.state === 'Waiting for table metadata lock' ? r[0] : undefined;
      },
      { what: "B's INSERT to wait for A's table lock at the server" },
    );
    expect(Number(waiter.id)).not.toBe(aBackend);
    expect(bInsert.state).toBe('pending');
    // A goes on, on its own backend, under its lock.
    expect(await one(a, 'SELECT COUNT(*) AS n, CONNECTION_ID() AS id FROM locked_w')).toEqual({
      n: 1,
      id: aBackend,
    });
    expect(bInsert.state).toBe('pending');
    await a.query('UNLOCK TABLES');
    await bInsert.promise;
    expect(await rows(direct, 'SELECT id, who FROM locked_w ORDER BY id')).toEqual([
      { id: 1, who: 'a' },
      { id: 2, who: 'b' },
    ]);
  });

  it('FLUSH TABLES WITH READ LOCK pins until UNLOCK TABLES', async () => {
    const a = await client();
    const before = fx.proxy.stats().counters.pins.global_read_lock;
    await a.query('FLUSH TABLES WITH READ LOCK');
    expect(fx.proxy.stats().counters.pins.global_read_lock).toBe(before + 1);
    expect(fx.proxy.stats().pinnedNow.global_read_lock).toBe(1);
    const mine = await backendOf(a);
    const b = await client();
    expect(await backendOf(b)).not.toBe(mine);
    await a.query('UNLOCK TABLES');
    expect(fx.proxy.stats().pinnedNow.global_read_lock).toBe(0);
    await b.query("INSERT INTO trx (v) VALUES ('after-ftwrl')");
    expect(await committed('after-ftwrl')).toBe(1);
  });
});

describe('status flags the proxy writes itself', () => {
  it('COM_PING inside a READ ONLY transaction says IN_TRANS_READONLY, as MariaDB does', async () => {
    const pingStatus = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        expect((await c.query('START TRANSACTION READ ONLY')).error).toBeUndefined();
        expect((await c.query('SELECT 1')).error).toBeUndefined();
        const ping = await c.command(buildPing());
        await c.query('COMMIT');
        return ping.statusFlags & (SERVER_STATUS_IN_TRANS | SERVER_STATUS_IN_TRANS_READONLY);
      } finally {
        await c.close();
      }
    };
    const reference = await pingStatus(fx.mariadb.port, BACKEND_USER);
    expect(reference).toBe(SERVER_STATUS_IN_TRANS | SERVER_STATUS_IN_TRANS_READONLY);
    expect(await pingStatus(fx.port, APP_USER)).toBe(reference);
  });
});
