/**
 * Pure reads stacked on shared backend connections (BackendPool, Trait.PureRead), against a
 * real MariaDB: answers reach the right client in order, sessions with different state never
 * share, a stalled connection's waiting reads move elsewhere, a lost connection's reads run
 * again, a client leaving or KILL QUERY touches only its own read, and a statement asking
 * about the previous read (SHOW WARNINGS, FOUND_ROWS()) gets that read's results.
 *
 * A read is made to wait on the server with a table lock held by another client (LOCK TABLES
 * … WRITE): reads of that table wait for the lock, so what is stacked behind one stays there
 * until the test lets it go.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, one, type Row, rows } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

/**
 * Slots stand for statements, stacked or not: the lock holder, the waiting read and the reads
 * stacked behind it all need one.
 */
const POOL = 10;
/** What waits for the lock: a pure read of the locked table. */
const BLOCKED = 'SELECT COUNT(*) AS n FROM locked_t';

let fast: ProxyFixture;
let slow: ProxyFixture;
let shallow: ProxyFixture;
let admin: mysql.Connection;
let fx: ProxyFixture;

const fastClients = trackedClients(() => fast);
const slowClients = trackedClients(() => slow);
const shallowClients = trackedClients(() => shallow);

beforeAll(async () => {
  // Stacking everywhere: one shared connection before reads stack, up to 8 deep. A stall is
  // noticed after 1-2 s: long enough for the reads a test stacks to get there first.
  fast = await startProxyFixture({
    pool: POOL,
    options: { pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '1s' },
  });
  // The same, but a stall is never noticed: what is stacked stays stacked.
  slow = await startProxyFixture({
    pool: POOL,
    mariadb: fast.mariadb,
    options: { pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '1h' },
  });
  // Three deep, never stalled: small enough to fill a connection by hand.
  shallow = await startProxyFixture({
    pool: POOL,
    mariadb: fast.mariadb,
    options: { pipeline_connections: 1, pipeline_depth: 3, pipeline_stall: '1h' },
  });
  admin = await fast.direct();
  await admin.query('CREATE TABLE locked_t (id INT PRIMARY KEY)');
  await admin.query('INSERT INTO locked_t VALUES (1), (2), (3)');
  for (const t of ['t1', 't2', 't3']) await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
});

afterEach(async () => {
  await fastClients.closeAll();
  await slowClients.closeAll();
  await shallowClients.closeAll();
});

afterAll(async () => {
  await admin?.end();
  await shallow?.stop();
  await slow?.stop();
  await fast?.stop();
});

/** Ids (at MariaDB) of the proxy's connections whose statement waits for the table lock. */
async function waitingForLock(): Promise<number[]> {
  const [r] = await admin.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO = ? AND STATE LIKE '%lock%'",
    [BLOCKED],
  );
  return (r as Row[]).map((x) => Number(x.id));
}

