/**
 * Multi-statement texts (an error in the middle: what ran before it stays, nothing after it
 * runs or answers) and multi-result CALLs (several result sets, warnings, OUT parameters over
 * the binary protocol), the same steps straight at MariaDB and through the proxy with a pool
 * of 2 and other clients interleaved; outcomes compared.
 */
import type mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { hold, type Row, sentAndPlaced } from './support/backends.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { createNums, proxyTestFile } from './support/proxy-test-file.js';
import { expectSameAnswers } from './support/raw-login.js';

const POOL = 2;
const { fx, direct, clients } = proxyTestFile({
  pool: POOL,
  options: { result_hold: '5s' },
  setup: async (direct) => {
    await direct.query('CREATE DATABASE IF NOT EXISTS ref_db');
    await direct.query('CREATE DATABASE IF NOT EXISTS prx_db');
    await createNums(direct);
    await direct.query(
      'CREATE PROCEDURE three_results() BEGIN SELECT 1 AS a; SELECT id FROM nums WHERE id <= 3; SELECT 2 AS b, 3 AS c; END',
    );
    await direct.query(
      "CREATE PROCEDURE warn_results() BEGIN SELECT CAST('7x' AS SIGNED) AS w; SELECT 2 AS b; END",
    );
    await direct.query(
      'CREATE PROCEDURE fails_in_middle() BEGIN SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 3 AS c; END',
    );
    await direct.query(
      'CREATE PROCEDURE with_out(IN x INT, OUT y INT, INOUT z INT) BEGIN SET y = x * 3; SET z = z + 1; END',
    );
    await direct.query(
      'CREATE PROCEDURE out_and_rows(IN x INT, OUT y INT) BEGIN SELECT x AS xin; SET y = x * 2; END',
    );
    await direct.query(
      "CREATE PROCEDURE signal_after_rows() BEGIN SELECT 1 AS a; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END",
    );
  },
});
const client = clients.client;

/** A comparable outcome of one statement (rows, headers, or error). */
function normalise(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(normalise);
  if (r && typeof r === 'object' && r.constructor?.name === 'ResultSetHeader') {
    const h = r as mysql.ResultSetHeader;
    return { affected: h.affectedRows, insertId: h.insertId, warnings: h.warningStatus };
  }
  return r;
}

async function run(c: mysql.Connection, sql: string): Promise<unknown> {
  try {
    const [r] = await c.query(sql);
    return normalise(r);
  } catch (e) {
    const err = e as { errno?: number; message: string };
    return { err: err.errno, msg: err.message };
  }
}

/**
 * Runs `steps` (`{s}` is the side's prefix) on a direct connection and on one through the proxy;
 * through the proxy, a second client shares the same backend (the other is held) and runs
 * `noise` between each pair of steps (queued behind the client when it holds its backend).
 */
async function bothWays(steps: string[], noise?: string): Promise<{ ref: unknown[]; prx: unknown[] }> {
  const ref: unknown[] = [];
  const own = await connectAsBackendUser(fx(), { multipleStatements: true });
  try {
    for (const s of steps) ref.push(await run(own, s.replaceAll('{s}', 'ref')));
  } finally {
    await own.end();
  }
  const prx: unknown[] = [];
  const holder = await hold(fx(), { multipleStatements: true });
  try {
    const a = await client({ multipleStatements: true });
    const b = await client({ multipleStatements: true });
    const pending: Promise<unknown>[] = [];
    for (const s of steps) {
      prx.push(JSON.parse(JSON.stringify(await run(a, s.replaceAll('{s}', 'prx'))).replaceAll('prx', 'ref')));
      if (noise) {
        const { outcome } = await sentAndPlaced(fx(), run(b, noise));
        pending.push(outcome);
      }
    }
    // A may hold its backend until it leaves: B's queued statements then run.
    await a.end();
    clients.forget(a);
    await Promise.all(pending);
  } finally {
    await holder.release();
  }
  return { ref, prx };
}

async function fresh(name: string): Promise<void> {
  for (const side of ['ref', 'prx']) {
    await direct().query(`DROP TABLE IF EXISTS ${side}_${name}`);
    await direct().query(
      `CREATE TABLE ${side}_${name} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20) UNIQUE, k TINYINT)`,
    );
  }
}

const NOISE = "SELECT CAST('9z' AS SIGNED) AS noise FROM nums WHERE id = 1";
const NOISE_WRITE =
  'INSERT INTO nums (id) VALUES (1000 + FLOOR(RAND() * 1000000)) ON DUPLICATE KEY UPDATE n = n + 1';

