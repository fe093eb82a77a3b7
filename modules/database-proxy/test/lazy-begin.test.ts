/**
 * Lazy BEGIN (see the README) against MariaDB itself: the same steps on a direct connection and
 * through the proxy must show the same status flags, transactions and errors. A second proxy
 * reaches MariaDB through a TCP relay that can cut a backend connection, or hold a command back,
 * at the moment a given command arrives.
 */
import { Readable } from 'node:stream';
import {
  buildPrepare,
  CLIENT_DEPRECATE_EOF,
  isEofPacket,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { failure, hold, holdBackend, one } from './support/backends.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const IN_TRANS = 0x1;
const NO_BACKSLASH_ESCAPES = 0x200;
const IN_TRANS_READONLY = 0x2000;

let fx: ProxyFixture;
let viaRelay: ProxyFixture;
let relay: BackendRelay;
let direct: mysql.Connection;
const clients = trackedClients(() => fx);
const client = clients.client;
const relayClients = trackedClients(() => viaRelay);

const serverStatus = async (c: mysql.Connection, sql: string) => {
  const [r] = await c.query<mysql.ResultSetHeader>(sql);
  return r.serverStatus;
};
const committed = async (v: string) =>
  Number((await one(direct, 'SELECT COUNT(*) AS n FROM lbr WHERE v = ?', [v])).n);

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
  direct = await fx.direct();
  await direct.query('CREATE TABLE lbr (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)) ENGINE=InnoDB');
  ({ fx: viaRelay, relay } = await startRelayedProxy(fx.mariadb, 2));
});

afterEach(async () => {
  relay.cutWhen = undefined;
  relay.cutTimes = 1;
  await clients.closeAll();
  await relayClients.closeAll();
});

afterAll(async () => {
  await direct?.end();
  await viaRelay?.stop();
  await relay?.stop();
  await fx?.stop();
});

/** Runs `steps` on a fresh direct connection and on a fresh proxy client. */
async function both<T>(
  steps: (c: mysql.Connection, tag: string) => Promise<T>,
  options: mysql.ConnectionOptions = {},
): Promise<{ server: T; proxy: T }> {
  const d = await createConnection({
    host: '127.0.0.1',
    port: fx.mariadb.port,
    user: fx.mariadb.user,
    password: fx.mariadb.password,
    database: 'test',
    ...options,
  });
  let server: T;
  try {
    server = await steps(d, 'direct');
  } finally {
    await d.end().catch(() => d.destroy());
  }
  const proxy = await steps(await client(options), 'proxy');
  return { server, proxy };
}

