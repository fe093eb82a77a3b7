/**
 * Failures through the proxy (PROXY-NOTES hazards 30–33): a backend lost mid-result gives the
 * client a clean ERR and is never retried; other clients carry on; a pinned session whose
 * backend dies gets a clean error; an exhausted pool answers ERR 9001 within the queue timeout.
 *
 * This file owns its MariaDB (the fixture's), so it may kill and restart it; those tests run last.
 */
import { waitFor } from '@scalestack/test-harness';
import type { Connection as CoreConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendOf, failure, hold, one, proxyConnectionsAtServer, type Row } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics } from './support/qos-helpers.js';

const POOL = 2;
const QUEUE_TIMEOUT_MS = 300;
/** The big result: far more than fits in socket buffers, so it is mid-stream when killed. */
const BIG = "SELECT seq, REPEAT('r', 100) AS pad FROM seq_1_to_2000000";
let fx: ProxyFixture;
let direct: mysql.Connection;
const open: mysql.Connection[] = [];

/** What mysql2 reported as protocol irregularities (packets out of order) on the clients. */
const protocolWarnings: string[] = [];

async function client(): Promise<mysql.Connection> {
  const c = await fx.connect();
  c.on('error', () => {});
  (c as unknown as { connection: CoreConnection }).connection.on('warn', (w: Error) =>
    protocolWarnings.push(w.message),
  );
  open.push(c);
  return c;
}

/** The server's ids of the proxy's backend connections running a statement that starts with `sqlStart`. */
async function backendsRunning(sqlStart: string): Promise<number[]> {
  const [r] = await direct.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO LIKE CONCAT(?, '%')",
    [sqlStart],
  );
  return (r as Row[]).map((x) => Number(x.id));
}

/**
 * Streams `sql` on `conn` with mysql2's event API, calling `onFirstRow` once the first row is
 * in; resolves with the rows seen and the error that ended it (or null).
 */
function streamUntilError(
  conn: mysql.Connection,
  sql: string,
  onFirstRow: () => void,
): Promise<{ rows: number; error: (Error & { errno?: number; sqlState?: string; fatal?: boolean }) | null }> {
  const core = (conn as unknown as { connection: CoreConnection }).connection;
  return new Promise((resolve) => {
    let rows = 0;
    let error: Error | null = null;
    const q = core.query(sql);
    q.on('result', () => {
      if (rows++ === 0) onFirstRow();
    });
    q.on('error', (err) => {
      error = err;
    });
    q.on('end', () => resolve({ rows, error }));
  });
}

/** A root connection straight to MariaDB that tolerates the server being killed under it. */
async function connectDirect(): Promise<mysql.Connection> {
  const d = await fx.direct();
  d.on('error', () => {});
  return d;
}

let serverDown = false;

async function killServer(): Promise<void> {
  serverDown = true;
  await fx.mariadb.kill();
}

async function restartServer(): Promise<void> {
  if (!serverDown) return;
  await fx.mariadb.restart();
  serverDown = false;
  direct.destroy();
  direct = await connectDirect();
}

/**
 * Fails with `what` if `promise` has not settled after `ms`. Not a timing assertion: it turns a
 * hang (a response that never comes) into a clear failure, so the test can restore the server.
 */
async function orHang<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL, options: { queue_timeout: `${QUEUE_TIMEOUT_MS}ms` } });
  direct = await connectDirect();
  await direct.query('CREATE TABLE f (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)) ENGINE=InnoDB');
});

afterEach(async () => {
  // Destroyed, not ended: after a failed test a client may still wait for a response.
  for (const c of open.splice(0)) c.destroy();
  // An ERR the proxy makes up must still be a well-formed reply (sequence ids included).
  const warnings = protocolWarnings.splice(0);
  expect(warnings, 'mysql2 protocol warnings').toEqual([]);
  await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'every client to leave the proxy' });
});

afterAll(async () => {
  await direct?.end().catch(() => {});
  await fx?.stop();
});

