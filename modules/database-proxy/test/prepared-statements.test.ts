/**
 * Prepared statements through the proxy (PROXY-NOTES hazards 21–25): a statement prepared on one
 * backend runs correctly after its client moves to another; the same SQL under another schema
 * is another statement; prepare/execute/close loops never exhaust the server's statement limit.
 *
 * This file runs its own MariaDB with a low max_prepared_stmt_count, so a leak of server-side
 * statements shows up as ER_MAX_PREPARED_STMT_COUNT_REACHED (1461) within a few thousand cycles.
 */

import {
  buildExecute,
  buildPrepare,
  buildSendLongData,
  buildStmtClose,
  buildStmtFetch,
  buildStmtReset,
} from '@scalestack/mysql-protocol';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import {
  backendOf,
  failure,
  type Holder,
  hold,
  holdBackend,
  one,
  pinnedNow,
  type Row,
  rows,
} from './support/backends.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { expectSameAnswers, rawLogin } from './support/raw-login.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
/** Statements the proxy may keep prepared per backend connection (its statement_cache_size). */
const CACHE = 16;
const SERVER_LIMIT = 1000;
let mariadb: MariaDB;
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;

async function preparedAtServer(): Promise<number> {
  const [r] = await direct.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'");
  return Number((r as Row[])[0]!.Value);
}

/** An error's number and SQL state, to compare with what MariaDB answers. */
function errorOf(err: { errno?: number; sqlState?: string }): { errno?: number; sqlState?: string } {
  return { errno: err.errno, sqlState: err.sqlState };
}

async function execRows(c: mysql.Connection, sql: string, params: (string | number)[] = []): Promise<Row[]> {
  const [r] = await c.execute(sql, params);
  return r as Row[];
}

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000, maxPreparedStmtCount: SERVER_LIMIT });
  fx = await startProxyFixture({ pool: POOL, mariadb, options: { statement_cache_size: CACHE } });
  direct = await fx.direct();
  await direct.query('CREATE TABLE ps (id INT PRIMARY KEY, who VARCHAR(10))');
  await direct.query("INSERT INTO ps VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  await direct.query('CREATE TABLE same (v VARCHAR(10))');
  await direct.query("INSERT INTO same VALUES ('test')");
  await direct.query('CREATE DATABASE other_ps');
  await direct.query('CREATE TABLE other_ps.same (v VARCHAR(10))');
  await direct.query("INSERT INTO other_ps.same VALUES ('other')");
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
  await mariadb?.stop();
});

describe('moving between backends', () => {
  it('a statement prepared on one backend is re-prepared on another with correct results', async () => {
    const a = await client();
    const stmt = await a.prepare(
      'SELECT ? + 1 AS x, CONNECTION_ID() AS id, (SELECT who FROM ps WHERE id = ?) AS who',
    );
    const [first] = (await stmt.execute([41, 1])) as [Row[], unknown];
    expect(first[0]).toMatchObject({ x: 42, who: 'one' });
    const firstBackend = Number(first[0]!.id);
    const reprepares = fx.proxy.stats().counters.reprepares;
    const holder = await holdBackend(fx, firstBackend, POOL);
    try {
      const [moved] = (await stmt.execute([1, 2])) as [Row[], unknown];
      expect(moved[0]).toMatchObject({ x: 2, who: 'two' });
      expect(Number(moved[0]!.id)).not.toBe(firstBackend);
      expect(fx.proxy.stats().counters.reprepares).toBe(reprepares + 1);
      // And again on the new backend: no second re-prepare needed.
      const [again] = (await stmt.execute([2, 3])) as [Row[], unknown];
      expect(again[0]).toMatchObject({ x: 3, who: 'three' });
    } finally {
      await holder.release();
    }
    // Back on the first backend (or either): still right.
    const [back] = (await stmt.execute([9, 1])) as [Row[], unknown];
    expect(back[0]).toMatchObject({ x: 10, who: 'one' });
    await stmt.close();
  });

  it("re-prepared in its own schema elsewhere, it leaves the client's statements after it in the client's schema", async () => {
    const a = await client({ database: 'test' });
    const stmt = await a.prepare('SELECT ? + 1 AS x, CONNECTION_ID() AS id');
    const [first] = (await stmt.execute([1])) as [Row[], unknown];
    const firstBackend = Number(first[0]!.id);
    await a.query('USE other_ps');
    const holder = await holdBackend(fx, firstBackend, POOL);
    try {
      // Re-prepared on the other backend, which the proxy first switches to `test` (the
      // statement's schema); the only backend left, so the next statement runs there too.
      const [moved] = (await stmt.execute([2])) as [Row[], unknown];
      expect(Number(moved[0]!.id)).not.toBe(firstBackend);
      const here = await one(a, 'SELECT DATABASE() AS db, CONNECTION_ID() AS id');
      expect(Number(here.id)).toBe(Number(moved[0]!.id));
      expect(here.db).toBe('other_ps');
    } finally {
      await holder.release();
      await stmt.close();
    }
  });

  it('many clients executing the same SQL with their own parameters get their own rows', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => client()));
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < 40; i++) {
          const r = await execRows(c, 'SELECT ? AS k, ? AS i, CONCAT(?, ?) AS s', [k, i, `c${k}`, `-${i}`]);
          expect(r).toEqual([{ k, i, s: `c${k}-${i}` }]);
        }
      }),
    );
  });
});