/** The proxy's connections at MariaDB. */
async function proxyConnections(): Promise<number> {
  return Number(
    (await one(admin, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy'")).n,
  );
}

/**
 * A client holds `LOCK TABLES locked_t WRITE` and another's read of the table waits for it at
 * the server on a shared connection; returns the lock holder and the waiting read.
 */
async function blockedRead(client: () => Promise<mysql.Connection>) {
  const locker = await client();
  await locker.query('LOCK TABLES locked_t WRITE');
  const reader = await client();
  const read = watch(one(reader, BLOCKED));
  await waitFor(async () => (await waitingForLock()).length === 1, { what: 'the read to wait for the lock' });
  return { locker, reader, read, unlock: () => locker.query('UNLOCK TABLES') };
}

describe('stacking', () => {
  beforeAll(() => {
    fx = fast;
  });

  it('answers every client its own rows while many share a connection, never over N connections', async () => {
    const clients = await Promise.all(Array.from({ length: 24 }, () => fastClients.client()));
    const before = fx.proxy.stats().pipeline.stacked;
    for (let round = 0; round < 20; round++) {
      const got = await Promise.all(
        clients.map((c, i) => one(c, 'SELECT ? AS v, ? * 2 AS w', [round * 100 + i, i])),
      );
      expect(got).toEqual(clients.map((_, i) => ({ v: round * 100 + i, w: i * 2 })));
    }
    expect(fx.proxy.stats().pipeline.stacked - before).toBeGreaterThan(0);
    expect(fx.proxy.stats().pools[0]!.open).toBeLessThanOrEqual(POOL);
    expect(await proxyConnections()).toBeLessThanOrEqual(3 * POOL); // the three fixtures' pools
  });

  it('never stacks sessions whose state differs', async () => {
    const plus5 = await Promise.all(Array.from({ length: 8 }, () => fastClients.client()));
    const plain = await Promise.all(Array.from({ length: 8 }, () => fastClients.client()));
    await Promise.all(plus5.map((c) => c.query("SET time_zone = '+05:00'")));
    for (let round = 0; round < 15; round++) {
      const [a, b] = await Promise.all([
        Promise.all(plus5.map((c) => one(c, 'SELECT @@session.time_zone AS tz'))),
        Promise.all(plain.map((c) => one(c, 'SELECT @@session.time_zone AS tz'))),
      ]);
      expect(a.map((r) => r.tz)).toEqual(plus5.map(() => '+05:00'));
      expect(b.map((r) => r.tz)).toEqual(plain.map(() => 'SYSTEM'));
    }
  });

  it('stacks prepared-statement executes', async () => {
    const clients = await Promise.all(Array.from({ length: 12 }, () => fastClients.client()));
    const before = fx.proxy.stats();
    for (let round = 0; round < 15; round++) {
      const got = await Promise.all(
        clients.map(async (c, i) => {
          const [r] = await c.execute('SELECT ? + 0 AS v, ? AS s', [round * 100 + i, `c${i}`]);
          return (r as Row[])[0];
        }),
      );
      expect(got).toEqual(clients.map((_, i) => ({ v: round * 100 + i, s: `c${i}` })));
    }
    expect(fx.proxy.stats().pipeline.stacked).toBeGreaterThan(before.pipeline.stacked);
  });

  it('moves the reads stacked behind a stalled one elsewhere', async () => {
    const { read, unlock } = await blockedRead(fastClients.client);
    const before = fx.proxy.stats().pipeline;
    // Stacked behind the waiting read (one shared connection before stacking, room for 8).
    const others = await Promise.all(Array.from({ length: 5 }, () => fastClients.client()));
    const answers = await Promise.all(others.map((c, i) => one(c, 'SELECT ? AS v', [i])));
    expect(answers).toEqual(others.map((_, i) => ({ v: i })));
    // They were answered while the read they were stacked behind still waits.
    expect(read.state).toBe('pending');
    const after = fx.proxy.stats().pipeline;
    expect(after.stacked - before.stacked).toBeGreaterThanOrEqual(5);
    expect(after.diverted - before.diverted).toBe(5);
    expect(after.stalls).toBeGreaterThan(before.stalls);
    await unlock();
    expect(await read.promise).toEqual({ n: 3 });
  });

  it('never runs a read of a view that writes twice: such a read does not stack', async () => {
    await admin.query('CREATE TABLE writes_log (id INT AUTO_INCREMENT PRIMARY KEY)');
    await admin.query(
      'CREATE FUNCTION log_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 7; END',
    );
    // Created through the proxy: it checks its list of views again right after.
    const known = fx.proxy.stats().pipeline.impureViews!;
    const creator = await fastClients.client();
    await creator.query('CREATE VIEW writing_v AS SELECT log_write() AS n');
    await waitFor(() => fx.proxy.stats().pipeline.impureViews === known + 1, {
      what: 'the proxy to know the view',
    });
    const reader = await fastClients.client();
    const ways = [
      () => one(reader, 'SELECT n FROM writing_v'),
      async () => ((await reader.execute('SELECT n FROM writing_v'))[0] as Row[])[0],
    ];
    for (const [i, read] of ways.entries()) {
      // Were it a pure read it would stack behind the blocked one, move away when that stalls,
      // run there, and run again where it was first written once the lock goes.
      const blocked = await blockedRead(fastClients.client);
      const before = fx.proxy.stats().pipeline;
      expect(await read()).toEqual({ n: 7 });
      expect(fx.proxy.stats().pipeline.stacked).toBe(before.stacked);
      await blocked.unlock();
      expect(await blocked.read.promise).toEqual({ n: 3 });
      await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, {
        what: 'the shared connection to drain',
      });
      expect(await one(admin, 'SELECT COUNT(*) AS n FROM writes_log')).toEqual({ n: i + 1 });
    }
  });

  it('never runs a stored function named with characters from U+0080 up twice: its read does not stack', async () => {
    await admin.query('CREATE TABLE IF NOT EXISTS writes_log (id INT AUTO_INCREMENT PRIMARY KEY)');
    await admin.query('TRUNCATE writes_log');
    // Read a byte a char, the name ends in the built-in 'max' (pure) and 'écrit_é' in no name at
    // all; both are names of their own, and they write.
    await admin.query(
      'CREATE FUNCTION ümax() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 5; END',
    );
    await admin.query(
      'CREATE FUNCTION écrit_é() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO writes_log VALUES (NULL); RETURN 6; END',
    );
    const reader = await fastClients.client();
    const blocked = await blockedRead(fastClients.client);
    const before = fx.proxy.stats().pipeline;
    expect(await one(reader, 'SELECT ümax() AS n')).toEqual({ n: 5 });
    expect(fx.proxy.stats().pipeline.stacked).toBe(before.stacked);
    await blocked.unlock();
    expect(await blocked.read.promise).toEqual({ n: 3 });
    await waitFor(() => fx.proxy.stats().pipeline.inFlight === 0, { what: 'the shared connection to drain' });
    expect(await one(admin, 'SELECT COUNT(*) AS n FROM writes_log')).toEqual({ n: 1 });
    // Nor is it run again to answer a question about its diagnostics.
    await reader.query('SELECT écrit_é() AS n');
    await reader.query('SHOW WARNINGS');
    expect(await one(admin, 'SELECT COUNT(*) AS n FROM writes_log')).toEqual({ n: 2 });
  });

  it('packs reads onto the oldest shared connection with room; a newer one takes nothing and drains', async () => {
    const p = () => shallow.proxy.stats().pipeline;
    const lockers = new Map<string, mysql.Connection>();
    for (const t of ['t1', 't2', 't3']) {
      const l = await shallowClients.client();
      await l.query(`LOCK TABLES ${t} WRITE`);
      lockers.set(t, l);
    }
    const readOf = async (t: string) =>
      watch(one(await shallowClients.client(), `SELECT COUNT(*) AS n FROM ${t}`));
    const waiting = async (n: number) =>
      waitFor(
        async () => {
          const [r] = await admin.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND STATE LIKE '%lock%'",
          );
          return Number((r as Row[])[0]!.n) === n;
        },
        { what: `${n} reads to wait for a lock at the server` },
      );
    // A (the oldest shared connection): a read waiting for t1, two stacked behind it: full.
    const r1 = await readOf('t1');
    await waiting(1);
    const stacked = p().stacked;
    const behind = [await readOf('t2'), await readOf('t2')];
    await waitFor(() => p().stacked - stacked === 2, { what: 'two reads to stack behind the first' });
    // A is full, so the next read gets a connection of its own, B, shared from then on.
    const r4 = await readOf('t3');
    await waiting(2);
    expect(p().sharedConnections).toBe(2);
    // t1 free: A's first read ends, its next one waits for t2 at the server; A has room again.
    await lockers.get('t1')!.query('UNLOCK TABLES');
    expect(await r1.promise).toEqual({ n: 0 });
    await waiting(2);
    expect(p().inFlight).toBe(3); // A: two t2 reads; B: the t3 read

    // B is less loaded, but A is older and has room: the read goes behind A's.
    const r5 = watch(one(await shallowClients.client(), 'SELECT 5 AS v'));
    await waitFor(() => p().inFlight === 4, { what: 'the fifth read to be written' });
    await lockers.get('t3')!.query('UNLOCK TABLES');
    expect(await r4.promise).toEqual({ n: 0 });
    // B took nothing else: with its read done it goes back to the pool.
    await waitFor(() => p().sharedConnections === 1, { what: 'B to stop sharing' });
    expect(p().inFlight).toBe(3);
    expect(r5.state).toBe('pending');

    await lockers.get('t2')!.query('UNLOCK TABLES');
    expect(await Promise.all(behind.map((r) => r.promise))).toEqual([{ n: 0 }, { n: 0 }]);
    expect(await r5.promise).toEqual({ v: 5 });
  });
});