/** Each proxy (pool of 2) opens two transactions at once on two backends: nothing leaked. */
async function expectTwoTransactionsAtOnce(): Promise<void> {
  for (const f of [fx, viaRelay]) {
    const cs = [await f.connect(), await f.connect()];
    for (const c of cs) await c.query('BEGIN');
    const rows = await Promise.all(
      cs.map((c) => one(c, 'SELECT CONNECTION_ID() AS id, @@in_transaction AS t')),
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    expect(rows.map((r) => r.t)).toEqual([1, 1]);
    for (const c of cs) await c.end();
  }
}

describe('status flags of the OK the proxy writes for a lazy BEGIN', () => {
  it('keeps NO_BACKSLASH_ESCAPES when sql_mode has it (client-side escaping depends on it)', async () => {
    const r = await both(async (c) => {
      await c.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
      const setStatus = await serverStatus(c, 'DO 1');
      const beginStatus = await serverStatus(c, 'BEGIN');
      await c.query('ROLLBACK');
      return { setStatus, beginStatus };
    });
    expect(r.server.setStatus & NO_BACKSLASH_ESCAPES).toBe(NO_BACKSLASH_ESCAPES);
    expect(r.proxy.setStatus & NO_BACKSLASH_ESCAPES).toBe(NO_BACKSLASH_ESCAPES);
    expect(r.server.beginStatus & NO_BACKSLASH_ESCAPES).toBe(NO_BACKSLASH_ESCAPES);
    expect(r.proxy.beginStatus).toBe(r.server.beginStatus);
  });

  it('keeps IN_TRANS_READONLY after SET SESSION TRANSACTION READ ONLY', async () => {
    const r = await both(async (c) => {
      await c.query('SET SESSION TRANSACTION READ ONLY');
      const s = await serverStatus(c, 'BEGIN');
      await c.query('ROLLBACK');
      return s;
    });
    expect(r.server & (IN_TRANS | IN_TRANS_READONLY)).toBe(IN_TRANS | IN_TRANS_READONLY);
    expect(r.proxy).toBe(r.server);
  });
});

describe('COMMIT / ROLLBACK answered by the proxy', () => {
  it('completion_type=CHAIN: COMMIT opens the next transaction, whose write ROLLBACK undoes', async () => {
    const r = await both(async (c, tag) => {
      await c.query("SET SESSION completion_type = 'CHAIN'");
      await c.query('BEGIN');
      const commitStatus = await serverStatus(c, 'COMMIT');
      await c.query('INSERT INTO lbr (v) VALUES (?)', [`chain-${tag}`]);
      await c.query('ROLLBACK');
      await c.query("SET SESSION completion_type = 'NO_CHAIN'");
      return { chained: commitStatus & IN_TRANS, kept: await committed(`chain-${tag}`) };
    });
    expect(r.server).toEqual({ chained: IN_TRANS, kept: 0 });
    expect(r.proxy).toEqual(r.server);
  });
});

describe('COMMIT / ROLLBACK with no transaction open', () => {
  it('are answered here with the status MariaDB gives: autocommit on or off, sql_mode bits (a pool resetting on return)', async () => {
    const { queries, emptyTransactions } = fx.proxy.stats().counters;
    const r = await both(async (c, tag) => {
      const out: unknown[] = [];
      await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-auto')`);
      out.push(await serverStatus(c, 'ROLLBACK'), await serverStatus(c, 'COMMIT'));
      // The flags clients quote and escape by come with the answer.
      await c.query("SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'");
      out.push(await serverStatus(c, 'ROLLBACK'));
      await c.query('SET SESSION sql_mode = DEFAULT');
      // Autocommit off: a write opens a transaction its COMMIT ends; the ROLLBACK after ends none.
      await c.query('SET autocommit = 0');
      await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-off')`);
      out.push(await serverStatus(c, 'COMMIT'), await serverStatus(c, 'ROLLBACK'));
      await c.query('SET autocommit = 1');
      out.push(await committed(`${tag}-auto`), await committed(`${tag}-off`));
      return out;
    });
    expect(r.server.slice(-2)).toEqual([1, 1]);
    expect((r.server[2] as number) & 0x8200).toBe(0x8200);
    expect(r.proxy).toEqual(r.server);
    const after = fx.proxy.stats().counters;
    // The first ROLLBACK goes to the connection that keeps the write's results (ROW_COUNT()
    // asks there); the COMMIT, the ROLLBACK under the sql_mode and the one after the autocommit-off
    // COMMIT never reach a server.
    expect(after.emptyTransactions).toBe(emptyTransactions + 3);
    expect(after.queries).toBe(queries + 11 - 3);
  });

  it('completion_type set by the client: they go to the server, which ends the session at RELEASE', async () => {
    const r = await both(async (c) => {
      await c.query("SET SESSION completion_type = 'RELEASE'");
      await c.query('COMMIT');
      return (await failure(c.query('SELECT 1'))).code;
    });
    expect(r.server).toMatch(/CLOSED|PROTOCOL_CONNECTION_LOST|ECONNRESET/);
    expect(r.proxy).toMatch(/CLOSED|PROTOCOL_CONNECTION_LOST|ECONNRESET/);
  });
});

describe('comments around a plain BEGIN / COMMIT / ROLLBACK', () => {
  it('are answered here as the plain forms are, with the statuses and outcome MariaDB gives', async () => {
    const { lazyBegins, emptyTransactions } = fx.proxy.stats().counters;
    const r = await both(async (c, tag) => {
      const out: unknown[] = [];
      // sqlcommenter's trailing tags, a leading block comment, line comments
      out.push(await serverStatus(c, "BEGIN /*traceparent='00-4bf9-01',route='%2Fpay'*/"));
      await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-x')`);
      out.push(await serverStatus(c, '/* app */ ROLLBACK'));
      out.push(await serverStatus(c, '# tx\nSTART /* a */ TRANSACTION'));
      await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-y')`);
      out.push(await serverStatus(c, 'COMMIT -- done'));
      out.push(await serverStatus(c, '/* empty */ BEGIN'), await serverStatus(c, '/* empty */ COMMIT'));
      out.push(await committed(`${tag}-x`), await committed(`${tag}-y`));
      return out;
    });
    expect(r.server).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      0,
      1,
    ]);
    expect((r.server[0] as number) & IN_TRANS).toBe(IN_TRANS);
    expect(r.proxy).toEqual(r.server);
    // Three BEGINs answered here, one of them committed with nothing in it.
    expect(fx.proxy.stats().counters).toMatchObject({
      lazyBegins: lazyBegins + 3,
      emptyTransactions: emptyTransactions + 1,
    });
  });

  it('an executable comment goes to the server: START TRANSACTION /*!50605 READ ONLY */ refuses a write', async () => {
    const { lazyBegins } = fx.proxy.stats().counters;
    const r = await both(async (c, tag) => {
      const status = await serverStatus(c, 'START TRANSACTION /*!50605 READ ONLY */');
      const errno = (await failure(c.query(`INSERT INTO lbr (v) VALUES ('${tag}-ro')`))).errno;
      await c.query('ROLLBACK');
      return { status, errno };
    });
    expect(r.server.errno).toBe(1792);
    expect(r.proxy).toEqual(r.server);
    expect(fx.proxy.stats().counters.lazyBegins).toBe(lazyBegins);
  });
});