describe('pool exhausted', () => {
  it('answers ERR 9001 after the queue timeout, and the client can go on', async () => {
    const holders = [await hold(fx), await hold(fx)];
    const before = fx.proxy.stats().counters.queueTimeouts;
    const errorsBefore = fx.proxy.stats().counters.errors;
    const a = await client();
    let holdersReleased = false;
    try {
      let started = performance.now();
      const err = await failure(a.query('SELECT 1 AS one'));
      // Not sooner than the queue timeout (a generous bound: timers may fire a little early).
      expect(performance.now() - started).toBeGreaterThanOrEqual(0.9 * QUEUE_TIMEOUT_MS);
      expect(err.errno).toBe(9001);
      expect(fx.proxy.stats().counters.errors).toBe(errorsBefore + 1);
      expect(err.sqlState).toBe('HY000');
      expect(err.message).toMatch(new RegExp(`no backend connection free within ${QUEUE_TIMEOUT_MS} ms`));
      expect(err.fatal).toBeFalsy();
      expect(fx.proxy.stats().counters.queueTimeouts).toBe(before + 1);
      // Several waiting clients: each gets its own 9001, none hangs.
      const others = await Promise.all([client(), client(), client()]);
      started = performance.now();
      const errs = await Promise.all(
        others.map(async (c) => ({
          errno: (await failure(c.query('SELECT 2'))).errno,
          at: performance.now(),
        })),
      );
      expect(errs.map((e) => e.errno)).toEqual([9001, 9001, 9001]);
      for (const { at } of errs) expect(at - started).toBeGreaterThanOrEqual(0.9 * QUEUE_TIMEOUT_MS);
      await Promise.all(holders.map((h) => h.release()));
      holdersReleased = true;
      expect((await one(a, 'SELECT 1 AS one')).one).toBe(1);
    } finally {
      if (!holdersReleased) await Promise.all(holders.map((h) => h.release()));
    }
  });
});