describe('a statement that asks about the previous pure read', () => {
  beforeAll(() => {
    fx = fast;
  });

  it('SHOW WARNINGS and @@warning_count see the read’s warnings, not a later client’s statement', async () => {
    const c = await fastClients.client();
    const other = await fastClients.client();
    const replays = fx.proxy.stats().counters.replays;
    expect(await one(c, "SELECT CAST('12abc' AS SIGNED) AS v")).toEqual({ v: 12 });
    // Idle connections are reused last-in first-out, so this runs where c's read just ran, and
    // leaves no warnings there.
    await one(other, 'SELECT 1 AS one');
    const warnings = await rows(c, 'SHOW WARNINGS');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ Level: 'Warning', Code: 1292 });

    expect(await one(c, "SELECT CAST('7x' AS SIGNED) AS v")).toEqual({ v: 7 });
    await one(other, 'SELECT 2 AS two');
    expect(await one(c, 'SELECT @@warning_count AS w')).toEqual({ w: 1 });
    expect(fx.proxy.stats().counters.replays - replays).toBe(2);
  });

  it('FOUND_ROWS() counts the rows of the read, and a prepared read is run again too', async () => {
    const c = await fastClients.client();
    const other = await fastClients.client();
    expect(await rows(c, 'SELECT id FROM locked_t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    await one(other, 'SELECT 1 AS one');
    expect(await one(c, 'SELECT FOUND_ROWS() AS f')).toEqual({ f: 3 });

    const [r] = await c.execute('SELECT CAST(? AS SIGNED) AS v', ['5 apples']);
    expect(r).toEqual([{ v: 5 }]);
    await one(other, 'SELECT 3 AS three');
    const warnings = await rows(c, 'SHOW WARNINGS');
    expect(warnings.map((w) => w.Code)).toEqual([1292]);
  });

  it('what a statement in between keeps or clears is what MariaDB keeps or clears', async () => {
    // A SELECT that uses no table keeps the warnings before it; one that reads a table clears
    // them. MariaDB itself (a direct connection) is the oracle.
    const sequences = [
      ["SELECT CAST('1x' AS SIGNED) AS v", 'SELECT 1 AS clean', 'SHOW WARNINGS'],
      ["SELECT CAST('1x' AS SIGNED) AS v", 'SELECT COUNT(*) AS n FROM locked_t', 'SHOW WARNINGS'],
      ["SELECT CAST('1x' AS SIGNED) AS v", "SELECT CAST('2y' AS SIGNED) AS w", 'SHOW WARNINGS'],
      ["SELECT CAST('1x' AS SIGNED) AS v", 'SELECT 1 AS a', 'SELECT 2 AS b', 'SELECT @@warning_count AS w'],
      ['SELECT id FROM locked_t', 'SELECT 1 AS a', 'SELECT FOUND_ROWS() AS f'],
    ];
    const direct = await fx.direct();
    try {
      const c = await fastClients.client();
      const other = await fastClients.client();
      for (const statements of sequences) {
        const expected: Row[][] = [];
        for (const sql of statements) expected.push(await rows(direct, sql));
        const got: Row[][] = [];
        for (const sql of statements) {
          got.push(await rows(c, sql));
          await one(other, 'SELECT COUNT(*) AS n FROM locked_t'); // clears warnings where it runs
        }
        expect(got, statements.join(' → ')).toEqual(expected);
      }
    } finally {
      await direct.end();
    }
  });
});