describe('statement identity', () => {
  it('the same SQL under another default schema is another statement', async () => {
    const a = await client({ database: 'test' });
    const b = await client({ database: 'other_ps' });
    for (let i = 0; i < 10; i++) {
      const [ra, rb] = await Promise.all([
        execRows(a, 'SELECT v FROM same'),
        execRows(b, 'SELECT v FROM same'),
      ]);
      expect(ra).toEqual([{ v: 'test' }]);
      expect(rb).toEqual([{ v: 'other' }]);
    }
  });

  it('texts that differ only in bytes that are not UTF-8 are different statements (a latin1 client)', async () => {
    // mysql2 sends a latin1 connection's SQL in latin1: é is 0xE9, è 0xE8 — neither is UTF-8.
    const a = await client({ charset: 'latin1_swedish_ci' });
    const hex = async (sql: string) => (await execRows(a, sql))[0]!.h;
    expect(await hex("SELECT HEX('café') AS h")).toBe('636166E9');
    expect(await hex("SELECT HEX('cafè') AS h")).toBe('636166E8');
    // mysql2 runs its cached first statement again.
    expect(await hex("SELECT HEX('café') AS h")).toBe('636166E9');
  });

  it('the same SQL under another sql_mode is another statement (ANSI_QUOTES: "id" is a name, not a string)', async () => {
    const sql = 'SELECT "id" AS x FROM ps WHERE id = ?';
    const ansi = await client();
    const plain = await client();
    await ansi.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
    // Each prepares on its own backend: plain's is held while ansi prepares, and the reverse.
    const first = await hold(fx);
    const ansiBackend = await (async () => {
      try {
        expect(await execRows(ansi, sql, [2])).toEqual([{ x: 2 }]);
        return backendOf(ansi);
      } finally {
        await first.release();
      }
    })();
    const second = await holdBackend(fx, ansiBackend, POOL);
    let plainBackend: number;
    try {
      expect(await execRows(plain, sql, [2])).toEqual([{ x: 'id' }]);
      plainBackend = await backendOf(plain);
    } finally {
      await second.release();
    }
    // Now plain's statement runs where ansi's was prepared.
    const third = await holdBackend(fx, plainBackend, POOL);
    try {
      expect(await backendOf(plain)).toBe(ansiBackend);
      expect(await execRows(plain, sql, [2])).toEqual([{ x: 'id' }]);
    } finally {
      await third.release();
    }
  });

  it('re-prepared on another backend after its client changed sql_mode, it keeps its first parse (as MariaDB keeps it), and others see theirs', async () => {
    const sql = 'SELECT "id" AS x FROM ps WHERE id = ?';
    const a = await client();
    const c = await client();
    for (const x of [a, c]) await x.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
    // Both prepare (and run) on backend X while Y is held.
    const onY = await hold(fx);
    const y = onY.backendId;
    let x: number;
    try {
      expect(await execRows(a, sql, [3])).toEqual([{ x: 3 }]);
      expect(await execRows(c, sql, [3])).toEqual([{ x: 3 }]);
      x = await backendOf(c);
    } finally {
      await onY.release();
    }
    await a.query('SET SESSION sql_mode = DEFAULT');
    const onX = await holdBackend(fx, x, POOL);
    try {
      // A's statement runs on Y, prepared there under the mode A prepared it in (ANSI_QUOTES):
      // "id" is still the column, as on the server where A prepared it.
      expect(await backendOf(a)).toBe(y);
      expect(await execRows(a, sql, [3])).toEqual([{ x: 3 }]);
      // And A's session is back in its own mode: a text statement reads "id" as a string.
      expect(await one(a, 'SELECT "id" AS x')).toEqual({ x: 'id' });
      // C still has ANSI_QUOTES: on Y its statement must parse "id" as the column.
      expect(await execRows(c, sql, [3])).toEqual([{ x: 3 }]);
      // A client without ANSI_QUOTES that prepares the same text gets its own reading.
      const fresh = await client();
      expect(await execRows(fresh, sql, [3])).toEqual([{ x: 'id' }]);
    } finally {
      await onX.release();
    }
  });

  it('executed on another backend after sql_mode changed, it parses as prepared and runs in the mode set now, as at MariaDB', async () => {
    await direct.query('CREATE TABLE ps_modes (id INT PRIMARY KEY, v VARCHAR(4))');
    const pipes = "SELECT CONCAT(?, '') || 'b' AS x";
    const insert = 'INSERT INTO ps_modes VALUES (?, ?)';
    // What MariaDB answers on one connection: the parse of PREPARE, the strictness of now.
    const expected: unknown[] = [];
    const d = await fx.direct();
    try {
      await d.query("SET SESSION sql_mode = 'PIPES_AS_CONCAT,STRICT_TRANS_TABLES'");
      const p = await d.prepare(pipes);
      const i = await d.prepare(insert);
      await d.query("SET SESSION sql_mode = ''");
      expected.push(((await p.execute(['a'])) as [Row[], unknown])[0]);
      const [ok] = (await i.execute([1, 'toolong'])) as [{ warningStatus: number }, unknown];
      expected.push(ok.warningStatus);
      await d.query("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'");
      expected.push(errorOf(await failure(i.execute([2, 'toolong']))));
    } finally {
      await d.end();
    }
    expect(expected).toEqual([[{ x: 'ab' }], 1, { errno: 1406, sqlState: '22001' }]);
    await direct.query('DELETE FROM ps_modes');

    const a = await client();
    await a.query("SET SESSION sql_mode = 'PIPES_AS_CONCAT,STRICT_TRANS_TABLES'");
    // Prepared (and cached by mysql2) on X while Y is held.
    const onY = await hold(fx);
    let x: number;
    try {
      await a.prepare(pipes);
      await a.prepare(insert);
      x = await backendOf(a);
    } finally {
      await onY.release();
    }
    await a.query("SET SESSION sql_mode = ''");
    const onX = await holdBackend(fx, x, POOL);
    const seen: unknown[] = [];
    try {
      seen.push(await execRows(a, pipes, ['a']));
      const [ok] = (await a.execute(insert, [1, 'toolong'])) as [{ warningStatus: number }, unknown];
      seen.push(ok.warningStatus);
      await a.query("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'");
      seen.push(errorOf(await failure(a.execute(insert, [2, 'toolong']))));
      expect(await backendOf(a)).not.toBe(x);
    } finally {
      await onX.release();
    }
    expect(seen).toEqual(expected);
    expect((await one(a, 'SELECT @@sql_mode AS m')).m).toBe('STRICT_TRANS_TABLES');
    const [written] = await direct.query('SELECT id, v FROM ps_modes');
    expect(written).toEqual([{ id: 1, v: 'tool' }]);
  });

  it('prepared before NO_BACKSLASH_ESCAPES and run after it on another backend, it keeps its first reading: one string, no lock taken', async () => {
    // Under backslash escapes this is one string and a comment: a pure read. Read under
    // NO_BACKSLASH_ESCAPES, 'x\' would end at the backslash and GET_LOCK would run — MariaDB
    // keeps the reading of PREPARE, and so does the proxy on a backend that lacks it.
    const sql = "SELECT 'x\\', GET_LOCK(0x6c, 0) AS got -- ' AS s"; // 0x6c: the lock named 'l'
    const a = await client();
    const onY = await hold(fx);
    let x: number;
    try {
      await a.prepare(sql); // prepared (and cached by mysql2) on X while Y is held
      x = await backendOf(a);
    } finally {
      await onY.release();
    }
    await a.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    const onX = await holdBackend(fx, x, POOL);
    try {
      const [result] = await a.execute(sql);
      expect(result).toEqual([{ s: "x', GET_LOCK(0x6c, 0) AS got -- " }]);
      expect(fx.proxy.stats().pinnedNow.advisory_lock ?? 0).toBe(0);
      expect((await one(direct, "SELECT IS_FREE_LOCK('l') AS free")).free).toBe(1);
    } finally {
      await onX.release();
    }
  });

  it('DDL that changes a table leaves no stale column metadata (as MariaDB itself behaves)', async () => {
    await direct.query('CREATE TABLE ddl_t (id INT PRIMARY KEY, a INT)');
    await direct.query('INSERT INTO ddl_t VALUES (1, 10)');
    const a = await client();
    const viaProxy = await a.prepare('SELECT * FROM ddl_t WHERE id = ?');
    const viaServer = await direct.prepare('SELECT * FROM ddl_t WHERE id = ?');
    const before = [(await viaProxy.execute([1]))[0], (await viaServer.execute([1]))[0]];
    expect(before[0]).toEqual(before[1]);
    await direct.query('ALTER TABLE ddl_t ADD COLUMN b INT NOT NULL DEFAULT 7');
    // Run it on every backend the proxy may pick: twice, with the first backend held once.
    const after1 = (await viaProxy.execute([1]))[0];
    const oracle = (await viaServer.execute([1]))[0];
    expect(oracle).toEqual([{ id: 1, a: 10, b: 7 }]);
    expect(after1).toEqual(oracle);
    const holder = await holdBackend(fx, await backendOf(a), POOL);
    try {
      expect((await viaProxy.execute([1]))[0]).toEqual(oracle);
    } finally {
      await holder.release();
    }
    await viaProxy.close();
    await viaServer.close();
  });
});