describe('pool exhausted, then a slot frees up', () => {
  // A queue timeout far beyond the few milliseconds the test needs to free a slot: the waiter
  // is served because a slot came free, not because the timeout was short enough to miss.
  const LONG_QUEUE_TIMEOUT = '20s';
  let own: ProxyFixture;
  beforeAll(async () => {
    own = await startProxyFixture({
      pool: POOL,
      mariadb: fx.mariadb,
      options: { queue_timeout: LONG_QUEUE_TIMEOUT },
    });
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('a statement waiting for a backend is served when one frees up during the wait, not refused', async () => {
    const holders = [await hold(own), await hold(own)];
    const before = own.proxy.stats().counters;
    const a = await own.connect();
    a.on('error', () => {});
    try {
      const answer = one(a, 'SELECT 1 AS one');
      answer.catch(() => {});
      await waitFor(() => own.proxy.stats().waiting >= 1, { what: 'the statement to queue' });
      // Both backends are held: it can only be waiting.
      expect(own.proxy.stats().clients.find((c) => c.id === a.threadId)?.state).toBe('waiting');
      await holders.shift()!.release();
      expect(await answer).toEqual({ one: 1 });
      const after = own.proxy.stats();
      expect(after.counters.queueTimeouts).toBe(before.queueTimeouts);
      expect(after.counters.errors).toBe(before.errors);
      expect(after.waiting).toBe(0);
    } finally {
      a.destroy();
      await Promise.all(holders.map((h) => h.release()));
    }
  });
});

describe('counters', () => {
  it("every ERR a client gets counts in errors: the proxy's own and the server's", async () => {
    const a = await client();
    const errors = () => fx.proxy.stats().counters.errors;
    const cases: [string, () => Promise<unknown>, number][] = [
      ['a server error', () => a.query('SELECT * FROM no_such_table'), 1146],
      ['KILL of an unknown id', () => a.query('KILL QUERY 999999'), 1094],
      ['a KILL form the proxy refuses', () => a.query('KILL USER app'), 1235],
      ['a KILL prepared on the server', () => a.query("PREPARE s FROM 'KILL 5'"), 1295],
    ];
    for (const [what, run, errno] of cases) {
      const before = errors();
      expect((await failure(run())).errno, what).toBe(errno);
      expect(errors(), what).toBe(before + 1);
    }
  });
});

describe('a statement left running', () => {
  // A table another session write-locks: a read of it waits on the server, holding its
  // connection, for as long as the test likes.
  async function lockedTable(name: string) {
    await direct.query(`CREATE TABLE IF NOT EXISTS ${name} (v INT)`);
    const locker = await connectDirect();
    await locker.query(`LOCK TABLES ${name} WRITE`);
    return {
      waiting: (sql: string) =>
        waitFor(async () => (await backendsRunning(sql)).length === 1, {
          what: 'the read to wait on the server',
        }),
      unlock: async () => {
        await locker.query('UNLOCK TABLES');
        await locker.end();
      },
    };
  }

  it('a client gone during its read on a shared connection: the read is killed, its slot freed once it ends', async () => {
    const table = await lockedTable('left_read');
    try {
      const inFlight = () => tenantMetrics(fx, 'default').inFlight;
      const a = await client();
      void a.query('SELECT v FROM left_read').catch(() => {});
      await table.waiting('SELECT v FROM left_read');
      expect(inFlight()).toBe(1);
      const kills = fx.proxy.stats().counters.killQueriesSent;
      a.destroy();
      // Left to run, it would hold the connection and the slot until the lock went.
      await waitFor(async () => (await backendsRunning('SELECT v FROM left_read')).length === 0, {
        what: 'the read to be killed while the table is still locked',
      });
      expect(fx.proxy.stats().counters.killQueriesSent).toBe(kills + 1);
      await waitFor(() => inFlight() === 0, { what: "the slot to come free with the read's end" });
    } finally {
      await table.unlock().catch(() => {});
    }
  });

  /** Whether the server still has connection `id`, and what it is doing. */
  async function serverThread(id: number): Promise<{ command: string; info: string | null } | undefined> {
    const [r] = await direct.query(
      'SELECT COMMAND AS command, INFO AS info FROM information_schema.PROCESSLIST WHERE ID = ?',
      [id],
    );
    return (r as Row[])[0] as { command: string; info: string | null } | undefined;
  }

  /**
   * `a` leaves while `sql`, which it sent, runs on the server: one KILL QUERY interrupts it (left
   * to run, it would hold its connection for nobody; closed instead, the server would go on with
   * it while the pool opened another connection in its place), and the connection, kept open,
   * goes back to the pool. Returns the server's id of that connection.
   */
  async function leaveAndSeeInterrupted(a: mysql.Connection, sql: string): Promise<number> {
    const [id] = await backendsRunning(sql);
    const kills = fx.proxy.stats().counters.killQueriesSent;
    a.destroy();
    await waitFor(async () => (await serverThread(id!))?.command === 'Sleep', {
      what: `${sql} to be interrupted, its connection left open`,
    });
    expect(fx.proxy.stats().counters.killQueriesSent).toBe(kills + 1);
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'the connection back in the pool' });
    return id!;
  }

  it('a client gone during a read on a connection of its own: the read is killed, the connection kept and reset', async () => {
    const table = await lockedTable('left_tx_read');
    try {
      const a = await client();
      await a.query('BEGIN');
      await a.query("INSERT INTO f (v) VALUES ('left-in-tx')");
      void a.query('SELECT v FROM left_tx_read').catch(() => {});
      await table.waiting('SELECT v FROM left_tx_read');
      const id = await leaveAndSeeInterrupted(a, 'SELECT v FROM left_tx_read');
      // Reset before it went back: the transaction rolled back.
      expect(await one(direct, "SELECT COUNT(*) AS n FROM test.f WHERE v = 'left-in-tx'")).toEqual({ n: 0 });
      const b = await client();
      expect(await one(b, 'SELECT @@in_transaction AS t')).toEqual({ t: 0 });
      expect(await serverThread(id)).toBeDefined();
    } finally {
      await table.unlock().catch(() => {});
    }
  });

  // Found by the Go / Connector/J audit: a client that gave up on one of these (a context
  // cancelled, a read timeout) left it holding its connection until it ended — two of them
  // took a pool of two for innodb_lock_wait_timeout, a BENCHMARK() for minutes.
  it.each([
    ['a SELECT … FOR UPDATE', false, 'SELECT v FROM left_locking FOR UPDATE'],
    ['a SELECT calling a stored function', false, 'SELECT test.left_f(v) FROM left_locking'],
    ['an UPDATE inside a transaction', true, 'UPDATE left_locking SET v = v + 1'],
  ])('a client gone during %s: interrupted, its connection kept and reset', async (_, inTx, sql) => {
    await direct.query(
      'CREATE OR REPLACE FUNCTION test.left_f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1',
    );
    const table = await lockedTable('left_locking');
    try {
      const a = await client();
      if (inTx) {
        await a.query('BEGIN');
        await a.query("INSERT INTO f (v) VALUES ('left-locking-tx')");
      }
      void a.query(sql).catch(() => {});
      await table.waiting(sql);
      await leaveAndSeeInterrupted(a, sql);
      await table.unlock();
      expect(await one(direct, "SELECT COUNT(*) AS n FROM test.f WHERE v = 'left-locking-tx'")).toEqual({
        n: 0,
      });
      expect(await one(direct, 'SELECT COUNT(*) AS n FROM test.left_locking')).toEqual({ n: 0 });
    } finally {
      await table.unlock().catch(() => {});
    }
  });

  it('a client gone during a write: the write runs to its end as MariaDB runs it, once, on a connection the pool keeps', async () => {
    await direct.query('CREATE TABLE left_write (v INT)');
    await direct.query('INSERT INTO left_write VALUES (0)');
    const table = await lockedTable('left_write');
    try {
      const a = await client();
      void a.query('UPDATE left_write SET v = v + 1').catch(() => {});
      await table.waiting('UPDATE left_write');
      const [id] = await backendsRunning('UPDATE left_write');
      a.destroy();
      await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'A to leave the proxy' });
      // The write still occupies its connection: two clients wanting one each find one, not two
      // (the pool opening a connection in its place would make three at the server).
      const b = await client();
      const c = await client();
      await b.query('BEGIN');
      await c.query('BEGIN');
      const got = await Promise.allSettled([backendOf(b), backendOf(c)]);
      expect(got.filter((g) => g.status === 'fulfilled').length).toBe(1);
      const refused = got.find((g) => g.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as { errno?: number }).errno).toBe(9001);
      expect(await proxyConnectionsAtServer(direct)).toBeLessThanOrEqual(POOL);
      await b.query('ROLLBACK');
      await c.query('ROLLBACK');
      await table.unlock();
      await waitFor(async () => (await serverThread(id!))?.command === 'Sleep', {
        what: 'the write to end, its connection kept',
      });
      expect(await one(direct, 'SELECT v FROM test.left_write')).toEqual({ v: 1 });
    } finally {
      await table.unlock().catch(() => {});
    }
  });

  it.each(['SELECT SLEEP(60) AS slept', "SELECT GET_LOCK('held-by-another', 60) AS got"])(
    'a client gone during %s: the wait is interrupted, as MariaDB ends it, the connection kept',
    async (sql) => {
      const locker = await connectDirect();
      try {
        await locker.query("SELECT GET_LOCK('held-by-another', 0)");
        const a = await client();
        void a.query(sql).catch(() => {});
        await waitFor(async () => (await backendsRunning(sql)).length === 1, {
          what: 'the wait on the server',
        });
        // Left to run, it would hold its connection and slot for a minute, for nobody.
        await leaveAndSeeInterrupted(a, sql);
        // The interrupted GET_LOCK took nothing: once its holder lets go, the lock is free.
        await locker.query("SELECT RELEASE_LOCK('held-by-another')");
        expect(await one(direct, "SELECT IS_USED_LOCK('held-by-another') AS holder")).toEqual({
          holder: null,
        });
      } finally {
        await locker.end();
      }
    },
  );

  it('SHOW WARNINGS whose replayed read lost its backend fails with 9005 rather than answering none', async () => {
    await direct.query("CREATE TABLE replay_lost (v VARCHAR(10)) SELECT '1x' AS v");
    const a = await client();
    // A pure read that warns (the cast truncates), on a shared connection.
    expect(await one(a, 'SELECT CAST(v AS UNSIGNED) AS n FROM replay_lost')).toEqual({ n: 1 });
    const table = await lockedTable('replay_lost');
    try {
      // The read runs again first, where SHOW WARNINGS will run, and waits for the lock.
      const warnings = failure(a.query('SHOW WARNINGS'));
      await table.waiting('SELECT CAST(v AS UNSIGNED)');
      const [id] = await backendsRunning('SELECT CAST(v AS UNSIGNED)');
      await direct.query(`KILL CONNECTION ${id}`);
      expect((await warnings).errno).toBe(9005);
      expect(await one(a, 'SELECT 1 AS alive')).toEqual({ alive: 1 });
    } finally {
      await table.unlock().catch(() => {});
    }
  });

  it("a read that lost its backend before answering is retried, though the client held its last statement's results", async () => {
    const table = await lockedTable('retried_read');
    try {
      const a = await client();
      await a.query("INSERT INTO f (v) VALUES ('held-for-next')");
      expect(fx.proxy.stats().clients[0]!.pinned).toContain('previous_result');
      const retries = fx.proxy.stats().counters.retries;
      const read = one(a, 'SELECT COUNT(*) AS n FROM retried_read');
      await table.waiting('SELECT COUNT(*) AS n FROM retried_read');
      const [first] = await backendsRunning('SELECT COUNT(*) AS n FROM retried_read');
      await direct.query(`KILL CONNECTION ${first}`);
      await waitFor(() => fx.proxy.stats().counters.retries === retries + 1, { what: 'the retry' });
      await table.unlock();
      expect(Number((await read).n)).toBe(0);
    } finally {
      await table.unlock().catch(() => {});
    }
  });
});