describe('BEGIN the server refuses', () => {
  it('sql_mode=ORACLE: BEGIN answers as MariaDB does, and the client is not dropped', async () => {
    const r = await both(async (c) => {
      await c.query("SET SESSION sql_mode = 'ORACLE'");
      const begin = await c.query('BEGIN').then(
        () => 'ok',
        (e: { errno?: number }) => e.errno,
      );
      const next = await c.query('SELECT 1 AS one FROM dual').then(
        () => 'ok',
        (e: { errno?: number; code?: string }) => `${e.errno ?? e.code}`,
      );
      return { begin, next };
    });
    expect(r.proxy).toEqual(r.server);
  });
});

describe('backend lost under a lazy BEGIN and its first statement', () => {
  const isBegin = (chunk: Buffer) => chunk.includes(Buffer.from('\x03BEGIN', 'latin1'));

  it('a pure read lost before any answer is run again (control: without BEGIN it is)', async () => {
    const a = await relayClients.client();
    await one(a, 'SELECT 1 AS warm');
    // Control: a pure read whose connection is cut before it reached the server is retried.
    const retries = viaRelay.proxy.stats().counters.retries;
    relay.cutWhen = (chunk) => chunk.includes(Buffer.from('cut-plain'));
    expect((await one(a, "SELECT 'cut-plain' AS v")).v).toBe('cut-plain');
    expect(relay.cuts).toBe(1);
    expect(viaRelay.proxy.stats().counters.retries).toBe(retries + 1);

    // The same read as the first statement after a lazy BEGIN.
    await a.query('BEGIN');
    relay.cutWhen = isBegin;
    const r = await a.query("SELECT 'cut-lazy' AS v").then(
      ([rows]) => (rows as { v: string }[])[0]!.v,
      (e: { errno?: number; message?: string }) => `ERR ${e.errno}: ${e.message}`,
    );
    expect(relay.cuts).toBe(2);
    expect(r).toBe('cut-lazy');
  });

  it('after the lost BEGIN + read fails, the client gets 9005 and its (empty) transaction stays open', async () => {
    const a = await relayClients.client();
    await a.query('BEGIN');
    // Lost on every attempt (3: the first and both retries), so it ends in an error whatever the retry policy.
    relay.cutWhen = isBegin;
    relay.cutTimes = 3;
    const err = await failure(a.query("SELECT 'cut-lazy-2' AS v"));
    relay.cutWhen = undefined;
    // BEGIN's OK never came: no transaction lived on a backend, so nothing of it is lost — the
    // statement failed (9005, not run again), and the client goes on inside the transaction it
    // was told is open, as after any statement error. Not in autocommit: its write is undone
    // by its ROLLBACK.
    expect(err.errno).toBe(9005);
    expect((await one(a, 'SELECT @@in_transaction AS t')).t).toBe(1);
    await a.query("INSERT INTO lbr (v) VALUES ('after-lost-begin')");
    expect(await committed('after-lost-begin')).toBe(0);
    await a.query('ROLLBACK');
    expect(await committed('after-lost-begin')).toBe(0);
    await a.query("INSERT INTO lbr (v) VALUES ('after-lost-begin-autocommit')");
    expect(await committed('after-lost-begin-autocommit')).toBe(1);
  });

  it('a write after a lost BEGIN is retried with BEGIN on another connection', async () => {
    const a = await relayClients.client();
    await a.query('BEGIN');
    relay.cutWhen = isBegin;
    await a.query("INSERT INTO lbr (v) VALUES ('lost-begin-write')");
    expect(relay.cuts).toBeGreaterThan(0);
    expect(await committed('lost-begin-write')).toBe(0);
    expect((await one(a, 'SELECT @@in_transaction AS t')).t).toBe(1);
    await a.query('ROLLBACK');
    expect(await committed('lost-begin-write')).toBe(0);
    await waitFor(() => viaRelay.proxy.stats().pinnedNow.transaction === 0, { what: 'unpinned' });
  });
});

