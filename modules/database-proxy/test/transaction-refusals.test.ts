/**
 * A statement of a lazy BEGIN's transaction that has not reached a server yet, refused for want
 * of a backend (here: the tenant's queue is full, ERR 9002; or its connection cut before it went
 * out, ERR 9005), rolls the transaction back: the client's next statements get ERR 9009 until it
 * ends it, and its COMMIT commits nothing. Kept open instead, a client that pipelines BEGIN, its
 * writes and COMMIT would commit the writes after the refused one without it. A client last
 * told of no transaction (its BEGIN refused, autocommit off) is left as MariaDB would leave it.
 * Real MariaDB behind the proxy (through a relay that can cut a backend connection); MariaDB's
 * table says what landed.
 */
import {
  buildExecute,
  buildPrepare,
  buildSendLongData,
  CLIENT_DEPRECATE_EOF,
  isEofPacket,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { failure, one } from './support/backends.js';
import { connectorClients } from './support/mariadb-connector.js';
import { END_MARKER, queryFrame } from './support/pipelined-commands.js';
import { createBackendUser, type ProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics, watch } from './support/qos-helpers.js';
import { frames, RawMysqlClient } from './support/raw-mysql-client.js';
import { trackedClients } from './support/tracked-clients.js';

let mariadb: MariaDB;
let fx: ProxyFixture;
let relay: BackendRelay;
let admin: mysql.Connection;
const clients = trackedClients(() => fx);
const raws: RawMysqlClient[] = [];
const connector = connectorClients(() => fx);
/** A client of the tenant whose one slot and one queue place the tests fill. */
const qf = () => clients.client({ user: 'qf', password: 'qf' });
/** The same user on a raw protocol client (close it yourself), with `capabilities` if given. */
const rawQf = (capabilities?: number) =>
  RawClient.connect({
    host: '127.0.0.1',
    port: fx.port,
    user: 'qf',
    password: 'qf',
    database: 'test',
    capabilities,
  });

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 200 });
  await createBackendUser(mariadb);
  ({ fx, relay } = await startRelayedProxy(mariadb, 2, {
    users: [
      { name: 'app', password: 'secret', tenant: 'default' },
      { name: 'qf', password: 'qf', tenant: 'qfull' },
    ],
    tenants: [{ name: 'qfull', max_in_flight: 1, max_queued: 1, queue_timeout: '30s' }],
  }));
  admin = await fx.direct();
  await admin.query('CREATE TABLE tr (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))');
});

afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  relay.cutWhen = undefined;
  relay.cutTimes = 1;
  await connector.closeAll();
  await clients.closeAll();
  await waitFor(
    () => tenantMetrics(fx, 'qfull').inFlight === 0 && tenantMetrics(fx, 'default').inFlight === 0,
    {
      what: 'no slot in flight',
    },
  );
});

afterAll(async () => {
  await admin?.end();
  await fx?.stop();
  await relay?.stop();
  await mariadb?.stop();
});

/** How often a write of `v` landed. */
async function landed(v: string): Promise<number> {
  return Number((await one(admin, 'SELECT COUNT(*) AS n FROM tr WHERE v = ?', [v])).n);
}

/**
 * Fills tenant qfull's one slot (a transaction) and its one queue place (a statement waiting
 * behind it): the tenant's next statement gets ERR 9002 at once. `free` ends both.
 */
async function fillQueue(): Promise<{ free: () => Promise<void> }> {
  const holder = await qf();
  const waiting = await qf();
  await holder.query('START TRANSACTION');
  await holder.query('SELECT 1');
  const queued = watch(one(waiting, 'SELECT 2 AS v'));
  await waitFor(() => tenantMetrics(fx, 'qfull').queued === 1, { what: 'a statement to queue' });
  return {
    free: async () => {
      await holder.query('COMMIT');
      await queued.promise;
    },
  };
}