describe('while reads wait behind another on a shared connection', () => {
  beforeAll(() => {
    fx = slow;
  });

  it('a lost connection: every read on it runs again elsewhere, none fails', async () => {
    const { read, unlock } = await blockedRead(slowClients.client);
    const [shared] = await waitingForLock();
    const others = await Promise.all(Array.from({ length: 5 }, () => slowClients.client()));
    const before = fx.proxy.stats();
    const answers = others.map((c, i) => watch(one(c, 'SELECT ? AS v', [i])));
    await waitFor(() => fx.proxy.stats().pipeline.stacked - before.pipeline.stacked === 5, {
      what: 'the five reads to stack behind the waiting one',
    });
    expect(answers.every((a) => a.state === 'pending')).toBe(true);

    await admin.query(`KILL CONNECTION ${shared}`);
    // The read that waited for the lock runs again on another connection, and waits again.
    await waitFor(async () => (await waitingForLock()).some((id) => id !== shared), {
      what: 'the read to wait for the lock on another connection',
    });
    expect(read.state).toBe('pending');
    await unlock();
    expect(await read.promise).toEqual({ n: 3 });
    expect(await Promise.all(answers.map((a) => a.promise))).toEqual(others.map((_, i) => ({ v: i })));
    const after = fx.proxy.stats().counters;
    expect(after.retries - before.counters.retries).toBe(6);
    expect(after.backendLost).toBe(before.counters.backendLost);
    expect(after.errors).toBe(before.counters.errors);
  });

  it('a client that leaves drops only its own read; the connection goes on', async () => {
    const { read, unlock } = await blockedRead(slowClients.client);
    const leaver = await slowClients.client();
    const stayer = await slowClients.client();
    const before = fx.proxy.stats();
    one(leaver, 'SELECT 41 AS v').catch(() => {}); // never answered: the client leaves
    const stays = watch(one(stayer, 'SELECT 42 AS v'));
    await waitFor(() => fx.proxy.stats().pipeline.stacked - before.pipeline.stacked === 2, {
      what: 'both reads to stack',
    });
    slowClients.forget(leaver);
    leaver.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === before.clients.length - 1, {
      what: 'the proxy to see the client leave',
    });
    await unlock();
    expect(await read.promise).toEqual({ n: 3 });
    expect(await stays.promise).toEqual({ v: 42 });
    const pool = fx.proxy.stats().pools[0]!;
    expect(pool.open).toBe(before.pools[0]!.open);
    expect(await proxyConnections()).toBeLessThanOrEqual(3 * POOL);
  });

  it('an execute stacked where its statement is missing prepares it there, in turn', async () => {
    const { read, unlock } = await blockedRead(slowClients.client);
    const c = await slowClients.client();
    // Prepared on a connection of its own (the shared one is busy), executed on the shared one.
    const sql = 'SELECT ? * 3 AS v /* prepared elsewhere */';
    const before = fx.proxy.stats();
    const exec = watch(c.execute(sql, [1]));
    await waitFor(() => fx.proxy.stats().pipeline.stacked > before.pipeline.stacked, {
      what: 'the execute to stack behind the waiting read',
    });
    expect(exec.state).toBe('pending');
    await unlock();
    expect((await exec.promise)[0]).toEqual([{ v: 3 }]);
    expect(await read.promise).toEqual({ n: 3 });
    expect(fx.proxy.stats().counters.reprepares).toBeGreaterThan(before.counters.reprepares);
  });

  it('KILL QUERY of a read waiting behind another interrupts that read only', async () => {
    const { read, unlock } = await blockedRead(slowClients.client);
    const victim = await slowClients.client();
    const killer = await slowClients.client();
    const before = fx.proxy.stats().pipeline.stacked;
    const victimRead = watch(one(victim, 'SELECT 7 AS v'));
    await waitFor(() => fx.proxy.stats().pipeline.stacked - before === 1, { what: 'the read to stack' });
    await killer.query(`KILL QUERY ${victim.threadId}`);
    const err = await failure(victimRead.promise);
    expect(err.errno).toBe(1317);
    expect(read.state).toBe('pending');
    await unlock();
    expect(await read.promise).toEqual({ n: 3 });
    // The interrupted client goes on.
    expect(await one(victim, 'SELECT 8 AS v')).toEqual({ v: 8 });
  });
});
