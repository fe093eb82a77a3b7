/**
 * A write is never lost and never applied twice when its backend connection goes: the relay
 * in front of MariaDB lets the server run a command and then loses its answer (the network died
 * after the server got it), cuts before forwarding, or cuts a response once it has begun. What
 * was sent is never sent again — the client gets ERR 9005, or 9008 when session state (a
 * transaction) went with the connection; what was not sent (a lazy BEGIN, a state sync, a
 * re-prepare before the write) is retried elsewhere. MariaDB's table says how often each write
 * landed. After every test nothing leaks: no slot in flight, nobody pinned, both connections
 * usable.
 */
import { Readable } from 'node:stream';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { backendOf, failure, one, type Row } from './support/backends.js';
import { comparableAnswers, END_MARKER, queryFrame } from './support/pipelined-commands.js';
import { createBackendUser, type ProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics } from './support/qos-helpers.js';
import { frames, RawMysqlClient } from './support/raw-mysql-client.js';
import { trackedClients } from './support/tracked-clients.js';

let mariadb: MariaDB;
let fx: ProxyFixture;
let relay: BackendRelay;
let admin: mysql.Connection;
const clients = trackedClients(() => fx);
const raws: RawMysqlClient[] = [];
const has = (s: string) => (chunk: Buffer) => chunk.includes(Buffer.from(s, 'latin1'));

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000 });
  await createBackendUser(mariadb);
  ({ fx, relay } = await startRelayedProxy(mariadb, 2));
  admin = await fx.direct();
  await admin.query('CREATE TABLE w (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))');
  await admin.query('CREATE TABLE locked_t (id INT PRIMARY KEY)');
  await admin.query('CREATE DATABASE other');
  await admin.query('CREATE TABLE other.w2 (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))');
  // A stored function named like a built-in, reached qualified: a SELECT that writes.
  await admin.query(
    "CREATE FUNCTION test.`concat` (x INT) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO test.w (v) VALUES ('fn-write'); RETURN x + 200; END",
  );
});

afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  relay.loseAnswerTo = undefined;
  relay.cutWhen = undefined;
  relay.cutAnswerWhen = undefined;
  await clients.closeAll();
  await waitFor(() => tenantMetrics(fx, 'default').inFlight === 0, { what: 'no slot in flight' });
  const s = fx.proxy.stats();
  expect(Object.values(s.pinnedNow).every((n) => n === 0)).toBe(true);
  // Both connections of the pool still serve: two transactions at once get one each.
  const [x, y] = [await clients.client(), await clients.client()];
  await x.query('START TRANSACTION');
  await y.query('START TRANSACTION');
  const ids = [await backendOf(x), await backendOf(y)];
  expect(new Set(ids).size).toBe(2);
  await clients.closeAll();
});

afterAll(async () => {
  await admin?.end();
  await fx?.stop();
  await relay?.stop();
  await mariadb?.stop();
});

/** Rows with `v` in `table`: how often a write landed. */
async function count(v: string, table = 'test.w'): Promise<number> {
  return Number((await one(admin, `SELECT COUNT(*) AS n FROM ${table} WHERE v = ?`, [v])).n);
}

const counters = () => ({ ...fx.proxy.stats().counters });

/** What `counters` moved by since `before`, for the counters a lost backend moves. */
function moved(before: ReturnType<typeof counters>) {
  const after = counters();
  return {
    retries: after.retries - before.retries,
    backendLost: after.backendLost - before.backendLost,
    errors: after.errors - before.errors,
  };
}