describe('what an execute leaves behind', () => {
  it('a statement prepared in another schema than the session now has runs without pinning the client', async () => {
    // MariaDB runs it in its prepare-time schema and switches back: a classic EOF (mysql2 does
    // not ask for DEPRECATE_EOF) says only that the session state changed.
    const a = await client({ database: 'test' });
    expect(await execRows(a, 'SELECT v FROM same')).toEqual([{ v: 'test' }]);
    await a.query('USE other_ps');
    expect(await execRows(a, 'SELECT v FROM same')).toEqual([{ v: 'test' }]);
    expect((await one(a, 'SELECT DATABASE() AS db')).db).toBe('other_ps');
    expect(pinnedNow(fx)).toBe(0);
  });

  it('the types of an execute that failed before reaching the server are kept for the next, as MariaDB keeps them', async () => {
    await direct.query('CREATE TABLE typed (id BIGINT PRIMARY KEY, v VARCHAR(20))');
    const insert = 'INSERT INTO typed (id, v) VALUES (?, ?)';
    // On one connection: prepare; the table goes; an execute that binds types fails; the table
    // comes back; an execute that relies on the bound types.
    const run = async (
      c: RawClient,
      id: number,
      around?: { before(): Promise<void>; after(): Promise<void> },
    ) => {
      await around?.before();
      const prepared = await c.command(buildPrepare(insert));
      await around?.after();
      const stmt = prepared.prepared!.statementId;
      await direct.query('DROP TABLE typed');
      const typed = await c.command(buildExecute({ statementId: stmt, params: [id, 'first'] }));
      await direct.query('CREATE TABLE typed (id BIGINT PRIMARY KEY, v VARCHAR(20))');
      const untyped = await c.command(
        buildExecute({ statementId: stmt, params: [id, 'second'], sendTypes: false }),
      );
      return [typed.error?.errno, untyped.error?.errno ?? 'ok'];
    };
    const viaMariadb = await RawClient.connect({
      host: '127.0.0.1',
      port: fx.mariadb.port,
      user: BACKEND_USER.name,
      password: BACKEND_USER.password,
      database: 'test',
    });
    const viaProxy = await RawClient.connect({
      host: '127.0.0.1',
      port: fx.port,
      user: APP_USER.name,
      password: APP_USER.password,
      database: 'test',
    });
    const holders: Holder[] = [];
    try {
      expect(await run(viaMariadb, 1)).toEqual([1146, 'ok']);
      // Through the proxy the statement is prepared on one backend (the other held), then that
      // one is held and the other freed: the execute goes there and prepares the statement
      // first; that prepare fails, and the execute never reaches the server.
      const outcome = await run(viaProxy, 2, {
        before: async () => void holders.push(await hold(fx)),
        after: async () => {
          holders.push(await hold(fx));
          await holders.shift()!.release();
        },
      });
      expect(outcome).toEqual([1146, 'ok']);
      expect(await rows(direct, 'SELECT id, v FROM typed ORDER BY id')).toEqual([{ id: 2, v: 'second' }]);
    } finally {
      for (const h of holders) await h.release();
      await viaMariadb.close();
      await viaProxy.close();
      await direct.query('DROP TABLE IF EXISTS typed');
    }
  });
});