describe('one backend connection lost', () => {
  it('an idle pooled connection killed at the server is not noticed by clients', async () => {
    const a = await client();
    await one(a, 'SELECT 1 AS warm');
    const [r] = await direct.query(
      "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
    );
    for (const { id } of r as Row[]) await direct.query(`KILL CONNECTION ${Number(id)}`);
    // Nothing had been sent on them: the proxy may retry or reconnect, the client sees answers.
    for (let i = 0; i < 5; i++) expect((await one(a, `SELECT ${i} AS i`)).i).toBe(i);
  });

  it('a lazy BEGIN whose backend was killed while idle: the transaction opens on another, snapshot and all', async () => {
    const a = await client();
    await one(a, 'SELECT 1 AS warm');
    await a.query('BEGIN');
    const [r] = await direct.query(
      "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
    );
    for (const { id } of r as Row[]) await direct.query(`KILL CONNECTION ${Number(id)}`);
    // Whether the proxy noticed the kills or finds out by writing BEGIN and the read on a dead
    // connection (then both are lost before any answer and go again on a new one), the
    // transaction the client was told about is open from its first read on.
    const first = await one(a, "SELECT @@in_transaction AS t, COUNT(*) AS n FROM f WHERE v = 'lazy-retry'");
    expect(first).toEqual({ t: 1, n: 0 });
    await direct.query("INSERT INTO f (v) VALUES ('lazy-retry')");
    expect(await one(a, "SELECT COUNT(*) AS n FROM f WHERE v = 'lazy-retry'")).toEqual({ n: 0 });
    await a.query('COMMIT');
    expect(await one(a, "SELECT @@in_transaction AS t, COUNT(*) AS n FROM f WHERE v = 'lazy-retry'")).toEqual(
      {
        t: 0,
        n: 1,
      },
    );
  });

  it('killed mid-result: the client gets a clean ERR, is not retried, and others carry on', async () => {
    const a = await client();
    const b = await client();
    const retries = fx.proxy.stats().counters.retries;
    let killed: Promise<void> | undefined;
    let killedId = -1;
    const streamed = streamUntilError(a, BIG, () => {
      killed = (async () => {
        const [id] = await waitFor(
          async () => {
            const ids = await backendsRunning('SELECT seq');
            return ids.length === 1 ? ids : undefined;
          },
          { what: 'the big query in the process list' },
        );
        killedId = id!;
        await direct.query(`KILL CONNECTION ${id}`);
      })();
    });
    // B keeps working on another backend meanwhile. (A locking read: a pure one may stack behind
    // A's on the same connection — one pipelining connection by default — and is then moved and
    // run again when that connection dies, which the retry count below would count.)
    for (let i = 0; i < 5; i++) expect((await one(b, `SELECT ${i} AS i FOR UPDATE`)).i).toBe(i);
    const { rows, error } = await orHang(streamed, 15_000, 'no ERR and no end of the result');
    await killed;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(2_000_000);
    // The server's own "connection was killed" or the proxy's "lost the backend": both are ERR
    // packets, and the client connection stays open.
    expect(error).not.toBeNull();
    expect([1927, 9005]).toContain(error!.errno);
    expect(error!.fatal).toBeFalsy();
    expect(fx.proxy.stats().counters.retries).toBe(retries);
    // Not run again elsewhere. The killed thread itself may still be listed for a moment: the
    // server sends its ERR before it has finished tearing the thread down.
    expect((await backendsRunning('SELECT seq')).filter((id) => id !== killedId)).toEqual([]);
    await waitFor(async () => (await backendsRunning('SELECT seq')).length === 0, {
      what: 'the killed thread to leave the process list',
    });
    expect((await one(a, 'SELECT 1 AS after')).after).toBe(1);
    expect((await one(b, 'SELECT 2 AS after')).after).toBe(2);
  });

  /** True once `p` failed as a connection that is gone (not an ERR the session survives). */
  const closedUnder = (p: Promise<unknown>) =>
    failure(p).then(
      (e) =>
        e.fatal === true ||
        /closed state|PROTOCOL_CONNECTION_LOST|ECONNRESET|EPIPE/.test(`${e.code} ${e.message}`),
    );

  it('a pinned session whose backend dies while it is quiet is closed: no COMMIT answers OK for lost writes', async () => {
    const a = await client();
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO f (v) VALUES ('lost-quiet')");
    const mine = await backendOf(a);
    const clientsBefore = fx.proxy.stats().clients.length;
    await direct.query(`KILL CONNECTION ${mine}`);
    // The proxy sees the connection close, and with it the session it held.
    await waitFor(() => fx.proxy.stats().clients.length === clientsBefore - 1, {
      what: 'the proxy to close the client whose session was lost',
    });
    // Were it kept open, the INSERT would run in autocommit and the COMMIT answer OK.
    expect(await closedUnder(a.query("INSERT INTO f (v) VALUES ('after-loss')"))).toBe(true);
    expect(await closedUnder(a.query('COMMIT'))).toBe(true);
    expect(
      Number((await one(direct, "SELECT COUNT(*) AS n FROM f WHERE v IN ('lost-quiet', 'after-loss')")).n),
    ).toBe(0);
    expect(protocolWarnings).toEqual([]);
  });

  it('a pinned session whose backend dies under a statement gets ERR 9008 and is closed; others carry on', async () => {
    const a = await client();
    const b = await client();
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO f (v) VALUES ('lost-running')");
    const mine = await backendOf(a);
    const sleeping = failure(a.query('SELECT SLEEP(30) AS s'));
    await waitFor(async () => (await backendsRunning('SELECT SLEEP(30)')).length === 1, {
      what: 'the statement to run at the server',
    });
    await direct.query(`KILL CONNECTION ${mine}`);
    const err = await sleeping;
    expect(err.errno, `${err.code}: ${err.message}`).toBe(9008);
    expect(err.sqlState).toBe('08S01');
    expect(err.message).toContain('transaction');
    expect(await closedUnder(a.query('COMMIT'))).toBe(true);
    expect(Number((await one(direct, "SELECT COUNT(*) AS n FROM f WHERE v = 'lost-running'")).n)).toBe(0);
    expect((await one(b, 'SELECT 2 AS after')).after).toBe(2);
    expect(protocolWarnings).toEqual([]);
  });

  it('a client holding only the results of its last statement goes on when that backend dies quietly', async () => {
    const a = await client();
    await a.query("INSERT INTO f (v) VALUES ('held-result')"); // an insert id: held for the next statement
    expect(fx.proxy.stats().clients.find((c) => c.pinned.includes('previous_result'))).toBeDefined();
    const mine = await backendOf(a);
    const openBefore = fx.proxy.stats().pools[0]!.open;
    await direct.query(`KILL CONNECTION ${mine}`);
    await waitFor(() => fx.proxy.stats().pools[0]!.open === openBefore - 1, {
      what: 'the proxy to notice the killed backend',
    });
    expect(fx.proxy.stats().clients.some((c) => c.pinned.length > 0)).toBe(false);
    expect((await one(a, 'SELECT 1 AS ok')).ok).toBe(1);
  });
});

