/**
 * mysql2 through the proxy as it is used against MariaDB: its type options and JSON columns
 * (MariaDB extended metadata), ping / reset / changeUser after held results, the commands a
 * driver sends between a write and ROW_COUNT(), and a streamed 100k-row result with a slow
 * consumer or a client destroyed during it. Each compares with MariaDB answering directly.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { type Row, rows } from './support/backends.js';
import { APP_USER, BACKEND_USER, connectAsBackendUser } from './support/proxy-fixture.js';
import { createNums, proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  options: {
    users: [
      { name: APP_USER.name, password: APP_USER.password },
      { name: 'app2', password: 'pw2' },
    ],
  },
  setup: async (direct) => {
    await direct.query(
      'CREATE TABLE typed (id INT PRIMARY KEY, big BIGINT, dec_ DECIMAL(30,10), d DATE, dt DATETIME(3), ts TIMESTAMP NULL, j JSON, b BLOB, bit_ BIT(5), f FLOAT, y YEAR, e ENUM("x","y"))',
    );
    await direct.query(
      "INSERT INTO typed VALUES (1, 9007199254740993, 12345678901234567890.0123456789, '2020-02-29', '2021-03-04 05:06:07.891', '2022-01-01 00:00:00', '{\"a\":1}', x'00ff', b'10101', 1.5, 2024, 'y'), (2, -1, 0, '0000-00-00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    );
    await createNums(direct);
    await direct.query('CREATE TABLE ai (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))');
    await direct.query(
      'CREATE PROCEDURE two_sets() BEGIN SELECT 1 AS a; SELECT id FROM nums WHERE id <= 2; END',
    );
  },
});
const client = clients.client;
afterEach(() => clients.closeAll());

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
}

describe('mysql2 options', () => {
  const SQL =
    'SELECT t.id, t.big, t.dec_, t.d, t.dt, t.ts, t.b, t.bit_, t.f, t.y, t.e, n.id AS nid FROM typed t JOIN nums n ON n.id = t.id ORDER BY t.id';

  it('a JSON column reads as MariaDB gives it (extended metadata)', async () => {
    const own = await connectAsBackendUser(fx());
    const a = await client();
    try {
      const sql = 'SELECT j FROM typed WHERE id = 1';
      const [ref] = await own.query(sql);
      const [prx] = await a.query(sql);
      expect(ref).toEqual([{ j: { a: 1 } }]);
      expect(prx).toEqual(ref);
    } finally {
      await own.end();
    }
  });
  it.each([
    ['rowsAsArray', { rowsAsArray: true }],
    ['nestTables', { nestTables: true }],
    ['nestTables _', { nestTables: '_' }],
    ['dateStrings', { dateStrings: true }],
    ['supportBigNumbers', { supportBigNumbers: true }],
    ['bigNumberStrings', { supportBigNumbers: true, bigNumberStrings: true }],
    ['typeCast off', { typeCast: false }],
    ['decimalNumbers', { decimalNumbers: true }],
    ['timezone Z', { timezone: 'Z' }],
  ] as [string, mysql.ConnectionOptions][])('%s: text and binary protocol as at MariaDB', async (_, opts) => {
    const own = await connectAsBackendUser(fx(), { ...opts, multipleStatements: true });
    const a = await client({ ...opts, multipleStatements: true });
    try {
      for (const run of [
        (c: mysql.Connection) => c.query(SQL),
        (c: mysql.Connection) => c.execute(SQL),
        (c: mysql.Connection) => c.query(`${SQL}; SELECT 1 AS one; CALL two_sets()`),
        (c: mysql.Connection) => c.execute('CALL two_sets()'),
      ]) {
        const ref = await run(own).then(
          ([r]) => r,
          (e: Error) => `ERR ${e.message}`,
        );
        const prx = await run(a).then(
          ([r]) => r,
          (e: Error) => `ERR ${e.message}`,
        );
        expect(plain(prx)).toEqual(plain(ref));
      }
    } finally {
      await own.end();
    }
  });

  it('namedPlaceholders', async () => {
    const opts = { namedPlaceholders: true };
    const own = await connectAsBackendUser(fx(), opts);
    const a = await client(opts);
    try {
      const sql = 'SELECT :x AS x, :y AS y, :x + 1 AS z, id FROM nums WHERE id < :y ORDER BY id';
      const p = { x: 5, y: 3 };
      expect(plain((await a.execute(sql, p))[0])).toEqual(plain((await own.execute(sql, p))[0]));
      expect(plain((await a.query(sql, p))[0])).toEqual(plain((await own.query(sql, p))[0]));
    } finally {
      await own.end();
    }
  });
});

describe('ping, reset, changeUser after held results', () => {
  async function script(c: mysql.Connection, reconnect: (c: mysql.Connection) => Promise<void>) {
    const out: unknown[] = [];
    await c.query("INSERT INTO ai (v) VALUES ('r1'), ('r2')");
    await c.ping(); // ROW_COUNT() after a ping: see 'commands between …' (differs)
    await c.query('INSERT IGNORE INTO nums (id) VALUES (1)');
    await c.ping();
    out.push((await rows(c, 'SHOW WARNINGS')).map((w) => w.Code));
    await c.query('SET @v = 1; CALL two_sets(); SELECT SQL_CALC_FOUND_ROWS id FROM nums LIMIT 1');
    await reconnect(c);
    // (FOUND_ROWS() after a reset: MariaDB keeps it, the proxy reads 0 — README's FOUND_ROWS limit.)
    out.push(await rows(c, 'SELECT @v AS v, @@warning_count AS w, DATABASE() AS db'));
    out.push((await rows(c, 'SHOW WARNINGS')).length);
    out.push(await rows(c, 'SELECT LAST_INSERT_ID() AS lid'));
    await c.query("SET time_zone = '+02:00'; INSERT IGNORE INTO nums (id) VALUES (2)");
    await reconnect(c);
    out.push(await rows(c, 'SELECT @@time_zone AS tz, @@warning_count AS w, @@error_count AS e'));
    return out;
  }

  it.each([
    ['reset', (c: mysql.Connection) => c.reset()],
    ['ping', (c: mysql.Connection) => c.ping()],
  ])('%s', async (_, reconnect) => {
    const own = await connectAsBackendUser(fx(), { multipleStatements: true });
    const a = await client({ multipleStatements: true });
    const b = await client();
    try {
      const ref = await script(own, reconnect);
      const busy = Promise.all(
        Array.from({ length: 30 }, () => b.query("SELECT CAST('q' AS SIGNED) FROM nums")),
      );
      const prx = await script(a, reconnect);
      await busy;
      // ids differ (one table): compare their shape
      expect(JSON.stringify(prx).replace(/"lid":\d+/g, 'L')).toEqual(
        JSON.stringify(ref).replace(/"lid":\d+/g, 'L'),
      );
    } finally {
      await own.end();
    }
  });

  it('changeUser', async () => {
    const own = await connectAsBackendUser(fx(), { multipleStatements: true });
    const a = await client({ multipleStatements: true });
    try {
      const ref = await script(own, (c) =>
        c.changeUser({ user: BACKEND_USER.name, password: BACKEND_USER.password, database: 'test' }),
      );
      const prx = await script(a, (c) => c.changeUser({ user: 'app2', password: 'pw2', database: 'test' }));
      expect(JSON.stringify(prx).replace(/"lid":\d+/g, 'L')).toEqual(
        JSON.stringify(ref).replace(/"lid":\d+/g, 'L'),
      );
    } finally {
      await own.end();
    }
  });
});

describe('commands between a write and ROW_COUNT() / FOUND_ROWS()', () => {
  async function after(
    c: mysql.Connection,
    between: (c: mysql.Connection) => Promise<unknown>,
    read: string,
  ) {
    await c.query("INSERT INTO ai (v) VALUES ('p1'), ('p2')");
    await c.query('SELECT SQL_CALC_FOUND_ROWS id FROM nums LIMIT 1');
    await c.query("INSERT INTO ai (v) VALUES ('p1'), ('p2')");
    await between(c);
    return rows(c, read);
  }
  it.each([
    // (COM_PING, answered by the proxy, is a README known limit: not compared.)
    [
      'COM_STMT_PREPARE + CLOSE',
      async (c: mysql.Connection) => (await c.prepare('SELECT 1')).close(),
      'SELECT ROW_COUNT() AS rc',
    ],
    // (FOUND_ROWS() across the INSERT is the README's known limit: not compared.)
    ['COM_RESET_CONNECTION', (c: mysql.Connection) => c.reset(), 'SELECT ROW_COUNT() AS rc'],
  ] as [string, (c: mysql.Connection) => Promise<unknown>, string][])('%s', async (_, between, read) => {
    const own = await connectAsBackendUser(fx());
    const ref = await after(own, between, read);
    await own.end();
    const a = await client();
    expect(await after(a, between, read)).toEqual(ref);
  });
});

describe('a streamed 100k-row result', () => {
  const BIG = "SELECT seq, REPEAT('x', 1000) AS pad FROM seq_1_to_100000";

  it('with a slow consumer: bounded memory, other clients served meanwhile', async () => {
    const a = await client();
    const others = [await client(), await client(), await client()];
    const core = (a as unknown as { connection: import('mysql2').Connection }).connection;
    const stream = core.query(BIG).stream({ highWaterMark: 16 });
    const base = process.memoryUsage();
    let peak = 0;
    let count = 0;
    let served = 0;
    let last = 0;
    for await (const row of stream as AsyncIterable<{ seq: number }>) {
      count++;
      expect(row.seq).toBe(last + 1);
      last = row.seq;
      if (count % 2000 === 0) {
        // The slow part: other clients' statements, answered while the stream waits.
        const [[r]] = await Promise.all(
          others.map((o, i) =>
            i === 2 ? o.query("INSERT INTO ai (v) VALUES ('s')") : o.query('SELECT COUNT(*) AS n FROM nums'),
          ),
        );
        expect((r as Row[])[0]!.n).toBe(10);
        served++;
        const m = process.memoryUsage();
        peak = Math.max(peak, m.arrayBuffers - base.arrayBuffers, m.heapUsed - base.heapUsed);
      }
    }
    expect(count).toBe(100000);
    expect(served).toBe(50);
    // 100k rows of 1 KB are 100 MB: the proxy must not have buffered them.
    expect(peak).toBeLessThan(60 * 1024 * 1024);
    expect((await rows(a, 'SELECT 7 AS seven'))[0]!.seven).toBe(7);
  });

  it('destroyed during the result: the server stops, the pool recovers, others unaffected', async () => {
    const a = await client();
    const b = await client();
    const core = (a as unknown as { connection: import('mysql2').Connection }).connection;
    const stream = core.query(BIG).stream({ highWaterMark: 16 });
    let seen = 0;
    await new Promise<void>((resolve) => {
      stream.on('data', () => {
        if (++seen === 5000) {
          a.destroy();
          resolve();
        }
      });
      stream.on('error', () => {});
    });
    clients.forget(a);
    await waitFor(() => fx().proxy.stats().clients.length === 1, { what: 'A to leave' });
    // The server no longer runs A's read.
    await waitFor(
      async () =>
        Number(
          (
            await rows(
              direct(),
              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT seq, REPEAT%'",
            )
          )[0]!.n,
        ) === 0,
      { what: "the server to stop A's read" },
    );
    for (let i = 0; i < 10; i++) expect((await rows(b, `SELECT ${i} AS i`))[0]!.i).toBe(i);
    const [r] = await Promise.all([
      rows(b, 'SELECT COUNT(*) AS n FROM nums'),
      (async () => {
        const c = await client();
        return rows(c, "SELECT @@warning_count AS w, 'c' AS who");
      })(),
    ]);
    expect(r[0]!.n).toBe(10);
  });

  it('reset right after a long streamed result, while others read', async () => {
    const a = await client();
    const b = await client();
    const core = (a as unknown as { connection: import('mysql2').Connection }).connection;
    const busy = Promise.all(
      Array.from({ length: 50 }, () => b.query("SELECT CAST('bb' AS SIGNED) AS x FROM nums")),
    );
    let n = 0;
    for await (const _ of core.query(BIG).stream({ highWaterMark: 64 }) as AsyncIterable<unknown>) n++;
    expect(n).toBe(100000);
    await a.query('SET @after = 1');
    await a.reset();
    expect(await rows(a, 'SELECT @after AS v')).toEqual([{ v: null }]);
    expect(await rows(a, 'SHOW WARNINGS')).toEqual([]);
    await busy;
  });
});