describe('first statement fails on the proxy side after BEGIN went out', () => {
  it('an execute whose re-prepare fails does not put the backend back in the pool inside the lazy transaction', async () => {
    await direct.query('CREATE TABLE lbr_gone (v VARCHAR(40))');
    // H holds one backend (X), so A's prepare lands on the other (Y).
    const h = await hold(fx);
    const a = await client();
    const stmt = await a.prepare('INSERT INTO lbr_gone (v) VALUES (?)');
    const ids = (
      await direct.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy'")
    )[0] as { id: number }[];
    const y = ids.map((r) => Number(r.id)).find((id) => id !== h.backendId)!;
    await h.release();
    // Y is held now: A's execute gets X, where the statement is not prepared yet.
    const holdY = await holdBackend(fx, y, 2);
    await direct.query('DROP TABLE lbr_gone');
    await a.query('BEGIN');
    const err = await failure(stmt.execute(['x']));
    expect(err.errno).toBe(1146);
    // X now carries A's open transaction: A keeps it pinned, so it is not back in the pool
    // (and holds the error for SHOW WARNINGS, as a failed statement's).
    const aStats = fx.proxy.stats().clients.find((c) => c.pinned.includes('transaction'))?.pinned;
    expect(aStats).toEqual(['transaction', 'previous_result']);
    await holdY.release();
    // Another client gets Y: on MariaDB its session would not be inside anyone's transaction.
    const b = await client();
    const seen = await one(b, 'SELECT @@in_transaction AS t, CONNECTION_ID() AS id');
    expect(seen.id).toBe(y);
    await b.query("INSERT INTO lbr (v) VALUES ('b-autocommit')");
    const bKept = await committed('b-autocommit');
    // A itself was told it is inside a transaction; its next statement must run inside one.
    const aIn = (await one(a, 'SELECT @@in_transaction AS t')).t;
    expect({ otherClientInTrx: seen.t, otherClientWriteCommitted: bKept, clientInTrx: aIn }).toEqual({
      otherClientInTrx: 0,
      otherClientWriteCommitted: 1,
      clientInTrx: 1,
    });
    await a.query('ROLLBACK');
  });
});