describe('answers the proxy gives itself', () => {
  it('COM_STMT_FETCH with no open cursor: 1421 naming the statement, as MariaDB words it', async () => {
    const answer = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        const id = (await c.command(buildPrepare('SELECT 1 AS one'))).prepared!.statementId;
        const { error } = await c.command(buildStmtFetch(id, 1));
        return { errno: error?.errno, message: error?.message.replace(`(${id})`, '(<id>)') };
      } finally {
        await c.close();
      }
    };
    const reference = await answer(fx.mariadb.port, BACKEND_USER);
    expect(reference).toEqual({ errno: 1421, message: 'The statement (<id>) has no open cursor' });
    expect(await answer(fx.port, APP_USER)).toEqual(reference);
  });

  it('a statement id the session does not have: 1243 naming the server function, as MariaDB words it', async () => {
    const unknown = 99;
    const commands = [
      buildExecute({ statementId: unknown, params: [] }),
      buildStmtFetch(unknown, 1),
      buildStmtReset(unknown),
    ];
    const answers = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        const seen: string[] = [];
        for (const command of commands) {
          const { error } = await c.command(command);
          seen.push(`${error?.errno} ${error?.message}`);
        }
        return seen;
      } finally {
        await c.close();
      }
    };
    const reference = await answers(fx.mariadb.port, BACKEND_USER);
    expect(reference).toEqual(
      ['mysqld_stmt_execute', 'mysqld_stmt_fetch', 'mysqld_stmt_reset'].map(
        (fn) => `1243 Unknown prepared statement handler (${unknown}) given to ${fn}`,
      ),
    );
    expect(await answers(fx.port, APP_USER)).toEqual(reference);
  });
});