describe('the whole server lost', () => {
  it('killed mid-result: ERR 9005 once rows were sent, not replayed; idle clients survive the restart', async () => {
    const a = await client();
    const b = await client();
    await one(b, 'SELECT 1 AS warm');
    const lostBefore = fx.proxy.stats().counters.backendLost;
    const retries = fx.proxy.stats().counters.retries;
    let killed: Promise<void> | undefined;
    try {
      const { rows, error } = await orHang(
        streamUntilError(a, BIG, () => {
          killed = killServer();
        }),
        15_000,
        'no ERR and no end of the result',
      );
      await killed;
      expect(rows).toBeGreaterThan(0);
      expect(error?.errno).toBe(9005);
      expect(error?.sqlState).toBe('08S01');
      expect(error?.fatal).toBeFalsy();
      expect(fx.proxy.stats().counters.backendLost).toBe(lostBefore + 1);
      expect(fx.proxy.stats().counters.retries).toBe(retries);

      // While the server is down: a clear error at once, not a hang.
      const down = await orHang(failure(b.query('SELECT 1')), 15_000, 'no answer while the server is down');
      expect(down.errno).toBe(9004);
    } finally {
      await restartServer();
    }
    expect((await one(b, 'SELECT 2 AS back')).back).toBe(2);
    expect((await one(a, 'SELECT 3 AS back')).back).toBe(3);
  });

  it('killed while a statement waits on the server: ERR 9005, the statement is not replayed', async () => {
    const a = await client();
    const started = a.query("INSERT INTO f (v) SELECT 'slow-insert' FROM (SELECT SLEEP(30)) AS s");
    started.catch(() => {});
    await waitFor(async () => (await backendsRunning('INSERT INTO f')).length === 1, {
      what: 'the slow insert to run',
    });
    try {
      await killServer();
      const err = await orHang(failure(started), 15_000, 'no answer to the statement');
      expect(err.errno).toBe(9005);
      expect(err.fatal).toBeFalsy();
    } finally {
      await restartServer();
    }
    expect((await one(a, 'SELECT 1 AS back')).back).toBe(1);
    expect(Number((await one(direct, "SELECT COUNT(*) AS n FROM f WHERE v = 'slow-insert'")).n)).toBe(0);
    expect(await backendsRunning('INSERT INTO f')).toEqual([]);
  });
});