describe('checked, behaves like MariaDB', () => {
  it('client gone while BEGIN is in flight, or after its OK with the write in flight: nothing kept, nothing leaked', async () => {
    // 1. BEGIN held in the relay, client destroyed.
    const a = await relayClients.client();
    await a.query('BEGIN');
    relay.holdWhen = (chunk) => chunk.includes(Buffer.from('\x03BEGIN', 'latin1'));
    const p = a.query("INSERT INTO lbr (v) VALUES ('gone-1')");
    p.catch(() => {});
    await waitFor(() => relay.heldCount > 0, { what: 'BEGIN held' });
    a.destroy();
    relayClients.forget(a);
    await waitFor(() => viaRelay.proxy.stats().clients.length === 0, { what: 'A to leave' });
    relay.release();
    // 2. BEGIN's OK back, INSERT waiting for a row lock, client destroyed.
    await direct.query("INSERT INTO lbr (id, v) VALUES (5000, 'locked')");
    const locker = await fx.direct();
    await locker.query('BEGIN');
    await locker.query("UPDATE lbr SET v = 'locked2' WHERE id = 5000");
    const b = await client();
    await b.query('BEGIN');
    const q = b.query("UPDATE lbr SET v = 'gone-2' WHERE id = 5000");
    q.catch(() => {});
    await waitFor(
      async () =>
        Number(
          (
            await one(
              direct,
              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE lbr SET v = ''gone-2''%'",
            )
          ).n,
        ) === 1,
      { what: 'B to wait for the lock' },
    );
    b.destroy();
    clients.forget(b);
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'B to leave' });
    await locker.query('ROLLBACK');
    await locker.end();
    expect(await committed('gone-1')).toBe(0);
    expect(await committed('gone-2')).toBe(0);
    // Both pools still hand out two transactions at once (no slot or connection leaked).
    await expectTwoTransactionsAtOnce();
  });

  it('KILL QUERY while the BEGIN ahead of a write is on its way: the write never runs, the transaction is open', async () => {
    const a = await relayClients.client();
    const killer = await relayClients.client();
    await a.query('BEGIN');
    relay.holdWhen = (chunk) => chunk.includes(Buffer.from('\x03BEGIN', 'latin1'));
    const write = a.query("INSERT INTO lbr (v) VALUES ('killed-early')").then(
      () => 'ran',
      (e: { errno?: number }) => e.errno,
    );
    await waitFor(() => relay.heldCount > 0, { what: 'BEGIN held' });
    await killer.query(`KILL QUERY ${a.threadId}`);
    relay.release();
    expect(await write).toBe(1317);
    // As on MariaDB when a statement after BEGIN is killed: the transaction stays open.
    expect((await one(a, 'SELECT @@in_transaction AS t')).t).toBe(1);
    await a.query('ROLLBACK');
    expect(await committed('killed-early')).toBe(0);
    expect((await one(a, "SELECT 'after' AS v")).v).toBe('after');
  });

  it('a KILL QUERY held on its way: the statement ends first, and its backend goes to nobody until the KILL is answered', async () => {
    const victim = await relayClients.client();
    const killer = await relayClients.client();
    const bystander = await relayClients.client();
    // The pool's other connection is held: the KILL goes on a connection of its own.
    const holder = await hold(viaRelay);
    try {
      const sleeping = victim.query('SELECT SLEEP(60) AS s').then(
        () => 'ran',
        (e: { errno?: number }) => e.errno,
      );
      await waitFor(
        () => viaRelay.proxy.stats().clients.some((c) => c.id === victim.threadId && c.state === 'active'),
        { what: "the victim's SLEEP to run" },
      );
      const [[x]] = await direct.query<mysql.RowDataPacket[]>(
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(60) AS s'",
      );
      relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x!.id}`));
      const kill = killer.query(`KILL QUERY ${victim.threadId}`);
      await waitFor(() => relay.heldCount > 0, { what: 'the KILL held in the relay' });
      // The statement ends before the KILL arrives (interrupted from outside the proxy).
      await direct.query(`KILL QUERY ${x!.id}`);
      expect(await sleeping).not.toBe('ran');
      // Its connection is not idle: held out of the pool while the KILL naming it is on its way.
      expect(viaRelay.proxy.stats().pools[0]).toMatchObject({ open: 2, idle: 0 });
      const late = bystander.query('SELECT SLEEP(0.3) AS s').then(
        ([r]) => (r as { s: number }[])[0]!.s,
        (e: { errno?: number }) => e.errno,
      );
      relay.release();
      await kill;
      // The bystander gets that connection only after the KILL: its SLEEP is not interrupted.
      expect(await late).toBe(0);
    } finally {
      await holder.release();
    }
  });

  it('first statement variants inside a lazy transaction match MariaDB', async () => {
    await direct.query('DROP PROCEDURE IF EXISTS lbr_ins');
    await direct.query('CREATE PROCEDURE lbr_ins(x VARCHAR(40)) INSERT INTO lbr (v) VALUES (x)');
    const r = await both(async (c, tag) => {
      const out: unknown[] = [];
      const t = async () => (await one(c, 'SELECT @@in_transaction AS t')).t;
      // error as first statement: still in the transaction
      await c.query('BEGIN');
      out.push((await failure(c.query('SELECT * FROM no_such_table'))).errno, await t());
      await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-a')`);
      await c.query('ROLLBACK');
      // CALL, USE, SAVEPOINT, SET autocommit=0 as first statement
      for (const first of [`CALL lbr_ins('${tag}-b')`, 'USE test', 'SAVEPOINT s1', 'SET autocommit = 0']) {
        await c.query('BEGIN');
        await c.query(first);
        await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-c')`);
        out.push(first.split(' ')[0], await t());
        await c.query('ROLLBACK');
        await c.query('SET autocommit = 1');
      }
      // prepare between BEGIN and the first statement
      await c.query('BEGIN');
      await c.prepare('SELECT COUNT(*) AS n FROM lbr WHERE v = ?');
      await c.execute('INSERT INTO lbr (v) VALUES (?)', [`${tag}-d`]);
      out.push(await t());
      await c.query('ROLLBACK');
      // prepared BEGIN + read: snapshot at the read
      await c.execute('BEGIN');
      out.push((await c.execute<mysql.RowDataPacket[]>('SELECT @@in_transaction AS t'))[0][0]!.t);
      await c.execute('COMMIT');
      // BEGIN, COMMIT AND CHAIN, ROLLBACK TO SAVEPOINT unknown, START TRANSACTION READ ONLY after lazy BEGIN
      await c.query('BEGIN');
      await c.query('COMMIT AND CHAIN');
      out.push(await t());
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      out.push((await failure(c.query('ROLLBACK TO SAVEPOINT nope'))).errno, await t());
      await c.query('ROLLBACK');
      out.push(
        await committed(`${tag}-a`),
        await committed(`${tag}-b`),
        await committed(`${tag}-c`),
        await committed(`${tag}-d`),
      );
      return out;
    });
    expect(r.proxy).toEqual(r.server);
  });

  it('a prepare between BEGIN and the first statement: its EOFs say IN_TRANS as MariaDB does (clients without DEPRECATE_EOF)', async () => {
    const inTransAfterPrepare = async (port: number, user: string, password: string) => {
      const c = await RawClient.connect({
        port,
        user,
        password,
        database: 'test',
        capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF,
      });
      try {
        expect((await c.query('BEGIN')).statusFlags & IN_TRANS).toBe(IN_TRANS);
        const prepared = await c.command(buildPrepare('SELECT ? AS a, ? AS b'));
        expect(prepared.error).toBeUndefined();
        // Two parameter definitions and two columns, each list closed by an EOF.
        const eofs = prepared.packets.filter((p) => isEofPacket(p.payload));
        expect(eofs).toHaveLength(2);
        return eofs.map((p) => p.payload.readUInt16LE(3) & IN_TRANS);
      } finally {
        await c.close();
      }
    };
    const server = await inTransAfterPrepare(fx.mariadb.port, fx.mariadb.user, fx.mariadb.password);
    const lazyBegins = fx.proxy.stats().counters.lazyBegins;
    const proxy = await inTransAfterPrepare(fx.port, APP_USER.name, APP_USER.password);
    // The proxy answered that BEGIN itself: the prepare ran outside the transaction.
    expect(fx.proxy.stats().counters.lazyBegins).toBe(lazyBegins + 1);
    expect(server).toEqual([IN_TRANS, IN_TRANS]);
    expect(proxy).toEqual(server);
  });

  it('LOAD DATA LOCAL INFILE as the first statement stays inside the transaction', async () => {
    const r = await both(async (c, tag) => {
      await c.query('BEGIN');
      const load = await c
        .query({
          sql: "LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE lbr (v)",
          infileStreamFactory: () => Readable.from([Buffer.from(`${tag}-inf\n${tag}-inf\n`)]),
        } as mysql.QueryOptions)
        .then(
          ([res]) => (res as mysql.ResultSetHeader).affectedRows,
          (e: { errno?: number; message?: string }) => `ERR ${e.errno} ${e.message}`,
        );
      const t = (await one(c, 'SELECT @@in_transaction AS t')).t;
      await c.query('ROLLBACK');
      return { load, t, kept: await committed(`${tag}-inf`) };
    });
    expect(r.server).toEqual({ load: 2, t: 1, kept: 0 });
    expect(r.proxy).toEqual(r.server);
  });

  it('multi-statement first statement, and COM_CHANGE_USER during a lazy BEGIN', async () => {
    const r = await both(
      async (c, tag) => {
        const out: unknown[] = [];
        await c.query('BEGIN');
        await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-m1'); INSERT INTO lbr (v) VALUES ('${tag}-m2')`);
        await c.query('ROLLBACK');
        out.push(await committed(`${tag}-m1`), await committed(`${tag}-m2`));
        await c.query('BEGIN');
        await c.changeUser({
          user: (c.config as { user: string }).user,
          password: (c.config as { password: string }).password,
          database: 'test',
        });
        out.push((await one(c, 'SELECT @@in_transaction AS t')).t);
        await c.query(`INSERT INTO lbr (v) VALUES ('${tag}-cu')`);
        out.push(await committed(`${tag}-cu`));
        return out;
      },
      { multipleStatements: true },
    );
    expect(r.proxy).toEqual(r.server);
  });
});

describe('after everything above', () => {
  it('no admission slot or backend connection was leaked: two transactions at once on each proxy', async () => {
    await expectTwoTransactionsAtOnce();
  });
});