/**
 * Runs `statement` while tenant qfull's slot and queue are full — refused at once (ERR 9002) —
 * then frees them: what comes after would run. Returns the refusal.
 */
async function refusedWhileFull(
  statement: () => Promise<unknown>,
): Promise<Error & { errno?: number; sqlState?: string }> {
  const full = await fillQueue();
  try {
    return await failure(statement());
  } finally {
    await full.free();
  }
}

const errOf = (e: { errno?: number; sqlState?: string; message: string }) => ({
  errno: e.errno,
  sqlState: e.sqlState,
  message: e.message,
});

describe('a write refused before its transaction reached a backend', () => {
  it('rolls the transaction back: the next statements get 9009 (40001), COMMIT 9009, nothing lands; the client goes on', async () => {
    const a = await qf();
    await a.query('BEGIN');
    const full = await fillQueue();
    const aborted = fx.proxy.stats().counters.transactionsAborted;
    const refused = await failure(a.query("INSERT INTO tr (v) VALUES ('ab-1')"));
    expect(errOf(refused)).toEqual({
      errno: 9002,
      sqlState: 'HY000',
      message:
        'Proxy: too many requests waiting for a backend (tenant qfull, limit 1); the transaction is rolled back: its statements get ERR 9009 until ROLLBACK (or BEGIN)',
    });
    expect(fx.proxy.stats().counters.transactionsAborted).toBe(aborted + 1);
    expect(fx.proxy.stats().clients.find((c) => c.user === 'qf' && c.transactionAborted)).toBeDefined();
    // The queue is free again: the statements after it would run — and COMMIT commit them.
    await full.free();
    const next = await failure(a.query("INSERT INTO tr (v) VALUES ('ab-2')"));
    expect(errOf(next)).toEqual({
      errno: 9009,
      sqlState: '40001',
      message:
        'Proxy: statement refused: this transaction was rolled back after ERR 9002 for an earlier statement of it; end it with ROLLBACK (or BEGIN the next one)',
    });
    expect((await failure(a.execute('INSERT INTO tr (v) VALUES (?)', ['ab-3']))).errno).toBe(9009);
    expect((await failure(a.query('SELECT 1'))).errno).toBe(9009);
    const commit = await failure(a.query('COMMIT'));
    expect(errOf(commit)).toEqual({
      errno: 9009,
      sqlState: '40001',
      message:
        'Proxy: nothing committed: this transaction was rolled back after ERR 9002 for a statement of it; run it again',
    });
    expect([await landed('ab-1'), await landed('ab-2'), await landed('ab-3')]).toEqual([0, 0, 0]);
    // The COMMIT ended it: autocommit again.
    const [ok] = await a.query<mysql.ResultSetHeader>("INSERT INTO tr (v) VALUES ('ab-after')");
    expect(ok.serverStatus & 0x1).toBe(0);
    expect(await landed('ab-after')).toBe(1);
  });

  it('ROLLBACK ends it (OK, no longer in a transaction), and so does a BEGIN, whose transaction commits', async () => {
    const a = await qf();
    await a.query('BEGIN');
    expect((await refusedWhileFull(() => a.query("INSERT INTO tr (v) VALUES ('rb-1')"))).errno).toBe(9002);
    const [rolledBack] = await a.query<mysql.ResultSetHeader>('ROLLBACK');
    expect(rolledBack.serverStatus & 0x1).toBe(0);
    await a.query("INSERT INTO tr (v) VALUES ('rb-2')");
    expect(await landed('rb-2')).toBe(1);

    // (A fresh client: one that has just written holds its backend for the write's results, and
    // its BEGIN goes there — taking the tenant's one slot.)
    const b = await qf();
    await b.query('START TRANSACTION');
    expect((await refusedWhileFull(() => b.query("UPDATE tr SET v = 'rb-x' WHERE v = 'rb-2'"))).errno).toBe(
      9002,
    );
    // Tagged as a query-tagging library tags every statement: read as the server reads it.
    const [begun] = await b.query<mysql.ResultSetHeader>("/* app='billing' */ BEGIN");
    expect(begun.serverStatus & 0x1).toBe(1);
    await b.query("INSERT INTO tr (v) VALUES ('rb-3')");
    await b.query('COMMIT');
    expect([await landed('rb-1'), await landed('rb-x'), await landed('rb-2'), await landed('rb-3')]).toEqual([
      0, 0, 1, 1,
    ]);

    // Any form of ROLLBACK ends it (a plain one, comments or not, answered here; others run at
    // the server, where nothing is open).
    for (const rollback of ['/* app */ ROLLBACK', 'ROLLBACK WORK AND NO CHAIN']) {
      const c = await qf();
      await c.query('BEGIN');
      expect((await refusedWhileFull(() => c.query("INSERT INTO tr (v) VALUES ('rb-4')"))).errno).toBe(9002);
      await c.query(rollback);
      await c.query("INSERT INTO tr (v) VALUES ('rb-5')");
    }
    expect([await landed('rb-4'), await landed('rb-5')]).toEqual([0, 2]);
  });

  it('a refused pure read changes nothing: the transaction goes on and commits', async () => {
    const a = await qf();
    await a.query('BEGIN');
    expect((await refusedWhileFull(() => a.query('SELECT COUNT(*) FROM tr'))).message).not.toContain(
      'rolled back',
    );
    await a.query("INSERT INTO tr (v) VALUES ('read-then-write')");
    await a.query('COMMIT');
    expect(await landed('read-then-write')).toBe(1);
    expect(fx.proxy.stats().clients.every((c) => !c.transactionAborted)).toBe(true);
  });

  it('a refused prepare of a write rolls it back too (the mariadb connector pipelines prepare and execute)', async () => {
    const a = await qf();
    await a.query('BEGIN');
    const refused = await refusedWhileFull(() => a.prepare('INSERT INTO tr (v) VALUES (?)'));
    expect(refused.errno).toBe(9002);
    expect(refused.message).toContain('the transaction is rolled back');
    expect((await failure(a.query("INSERT INTO tr (v) VALUES ('pp-1')"))).errno).toBe(9009);
    await a.query('ROLLBACK');
    expect(await landed('pp-1')).toBe(0);
  });

  /** Runs BEGIN, an execute of `sql` with `param`, an INSERT of `v` and COMMIT pipelined, as the mariadb connector sends them. */
  async function pipelinedWithExecute(sql: string, param: unknown, v: string): Promise<(string | number)[]> {
    const c = await connector.open();
    const answers = await Promise.allSettled([
      c.query('BEGIN'),
      c.execute(sql, [param]),
      c.query(`INSERT INTO tr (v) VALUES ('${v}')`),
      c.query('COMMIT'),
    ]);
    return answers.map((r) => (r.status === 'fulfilled' ? 'OK' : (r.reason as { errno: number }).errno));
  }

  it('the mariadb connector pipelining BEGIN, an execute whose prepare is lost unsent, an INSERT and COMMIT: nothing lands', async () => {
    relay.cutWhen = (chunk) =>
      chunk.includes(Buffer.from('\x16INSERT INTO tr (v) VALUES (CONCAT(', 'latin1'));
    relay.cutTimes = 3;
    const codes = await pipelinedWithExecute("INSERT INTO tr (v) VALUES (CONCAT(?, '-1'))", 'pe', 'pe-2');
    expect(codes).toEqual(['OK', 9005, 9009, 9009]);
    expect([await landed('pe-1'), await landed('pe-2')]).toEqual([0, 0]);
  });

  it('long data refused (no answer of its own) after its prepare ran: the execute, an INSERT and COMMIT after it get 9009, nothing lands', async () => {
    const c = await rawQf();
    try {
      expect((await c.query('BEGIN')).error).toBeUndefined();
      const prepared = await c.command(buildPrepare('INSERT INTO tr (v) VALUES (?)'));
      const id = prepared.prepared!.statementId;
      const full = await fillQueue();
      const aborted = fx.proxy.stats().counters.transactionsAborted;
      await c.command(buildSendLongData(id, 0, Buffer.from('ld-1')));
      await waitFor(() => fx.proxy.stats().counters.transactionsAborted === aborted + 1, {
        what: 'the long data refused',
      });
      await full.free();
      // The execute: no value for the parameter, whose long data stands for it.
      const execute = Buffer.alloc(14);
      execute[0] = 0x17;
      execute.writeUInt32LE(id, 1);
      execute.writeUInt32LE(1, 6); // iteration count, after the flags (0)
      execute[10] = 0; // null bitmap
      execute[11] = 1; // types follow
      execute[12] = 0xfc; // BLOB
      const answers = [await c.command(execute), await c.query("INSERT INTO tr (v) VALUES ('ld-2')")];
      // Long data sent meanwhile goes to a backend, which holds it for the execute: refused,
      // the execute lets that connection (and the tenant's one slot) go at once.
      await c.command(buildSendLongData(id, 0, Buffer.from('ld-held')));
      await waitFor(() => tenantMetrics(fx, 'qfull').inFlight === 1, {
        what: 'the long data to hold a backend',
      });
      answers.push(await c.command(execute));
      expect(tenantMetrics(fx, 'qfull').inFlight).toBe(0);
      answers.push(await c.query('COMMIT'));
      expect(answers.map((a) => a.error?.errno)).toEqual([9009, 9009, 9009, 9009]);
      expect([await landed('ld-1'), await landed('ld-2')]).toEqual([0, 0]);
      // Ended, the statement runs afresh with new long data.
      expect((await c.query('ROLLBACK')).error).toBeUndefined();
      await c.command(buildSendLongData(id, 0, Buffer.from('ld-3')));
      expect((await c.command(execute)).error).toBeUndefined();
      expect(await landed('ld-3')).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('while rolled back, SHOW WARNINGS tells the error and a KILL QUERY runs', async () => {
    const a = await qf();
    const other = await qf();
    await a.query('BEGIN');
    expect((await refusedWhileFull(() => a.query("INSERT INTO tr (v) VALUES ('sw-1')"))).errno).toBe(9002);
    expect((await failure(a.query('DO 1'))).errno).toBe(9009);
    const [warnings] = await a.query<mysql.RowDataPacket[]>('SHOW WARNINGS');
    expect(warnings.map((w) => w.Code)).toEqual([9009]);
    // A write that reads the diagnostics is a write all the same.
    expect(
      (await failure(a.query("INSERT INTO tr (v) VALUES (CONCAT('sw-w', @@warning_count))"))).errno,
    ).toBe(9009);
    await a.query(`KILL QUERY ${other.threadId}`);
    expect((await failure(a.query('DO 2'))).errno).toBe(9009);
    await a.changeUser({ user: 'qf', password: 'qf' });
    await a.query("INSERT INTO tr (v) VALUES ('sw-2')");
    expect([
      await landed('sw-1'),
      await landed('sw-2'),
      await landed('sw-w1'),
      await landed('sw-w0'),
    ]).toEqual([0, 1, 0, 0]);
  });

  it('SHOW WARNINGS / GET DIAGNOSTICS while rolled back answer IN_TRANS: the mariadb connector then sends the ROLLBACK that ends it', async () => {
    const c = await connector.open({ user: 'qf', password: 'qf' });
    await c.query('BEGIN');
    expect((await refusedWhileFull(() => c.query("INSERT INTO tr (v) VALUES ('cw-1')"))).errno).toBe(9002);
    expect(((await c.query('SHOW WARNINGS')) as { Code: number }[]).map((w) => w.Code)).toEqual([9002]);
    await c.query('GET DIAGNOSTICS CONDITION 1 @cw_errno = MYSQL_ERRNO');
    // The connector sends ROLLBACK only when its last answer said IN_TRANS.
    expect(c.info!.status & 0x1).toBe(1);
    await c.rollback();
    await c.query("INSERT INTO tr (v) VALUES ('cw-2')");
    expect([await landed('cw-1'), await landed('cw-2')]).toEqual([0, 1]);
    // (Its user variable holds the tenant's one slot.)
    await c.end();

    // Without DEPRECATE_EOF too: the EOFs and the OK of the answers.
    const raw = await rawQf(SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF);
    try {
      expect((await raw.query('BEGIN')).error).toBeUndefined();
      const full = await fillQueue();
      expect((await raw.query("INSERT INTO tr (v) VALUES ('cw-3')")).error?.errno).toBe(9002);
      await full.free();
      const warnings = await raw.query('SHOW WARNINGS');
      const eofs = warnings.packets.filter((p) => isEofPacket(p.payload));
      expect(eofs.map((p) => p.payload.readUInt16LE(3) & 0x1)).toEqual([1, 1]);
      expect((await raw.query('GET DIAGNOSTICS @cw_n = NUMBER')).statusFlags & 0x1).toBe(1);
      expect((await raw.query('ROLLBACK')).statusFlags & 0x1).toBe(0);
    } finally {
      await raw.close();
    }
    expect(await landed('cw-3')).toBe(0);
  });

  it('an execute refused with 9009 keeps the types it bound; a prepare meanwhile shows IN_TRANS in its EOFs', async () => {
    const c = await rawQf(SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF);
    try {
      expect((await c.query('BEGIN')).error).toBeUndefined();
      const full = await fillQueue();
      expect((await c.query("INSERT INTO tr (v) VALUES ('ty-0')")).error?.errno).toBe(9002);
      await full.free();
      // Prepared while rolled back: its EOFs say IN_TRANS, as the transaction the client
      // ends with ROLLBACK is still its own (C clients read their status from them).
      const prepared = await c.command(buildPrepare("INSERT INTO tr (v) VALUES (CONCAT(?, ''))"));
      expect(prepared.error).toBeUndefined();
      const eofs = prepared.packets.filter((p) => isEofPacket(p.payload));
      expect(eofs.map((p) => p.payload.readUInt16LE(3) & 0x1)).toEqual([1]);
      const id = prepared.prepared!.statementId;
      // Types sent once, with an execute that is refused; the next one leaves them out.
      expect((await c.command(buildExecute({ statementId: id, params: ['ty-1'] }))).error?.errno).toBe(9009);
      expect((await c.query('ROLLBACK')).error).toBeUndefined();
      expect(
        (await c.command(buildExecute({ statementId: id, params: ['ty-2'], sendTypes: false }))).error,
      ).toBeUndefined();
      expect([await landed('ty-1'), await landed('ty-2')]).toEqual([0, 1]);
    } finally {
      await c.close();
    }
  });

  it('a first statement asking about the previous one (ROW_COUNT()) whose read run again first is refused: rolled back too', async () => {
    const a = await qf();
    await a.query('BEGIN');
    const refused = await refusedWhileFull(() =>
      a.query("INSERT INTO tr (v) SELECT CONCAT('rc-', ROW_COUNT())"),
    );
    expect(refused.errno).toBe(9002);
    expect(refused.message).toContain('the transaction is rolled back');
    expect((await failure(a.query("INSERT INTO tr (v) VALUES ('rc-2')"))).errno).toBe(9009);
    await a.query('ROLLBACK');
    expect(await landed('rc-2')).toBe(0);
  });

  it('a client last told of no transaction is left as MariaDB leaves it: autocommit off, or its own BEGIN refused', async () => {
    // Drivers that send ROLLBACK only inside a transaction they saw (Connector/J 3, Go's
    // database/sql after a failed BeginTx) would never end a rolled-back state there.
    const a = await qf();
    await a.query('SET autocommit = 0');
    expect(
      (await refusedWhileFull(() => a.query("INSERT INTO tr (v) VALUES ('ac-1')"))).message,
    ).not.toContain('rolled back');
    await a.query("INSERT INTO tr (v) VALUES ('ac-2')");
    await a.query('COMMIT');
    expect([await landed('ac-1'), await landed('ac-2')]).toEqual([0, 1]);

    const b = await qf();
    await b.query("SET sql_mode = 'STRICT_ALL_TABLES'");
    expect((await refusedWhileFull(() => b.query('BEGIN'))).message).not.toContain('rolled back');
    // As at MariaDB after a failed BEGIN: no transaction, the write commits at once.
    await b.query("INSERT INTO tr (v) VALUES ('rbegin-1')");
    expect(await landed('rbegin-1')).toBe(1);
  });

  it('a client pipelining a BEGIN the proxy forwards, two INSERTs and COMMIT, whose BEGIN is lost unsent (9005): the statements sent behind it get 9009, nothing lands; what it sends after the answers runs as ever', async () => {
    const c = await RawMysqlClient.open(fx.port);
    raws.push(c);
    expect((await c.login({ user: 'app', password: 'secret', database: 'test' })).kind).toBe('ok');
    // READ WRITE: a form the proxy does not answer itself. Cut on the first attempt and both
    // retries, then let through.
    const begin = 'START TRANSACTION READ WRITE';
    relay.cutWhen = (chunk) => chunk.includes(Buffer.from(begin, 'latin1'));
    relay.cutTimes = 3;
    const aborted = fx.proxy.stats().counters.transactionsAborted;
    // Behind the statements, a marker query whose answer says all came (unless `alone`).
    const answersOf = async (statements: string[], from: number, alone = false) => {
      await c.write(Buffer.concat([...statements.map((q) => queryFrame(q)), ...(alone ? [] : [END_MARKER])]));
      const answered = () =>
        frames(c.received, from).filter((f) => f.seq === 1).length >= statements.length + (alone ? 0 : 1);
      expect(await c.until(answered, 20_000)).toBe(true);
      return frames(c.received, from)
        .filter((f) => f.seq === 1)
        .slice(0, statements.length)
        .map((f) => (f.payload[0] === 0xff ? `ERR ${f.payload.readUInt16LE(1)}` : 'OK'));
    };
    let from = c.received.length;
    expect(
      await answersOf(
        [begin, "INSERT INTO tr (v) VALUES ('pb-1')", "INSERT INTO tr (v) VALUES ('pb-2')", 'COMMIT'],
        from,
      ),
    ).toEqual(['ERR 9005', 'ERR 9009', 'ERR 9009', 'ERR 9009']);
    expect(fx.proxy.stats().counters.transactionsAborted).toBe(aborted + 1);
    // Sent after it read the answers: as after any refused statement, no transaction is open.
    from = c.received.length;
    expect(await answersOf(["INSERT INTO tr (v) VALUES ('pb-3')"], from)).toEqual(['OK']);
    // A refused BEGIN with nothing behind it is a statement error, as before.
    relay.cutTimes = 3;
    from = c.received.length;
    expect(await answersOf([begin], from, true)).toEqual(['ERR 9005']);
    from = c.received.length;
    expect(await answersOf(["INSERT INTO tr (v) VALUES ('pb-4')", 'ROLLBACK'], from)).toEqual(['OK', 'OK']);
    expect(fx.proxy.stats().counters.transactionsAborted).toBe(aborted + 1);
    expect([await landed('pb-1'), await landed('pb-2'), await landed('pb-3'), await landed('pb-4')]).toEqual([
      0, 0, 1, 1,
    ]);

    // SHOW WARNINGS between them (let through, and run again behind the read it asks about)
    // counts once: the INSERTs after two of them are refused still.
    relay.cutTimes = 3;
    from = c.received.length;
    const withWarnings = [
      begin,
      'SHOW WARNINGS',
      'SHOW WARNINGS',
      "INSERT INTO tr (v) VALUES ('pb-5')",
      "INSERT INTO tr (v) VALUES ('pb-6')",
      'COMMIT',
    ];
    expect((await answersOf(withWarnings, from)).filter((a) => a.startsWith('ERR'))).toEqual([
      'ERR 9005',
      'ERR 9009',
      'ERR 9009',
      'ERR 9009',
    ]);
    // A text that ends what it begins is no transaction to refuse the next commands of.
    relay.cutTimes = 3;
    from = c.received.length;
    expect(
      await answersOf(
        [`${begin}; INSERT INTO tr (v) VALUES ('pb-7'); COMMIT`, "INSERT INTO tr (v) VALUES ('pb-8')"],
        from,
      ),
    ).toEqual(['ERR 9005', 'OK']);
    expect([await landed('pb-5'), await landed('pb-6'), await landed('pb-7'), await landed('pb-8')]).toEqual([
      0, 0, 0, 1,
    ]);
  });

  it('a forwarded BEGIN refused at once (the tenant queue full) with its statements in the same packet: they get 9009, COMMIT too', async () => {
    const c = await RawMysqlClient.open(fx.port);
    raws.push(c);
    expect((await c.login({ user: 'qf', password: 'qf', database: 'test' })).kind).toBe('ok');
    const full = await fillQueue();
    const from = c.received.length;
    try {
      await c.write(
        Buffer.concat([
          queryFrame('START TRANSACTION READ WRITE'),
          queryFrame("INSERT INTO tr (v) VALUES ('qb-1')"),
          queryFrame('COMMIT'),
        ]),
      );
      expect(
        await c.until(() => frames(c.received, from).filter((f) => f.seq === 1).length >= 3, 20_000),
      ).toBe(true);
    } finally {
      await full.free();
    }
    const answers = frames(c.received, from)
      .filter((f) => f.seq === 1)
      .map((f) => (f.payload[0] === 0xff ? `ERR ${f.payload.readUInt16LE(1)}` : 'OK'));
    expect(answers).toEqual(['ERR 9002', 'ERR 9009', 'ERR 9009']);
    expect(await landed('qb-1')).toBe(0);
  });

  it('a client pipelining BEGIN, two INSERTs and COMMIT whose first INSERT is lost unsent (9005): 9009, 9009, nothing lands', async () => {
    const c = await RawMysqlClient.open(fx.port);
    raws.push(c);
    expect((await c.login({ user: 'app', password: 'secret', database: 'test' })).kind).toBe('ok');
    // BEGIN goes out with the first INSERT (which waits for its OK): cut on the first attempt
    // and both retries, then let through — the second INSERT would open the transaction.
    relay.cutWhen = (chunk) => chunk.includes(Buffer.from('\x03BEGIN', 'latin1'));
    relay.cutTimes = 3;
    const cuts = relay.cuts;
    const from = c.received.length;
    await c.write(
      Buffer.concat([
        queryFrame('BEGIN'),
        queryFrame("INSERT INTO tr (v) VALUES ('pipe-1')"),
        queryFrame("INSERT INTO tr (v) VALUES ('pipe-2')"),
        queryFrame('COMMIT'),
        END_MARKER,
      ]),
    );
    const answered = () => frames(c.received, from).filter((f) => f.seq === 1).length >= 5;
    expect(await c.until(answered, 20_000)).toBe(true);
    const answers = frames(c.received, from)
      .filter((f) => f.seq === 1)
      .slice(0, 4)
      .map((f) => (f.payload[0] === 0xff ? `ERR ${f.payload.readUInt16LE(1)}` : 'OK'));
    expect(answers).toEqual(['OK', 'ERR 9005', 'ERR 9009', 'ERR 9009']);
    expect(relay.cuts - cuts).toBe(3);
    expect([await landed('pipe-1'), await landed('pipe-2')]).toEqual([0, 0]);
  });
});