describe('short statement commands', () => {
  it('with a whole id: answered as MariaDB answers them, and the connection goes on', async () => {
    const unknown = Buffer.from([0x3f, 0x42, 0x0f, 0x00]); // a statement id nobody prepared
    const payloads = [
      Buffer.concat([Buffer.from([0x17]), unknown]), // COM_STMT_EXECUTE: the id alone
      Buffer.concat([Buffer.from([0x17]), unknown, Buffer.from([0, 1])]),
      Buffer.concat([Buffer.from([0x1c]), unknown]), // COM_STMT_FETCH: no row count
      Buffer.concat([Buffer.from([0x1c]), unknown, Buffer.from([1, 0])]),
      Buffer.concat([Buffer.from([0x1a]), unknown]), // COM_STMT_RESET
      // (Too short for an id: 1835 from the proxy, see packet-limits; MariaDB reads past the end.)
    ];
    const answers = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        const seen: (number | string)[] = [];
        for (const p of payloads) seen.push((await c.command(p)).error?.errno ?? 'ok');
        seen.push((await c.query('SELECT 1')).error?.errno ?? 'ok');
        return seen;
      } finally {
        await c.close();
      }
    };
    const reference = await answers(fx.mariadb.port, BACKEND_USER);
    expect(await answers(fx.port, APP_USER)).toEqual(reference);
  });
});