describe('autocommit', () => {
  it('an INSERT whose answer is lost: 9005, applied once, not retried; the session goes on as it was', async () => {
    const a = await clients.client();
    await a.query('USE other');
    await a.query("SET SESSION sql_mode = 'ANSI_QUOTES'");
    await a.query('SET SESSION wait_timeout = 1234');
    const before = counters();
    relay.loseAnswerTo = has('lost-ac');
    const err = await failure(a.query("INSERT INTO w2 (v) VALUES ('lost-ac')"));
    expect({ errno: err.errno, sqlState: err.sqlState, fatal: !!err.fatal }).toEqual({
      errno: 9005,
      sqlState: '08S01',
      fatal: false,
    });
    expect(relay.answersLost).toBeGreaterThan(0);
    expect(await count('lost-ac', 'other.w2')).toBe(1);
    expect(moved(before)).toEqual({ retries: 0, backendLost: 1, errors: 1 });
    expect(
      await one(a, 'SELECT DATABASE() AS db, @@sql_mode AS m, @@wait_timeout AS wt, @@in_transaction AS t'),
    ).toEqual({ db: 'other', m: 'ANSI_QUOTES', wt: 1234, t: 0 });
  });

  it('a multi-statement text cut after its INSERT answered: ERR 9005 after the OK, the INSERT once', async () => {
    const a = await clients.client({ multipleStatements: true });
    const lockConn = await fx.direct();
    await lockConn.query('LOCK TABLES locked_t WRITE');
    try {
      const q = a.query("INSERT INTO w (v) VALUES ('multi-1'); SELECT COUNT(*) AS n FROM locked_t");
      q.catch(() => {});
      // The INSERT's OK has gone out once the SELECT waits for the lock.
      await waitFor(
        async () =>
          Number(
            (
              await one(
                admin,
                "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO LIKE '%locked_t%' AND STATE LIKE '%lock%'",
              )
            ).n,
          ) === 1,
        { what: 'the SELECT to wait for the lock' },
      );
      relay.cutAnswerWhen = () => true;
      await lockConn.query('UNLOCK TABLES');
      expect((await failure(q)).errno).toBe(9005);
      expect(await count('multi-1')).toBe(1);
      expect(await one(a, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
    } finally {
      await lockConn.end();
    }
  });

  it('a SELECT calling a writing stored function (test . concat) whose answer is lost: 9005, applied once', async () => {
    await admin.query("DELETE FROM w WHERE v = 'fn-write'");
    const a = await clients.client();
    const before = counters();
    relay.loseAnswerTo = has('concat(1)');
    const r = await a.query('SELECT test . concat(1) AS n').then(
      ([rows]) => (rows as Row[])[0],
      (e: { errno?: number }) => ({ errno: e.errno }),
    );
    expect(relay.answersLost).toBeGreaterThan(0);
    expect({ r, retries: moved(before).retries, writes: await count('fn-write') }).toEqual({
      r: { errno: 9005 },
      retries: 0,
      writes: 1,
    });
  });
});

describe('transactions', () => {
  it('a lazy BEGIN whose BEGIN answer is lost: the INSERT goes elsewhere with BEGIN, once; COMMIT keeps one row', async () => {
    const a = await clients.client();
    await a.query('BEGIN');
    relay.loseAnswerTo = has('\x03BEGIN');
    await a.query("INSERT INTO w (v) VALUES ('lazy-lost-begin')");
    expect(relay.answersLost).toBeGreaterThan(0);
    expect(await one(a, 'SELECT @@in_transaction AS t')).toEqual({ t: 1 });
    expect(await count('lazy-lost-begin')).toBe(0);
    await a.query('COMMIT');
    expect(await count('lazy-lost-begin')).toBe(1);
  });

  it('the INSERT in an opened transaction whose answer is lost: 9008, the client closed, nothing committed', async () => {
    const a = await clients.client();
    await a.query('BEGIN');
    relay.loseAnswerTo = has('lazy-lost-ins');
    const err = await failure(a.query("INSERT INTO w (v) VALUES ('lazy-lost-ins')"));
    expect(err.errno).toBe(9008);
    expect(err.message).toContain('an uncommitted transaction is gone');
    // The server rolls the transaction back when its connection goes.
    await waitFor(async () => (await count('lazy-lost-ins')) === 0, { what: 'the rollback' });
  });

  it('a COMMIT whose answer is lost: 9008 naming the transaction, not retried; the rows committed once', async () => {
    const a = await clients.client();
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO w (v) VALUES ('commit-lost')");
    const before = counters();
    relay.loseAnswerTo = has('\x03COMMIT');
    const err = await failure(a.query('COMMIT'));
    expect({ errno: err.errno, sqlState: err.sqlState }).toEqual({ errno: 9008, sqlState: '08S01' });
    // It was committed: the client must not be told the transaction is gone (it would run it
    // again, and write it twice), but that its outcome is unknown.
    expect(err.message).toContain('whether it took effect');
    expect(err.message).not.toContain('is gone');
    expect(await count('commit-lost')).toBe(1);
    expect(moved(before)).toEqual({ retries: 0, backendLost: 1, errors: 1 });
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the client closed' });
  });
});

describe('prepared statements', () => {
  it('an INSERT execute whose re-prepare answer is lost is retried (nothing of it was sent): applied once', async () => {
    const a = await clients.client();
    const stmt = await a.prepare('INSERT INTO w (v) VALUES (?)');
    // Lose the next prepare of that text: the execute's own re-prepare on another connection.
    relay.loseAnswerTo = (chunk) => chunk[4] === 0x16 && chunk.includes(Buffer.from('INSERT INTO w'));
    // Another client's transaction holds the connection `a` prepared on, so the execute goes to
    // the other one, which has not got the statement: two transactions take both, the one on
    // the other connection ends.
    const id = await backendOf(a);
    const holders = [await clients.client(), await clients.client()];
    for (const h of holders) await h.query('BEGIN');
    const held = await Promise.all(holders.map(async (h) => await backendOf(h)));
    expect(held).toContain(id);
    await holders[held.indexOf(id) === 0 ? 1 : 0]!.query('ROLLBACK');
    const lost = relay.answersLost;
    const retries = counters().retries;
    await stmt.execute(['prep-lost']);
    expect(relay.answersLost - lost).toBe(1);
    expect(counters().retries - retries).toBe(1);
    expect(await count('prep-lost')).toBe(1);
  });

  it('an INSERT execute whose answer is lost: 9005, applied once; the statement still runs', async () => {
    const a = await clients.client();
    const stmt = await a.prepare('INSERT INTO w (v) VALUES (?)');
    relay.loseAnswerTo = (chunk) => chunk[4] === 0x17;
    expect((await failure(stmt.execute(['exec-lost']))).errno).toBe(9005);
    expect(await count('exec-lost')).toBe(1);
    await stmt.execute(['exec-after']);
    expect(await count('exec-after')).toBe(1);
  });
});

describe('LOAD DATA LOCAL INFILE', () => {
  const csv = (rows: string[]) =>
    ({ infileStreamFactory: () => Readable.from([Buffer.from(rows.join(''))]) }) as mysql.ConnectionOptions;
  const LOAD = "LOAD DATA LOCAL INFILE 'f.csv' INTO TABLE w FIELDS TERMINATED BY ','";

  it('lost mid-file: 9005 after the file, nothing kept, the client goes on', async () => {
    const a = await clients.client(csv(Array.from({ length: 2000 }, (_, i) => `${i},load-mid\n`)));
    relay.cutWhen = has('1500,load-mid');
    expect((await failure(a.query(LOAD))).errno).toBe(9005);
    expect(await count('load-mid')).toBe(0);
    expect(await one(a, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('the answer lost after the whole file: 9005, the load applied once', async () => {
    const a = await clients.client(csv(['1001,load-end\n', '1002,load-end\n']));
    // The empty packet that ends the file: a header of length 0.
    relay.loseAnswerTo = (chunk) =>
      chunk.length >= 4 && chunk.subarray(chunk.length - 4, chunk.length - 1).equals(Buffer.from([0, 0, 0]));
    expect((await failure(a.query(LOAD))).errno).toBe(9005);
    expect(await count('load-end')).toBe(2);
    expect(await one(a, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('the first statement of a lazy BEGIN, lost mid-file: 9008 after the file, nothing kept', async () => {
    const a = await clients.client(csv(Array.from({ length: 2000 }, (_, i) => `${5000 + i},load-tx\n`)));
    await a.query('BEGIN');
    relay.cutWhen = has('6500,load-tx');
    const err = await failure(a.query(LOAD));
    expect({ errno: err.errno, sqlState: err.sqlState }).toEqual({ errno: 9008, sqlState: '08S01' });
    expect(await count('load-tx')).toBe(0);
  });
});

describe('lost while the connection is brought to the client’s state (nothing of the write sent)', () => {
  /** Another client's transaction on one of the two connections, so the next statement syncs the other. */
  async function holdOne(): Promise<mysql.Connection> {
    const h = await clients.client();
    await h.query('BEGIN');
    await one(h, 'SELECT 1 AS x');
    return h;
  }

  it('the sync’s SET loses its answer: the INSERT is retried, applied once, in the client’s sql_mode', async () => {
    const a = await clients.client();
    await a.query("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'");
    const h = await holdOne();
    const before = counters();
    relay.loseAnswerTo = (chunk) =>
      chunk[4] === 0x03 &&
      chunk.includes(Buffer.from('ANSI_QUOTES')) &&
      !chunk.includes(Buffer.from('sync-lost'));
    await a.query("INSERT INTO w (v) VALUES ('sync-lost')");
    const retries = moved(before).retries;
    await h.query('ROLLBACK');
    expect(await count('sync-lost')).toBe(1);
    expect((await one(a, 'SELECT @@sql_mode AS m')).m).toBe('ANSI_QUOTES,STRICT_ALL_TABLES');
    expect({ lost: relay.answersLost > 0, retries }).toEqual({ lost: true, retries: 1 });
  });

  it('the sync’s COM_INIT_DB loses its answer: the INSERT is retried, applied once', async () => {
    const a = await clients.client({ database: 'other' });
    const h = await holdOne();
    const before = counters();
    relay.loseAnswerTo = (chunk) => chunk[4] === 0x02 && chunk.includes(Buffer.from('other'));
    await a.query("INSERT INTO w2 (v) VALUES ('initdb-lost')");
    const retries = moved(before).retries;
    await h.query('ROLLBACK');
    expect(await count('initdb-lost', 'other.w2')).toBe(1);
    expect({ lost: relay.answersLost > 0, retries }).toEqual({ lost: true, retries: 1 });
  });
});

it('a client pipelining INSERT a (answer lost), INSERT b, SELECT: ERR 9005, OK, rows — each write once', async () => {
  const c = await RawMysqlClient.open(fx.port);
  raws.push(c);
  expect((await c.login({ user: 'app', password: 'secret', database: 'test' })).kind).toBe('ok');
  relay.loseAnswerTo = has('pipe-a');
  const from = c.received.length;
  await c.write(
    Buffer.concat([
      queryFrame("INSERT INTO w (v) VALUES ('pipe-a')"),
      queryFrame("INSERT INTO w (v) VALUES ('pipe-b')"),
      END_MARKER,
    ]),
  );
  const endMarker = Buffer.from('end-marker').toString('hex');
  expect(
    await c.until(
      () => comparableAnswers(frames(c.received, from)).some((x) => x.includes(endMarker)),
      10_000,
    ),
  ).toBe(true);
  const answers = frames(c.received, from).map((f) =>
    f.payload[0] === 0xff
      ? `${f.seq}:ERR ${f.payload.readUInt16LE(1)}`
      : `${f.seq}:${f.payload[0] === 0 ? 'OK' : 'rows'}`,
  );
  expect(answers.slice(0, 2)).toEqual(['1:ERR 9005', '1:OK']);
  expect([await count('pipe-a'), await count('pipe-b')]).toEqual([1, 1]);
});