describe('multi-statement texts with an error in the middle', () => {
  it.each([
    ['read noise', NOISE],
    ['write noise', NOISE_WRITE],
  ])('writes before the error persist, after do not; diagnostics as MariaDB (%s)', async (_, noise) => {
    await fresh('m1');
    const { ref, prx } = await bothWays(
      [
        "INSERT INTO {s}_m1 (v) VALUES ('a'); SELECT * FROM no_such_table; INSERT INTO {s}_m1 (v) VALUES ('b')",
        'SHOW WARNINGS',
        'SELECT v FROM {s}_m1 ORDER BY id',
        "INSERT INTO {s}_m1 (v) VALUES ('c'); SELECT nope FROM {s}_m1; INSERT INTO {s}_m1 (v) VALUES ('d')",
        'SHOW ERRORS',
        "INSERT INTO {s}_m1 (v) VALUES ('e'); SELECT nope FROM {s}_m1",
        'SELECT @@warning_count AS w, @@error_count AS e',
        "INSERT INTO {s}_m1 (v) VALUES ('f'); SELECT nope FROM {s}_m1",
        'SHOW COUNT(*) ERRORS',
        "INSERT INTO {s}_m1 (v) VALUES ('g'); SELECT nope FROM {s}_m1",
        'SELECT LAST_INSERT_ID() AS id',
        "INSERT INTO {s}_m1 (v) VALUES ('h'), ('i'); SELECT nope FROM {s}_m1",
        'SELECT ROW_COUNT() AS n',
      ],
      noise,
    );
    expect(prx).toEqual(ref);
  });

  it('state set before the error persists: SET, USE, user variable', async () => {
    const { ref, prx } = await bothWays(
      [
        "SET time_zone = '+03:00'; USE {s}_db; SET @x = 5; SELECT * FROM no_such_table; SET time_zone = '+04:00'",
        'SELECT @@time_zone AS tz, DATABASE() AS db, @x AS x',
        'USE test',
      ],
      NOISE,
    );
    expect(prx).toEqual(ref);
  });

  it('SET and USE before the error (no user variable: nothing pins on the SQL)', async () => {
    const { ref, prx } = await bothWays(
      [
        "SET time_zone = '+03:00'; USE {s}_db; SELECT * FROM no_such_table; SET time_zone = '+04:00'",
        'SELECT @@time_zone AS tz, DATABASE() AS db',
        'DO 0',
        'SELECT @@time_zone AS tz, DATABASE() AS db',
        'USE test',
      ],
      NOISE,
    );
    expect(prx).toEqual(ref);
  });

  it('raw: results after the failing statement never arrive', async () => {
    await expectSameAnswers(fx(), async (c) => {
      const out: unknown[] = [];
      for (const sql of [
        'SELECT 1 AS a; SELECT 2 AS b; SELECT * FROM no_such_table; SELECT 3 AS c',
        "SELECT 1 AS a; DO 0; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'x'; SELECT 3",
        'CALL fails_in_middle()',
        'CALL signal_after_rows()',
        'SELECT 5 AS after',
      ]) {
        const r = await c.query(sql);
        out.push({ err: r.error?.errno, sets: r.resultSets, rows: r.rows, w: r.warnings });
      }
      return out;
    });
  });
});

describe('diagnostics and counters after multi-statement texts', () => {
  it.each([
    ['warnings of the last', ["SELECT 1; SELECT CAST('1x' AS SIGNED)", 'SHOW WARNINGS']],
    ['warnings of the first only', ["SELECT CAST('1x' AS SIGNED); SELECT 1", 'SHOW WARNINGS']],
    ['warnings in both', ["SELECT CAST('1x' AS SIGNED); SELECT CAST('2y' AS SIGNED)", 'SHOW WARNINGS']],
    [
      'warning count of the first',
      ["SELECT CAST('1x' AS SIGNED) FROM nums; DO 0", 'SELECT @@warning_count AS w'],
    ],
    ['SHOW WARNINGS inside the text', ["SELECT CAST('1x' AS SIGNED); SHOW WARNINGS", 'SHOW WARNINGS']],
    [
      'found rows of a calc in the middle',
      ['SELECT SQL_CALC_FOUND_ROWS id FROM nums LIMIT 2; DO 0', 'SELECT FOUND_ROWS() AS n'],
    ],
    [
      'found rows after a calc and a plain select',
      [
        'SELECT SQL_CALC_FOUND_ROWS id FROM nums LIMIT 2; SELECT id FROM nums WHERE id < 4',
        'SELECT FOUND_ROWS() AS n',
      ],
    ],
    [
      'row count of an update in the middle',
      ['UPDATE nums SET n = n + 1 WHERE id <= 4; DO 0', 'SELECT ROW_COUNT() AS n'],
    ],
    [
      'row count of an update last',
      ['SELECT 1; UPDATE nums SET n = n + 1 WHERE id <= 3', 'SELECT ROW_COUNT() AS n'],
    ],
    [
      'row count inside the text',
      ['UPDATE nums SET n = n + 1 WHERE id <= 3; SELECT ROW_COUNT() AS n', 'SELECT ROW_COUNT() AS n'],
    ],
  ])('%s', async (_, steps) => {
    const { ref, prx } = await bothWays(steps, NOISE);
    expect(prx).toEqual(ref);
  });

  it('insert ids across a text', async () => {
    await fresh('m2');
    const { ref, prx } = await bothWays(
      [
        "INSERT INTO {s}_m2 (v) VALUES ('a'); INSERT INTO {s}_m2 (v) VALUES ('b'), ('c'); SELECT LAST_INSERT_ID() AS id",
        'SELECT LAST_INSERT_ID() AS id',
        "INSERT INTO {s}_m2 (v) VALUES ('d'); UPDATE {s}_m2 SET k = 1 WHERE v = 'a'",
        'SELECT LAST_INSERT_ID() AS id, ROW_COUNT() AS rc',
        "INSERT INTO {s}_m2 (v) VALUES ('e'); SELECT 1",
        'SELECT @@identity AS id',
        "INSERT IGNORE INTO {s}_m2 (v) VALUES ('a'); SELECT 1",
        'SHOW WARNINGS',
        "INSERT INTO {s}_m2 (v, k) VALUES ('z', 1000); SELECT 1",
        'SHOW WARNINGS',
      ],
      NOISE_WRITE,
    );
    expect(prx).toEqual(ref);
  });
});