describe('SQL-level PREPARE', () => {
  it('pins the client; other clients do not see the statement', async () => {
    const a = await client();
    const b = await client();
    const before = fx.proxy.stats().counters.pins.sql_prepare;
    await a.query("PREPARE dbl FROM 'SELECT ? * 2 AS v'");
    expect(fx.proxy.stats().counters.pins.sql_prepare).toBe(before + 1);
    for (let i = 1; i <= 3; i++) {
      const [ra, eb] = await Promise.all([
        one(a, `EXECUTE dbl USING ${i * 10}`),
        failure(b.query(`EXECUTE dbl USING ${i}`)),
      ]);
      expect(Number(ra.v)).toBe(i * 20);
      expect(eb.errno).toBe(1243); // ER_UNKNOWN_STMT_HANDLER
    }
    await a.query('DEALLOCATE PREPARE dbl');
    expect((await failure(a.query('EXECUTE dbl USING 1'))).errno).toBe(1243);
  });
});

describe('server statement limit', () => {
  it('100,000 prepare/execute/close cycles never exhaust max_prepared_stmt_count', async () => {
    const CYCLES = 100_000;
    const CLIENTS = 8;
    const DISTINCT = 300; // more distinct statements than the proxy's cache and the server limit allow at once
    const conns = await Promise.all(Array.from({ length: CLIENTS }, () => client()));
    let next = 0;
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) peak = Math.max(peak, await preparedAtServer());
    })();
    try {
      await Promise.all(
        conns.map(async (c) => {
          for (let i = next++; i < CYCLES; i = next++) {
            const sql = `SELECT ? + ${i % DISTINCT} AS v`;
            const stmt = await c.prepare(sql);
            const [r] = (await stmt.execute([i])) as [Row[], unknown];
            if (Number(r[0]!.v) !== i + (i % DISTINCT)) throw new Error(`cycle ${i}: got ${r[0]!.v}`);
            // unprepare closes the statement (COM_STMT_CLOSE) and drops it from mysql2's cache.
            c.unprepare(sql);
          }
        }),
      );
    } finally {
      sampling = false;
      await sampler;
    }
    expect(next).toBeGreaterThanOrEqual(CYCLES);
    // What the server holds is bounded by the proxy's cache, whatever the clients did.
    expect(peak).toBeLessThanOrEqual(POOL * CACHE + CLIENTS);
    await clients.endAll();
    await waitFor(async () => (await preparedAtServer()) <= POOL * CACHE, {
      what: `Prepared_stmt_count to fall to the proxy's cache (${POOL * CACHE})`,
    });
  }, 180_000);
});