describe('CALL with several result sets', () => {
  it.each([
    ['rows of three', ['CALL three_results()', 'SELECT FOUND_ROWS() AS n']],
    ['warnings of a CALL', ['CALL warn_results()', 'SHOW WARNINGS']],
    ['warning count of a CALL', ['CALL warn_results()', 'SELECT @@warning_count AS w']],
    ['error of a CALL', ['CALL fails_in_middle()', 'SHOW ERRORS']],
    ['error count of a CALL', ['CALL fails_in_middle()', 'SELECT @@error_count AS e, @@warning_count AS w']],
    ['signal after rows', ['CALL signal_after_rows()', 'SHOW ERRORS']],
    ['row count after a CALL', ['CALL three_results()', 'SELECT ROW_COUNT() AS n']],
    ['call in a text then diagnostics', ['DO 0; CALL warn_results(); DO 1', 'SHOW WARNINGS']],
    [
      'OUT through a variable in a text',
      ['CALL with_out(4, @y, @z); SELECT @y AS y, @z AS z', 'SELECT @y AS y'],
    ],
  ])('%s', async (_, steps) => {
    const { ref, prx } = await bothWays(steps, NOISE);
    expect(prx).toEqual(ref);
  });
});

describe('prepared CALL with OUT parameters', () => {
  async function outParams(c: mysql.Connection): Promise<unknown[]> {
    const out: unknown[] = [];
    const [a] = await c.execute('CALL with_out(?, @y, @z)', [5]);
    out.push(normalise(a));
    out.push(normalise((await c.query('SELECT @y AS y'))[0]));
    // OUT parameters as placeholders: the server sends them as an extra result set.
    await c.query('SET @z = 10');
    try {
      const [b] = await c.execute('CALL with_out(?, ?, ?)', [7, null, 1]);
      out.push(normalise(b));
    } catch (e) {
      out.push({ err: (e as { errno?: number }).errno });
    }
    try {
      const [r] = await c.execute('CALL out_and_rows(?, ?)', [3, null]);
      out.push(normalise(r));
    } catch (e) {
      out.push({ err: (e as { errno?: number }).errno });
    }
    out.push(normalise((await c.query('SHOW WARNINGS'))[0]));
    return out;
  }

  // B's reads interleave with A's CALLs: SHOW WARNINGS at the end must not show B's warning
  // (see diagnostics-isolation.test.ts).
  it('as MariaDB answers them', async () => {
    const own = await connectAsBackendUser(fx());
    let ref: unknown[];
    try {
      ref = await outParams(own);
    } finally {
      await own.end();
    }
    const a = await client();
    const b = await client();
    const busy = Promise.all(Array.from({ length: 10 }, () => b.query(NOISE)));
    const prx = await outParams(a);
    await busy;
    expect(prx).toEqual(ref);
  });

  it('raw binary: the out-params result set and its status flags', async () => {
    await expectSameAnswers(fx(), async (c) => {
      const { buildPrepare, buildExecute } = await import('@scalestack/mysql-protocol');
      const prep = await c.command(buildPrepare('CALL out_and_rows(?, ?)'));
      const id = prep.prepared!.statementId;
      const out: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        const ex = await c.command(buildExecute({ statementId: id, params: [i + 1, null] }));
        out.push({
          err: ex.error?.errno,
          sets: ex.resultSets,
          rows: ex.rows,
          flags: ex.statusFlags & ~0x4000,
          packets: ex.packets.length,
        });
      }
      const sel = await c.query('SELECT 1 AS one');
      out.push({ sets: sel.resultSets, rows: sel.rows });
      return out;
    });
  });
});

// kept for typing
export type _R = Row;