// The same commands to MariaDB and through the proxy: long data, and binary answers whose NULL
// bitmaps, parameter blocks and column definitions are large.
describe('long data and wide binary answers, as MariaDB gives them', () => {
  const sameAnswers = (script: (c: RawClient) => Promise<unknown[]>) => expectSameAnswers(fx, script);
  async function prepareRaw(c: RawClient, sql: string): Promise<number> {
    const r = await c.command(buildPrepare(sql));
    if (r.error) throw new Error(`prepare failed: ${r.error.message}`);
    return r.prepared!.statementId;
  }
  /** An answer as a client reads it: error, rows (bytes), sequence ids. */
  const view = (r: Awaited<ReturnType<RawClient['command']>>) => ({
    error: r.error && `${r.error.errno} ${r.error.message.replace(/\(\d+\)/g, '(<id>)')}`,
    rows: r.packets.slice(0, r.rows > 0 ? -1 : 0).map((p) => p.payload.toString('hex')),
    seqs: r.packets.map((p) => p.sequenceId),
  });
  const longData = { value: null, longData: true };
  const bytes = (s: string) => Buffer.from(s);

  it('long data in pieces is joined per parameter, used by one execute only, and dropped by COM_STMT_RESET', async () => {
    const answers = await sameAnswers(async (c) => {
      const id = await prepareRaw(c, 'SELECT LENGTH(?) AS l, MD5(?) AS m, ? AS s');
      await c.command(buildSendLongData(id, 0, Buffer.alloc(1000, 0x61)));
      await c.command(buildSendLongData(id, 1, bytes('hello ')));
      await c.command(buildSendLongData(id, 0, Buffer.alloc(500, 0x62)));
      await c.command(buildSendLongData(id, 1, bytes('world')));
      const out = [
        view(await c.command(buildExecute({ statementId: id, params: [longData, longData, bytes('x')] }))),
      ];
      // The long data went with that execute: this one has only its own values.
      out.push(
        view(
          await c.command(buildExecute({ statementId: id, params: [bytes('ab'), bytes('cd'), bytes('y')] })),
        ),
      );
      await c.command(buildSendLongData(id, 0, bytes('zzz')));
      out.push(view(await c.command(buildStmtReset(id))));
      out.push(
        view(
          await c.command(buildExecute({ statementId: id, params: [bytes('q'), bytes('r'), bytes('s')] })),
        ),
      );
      await c.command(buildSendLongData(id, 2, bytes('late')));
      out.push(
        view(await c.command(buildExecute({ statementId: id, params: [bytes('q'), bytes('r'), longData] }))),
      );
      return out;
    });
    expect(answers.map((a) => (a as ReturnType<typeof view>).error)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('long data of a statement closed before its execute is gone: the same SQL prepared again runs without it', async () => {
    await sameAnswers(async (c) => {
      const id = await prepareRaw(c, 'SELECT ? AS v');
      await c.command(buildSendLongData(id, 0, bytes('stale')));
      await c.command(buildStmtClose(id));
      const again = await prepareRaw(c, 'SELECT ? AS v');
      return [view(await c.command(buildExecute({ statementId: again, params: [bytes('fresh')] })))];
    });
  });

  it('binary rows of 300 columns with NULLs, and 300 parameters, come as MariaDB sends them', async () => {
    const types = ['INT', 'VARCHAR(10)', 'DOUBLE'];
    await direct.query(
      `CREATE TABLE wide (id INT PRIMARY KEY, ${Array.from({ length: 300 }, (_, i) => `c${i} ${types[i % 3]}`).join(', ')})`,
    );
    for (let r = 0; r < 20; r++) {
      const values = Array.from({ length: 300 }, (_, i) =>
        (i + r) % 7 === 0 ? 'NULL' : i % 3 === 0 ? String(i * r) : i % 3 === 1 ? `'s${i}'` : String(i / 3),
      );
      await direct.query(`INSERT INTO wide VALUES (${r}, ${values.join(', ')})`);
    }
    const params = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? null : i));
    const sql = `SELECT *, ${params.map(() => '?').join(', ')} FROM wide ORDER BY id`;
    const reference = await connectAsBackendUser(fx);
    const [expected] = await reference.execute(sql, params);
    await reference.end();
    const [got] = await (await client()).execute(sql, params);
    expect((got as Row[]).length).toBe(20);
    expect(got).toEqual(expected);
  });

  it('a prepare of 3,000 parameters and 3,000 columns, executed by three clients at once, answers each as MariaDB does', async () => {
    const n = 3000;
    const sql = `SELECT ${Array.from({ length: n }, (_, i) => `? AS p${i}`).join(', ')}`;
    const paramsOf = (k: number) =>
      Array.from({ length: n }, (_, i) => ((i + k) % 4 === 0 ? null : i % 2 ? `s${i}` : i * k));
    const reference = await connectAsBackendUser(fx);
    const expected: unknown[] = [];
    for (let k = 0; k < 3; k++) expected.push((await reference.execute(sql, paramsOf(k)))[0]);
    await reference.end();
    const three = await Promise.all([client(), client(), client()]);
    const got = await Promise.all(three.map(async (c, k) => (await c.execute(sql, paramsOf(k)))[0]));
    expect(got).toEqual(expected);
  });
});
