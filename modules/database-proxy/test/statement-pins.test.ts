/**
 * Cursors, long data and parameter types through the proxy, driven by the codec's own client
 * (mysql2 cannot send COM_STMT_FETCH or COM_STMT_SEND_LONG_DATA).
 */
import {
  buildExecute,
  buildPing,
  buildPrepare,
  buildSendLongData,
  buildSetOption,
  buildStmtClose,
  buildStmtFetch,
  buildStmtReset,
  CLIENT_MULTI_STATEMENTS,
  CursorType,
  SERVER_STATUS_LAST_ROW_SENT,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { BACKEND_THREAD_ID } from './support/backends.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const POOL = 2;
let fx: ProxyFixture;

/** A user whose tenant takes two statements and then refuses (ERR 9003) for a long while. */
const RATED = { name: 'ld', password: 'ld' };

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: POOL,
    options: {
      users: [
        { name: APP_USER.name, password: APP_USER.password, max_connections: 5000 },
        { name: RATED.name, password: RATED.password, tenant: 'ldrate' },
      ],
      tenants: [{ name: 'ldrate', rate: { per_second: 0.001, burst: 2 } }],
    },
  });
  await fx.mariadb.query('CREATE TABLE blobs (id INT PRIMARY KEY, b LONGBLOB)');
});

afterAll(async () => {
  await fx?.stop();
});

function raw(user = APP_USER): Promise<RawClient> {
  return RawClient.connect({
    host: '127.0.0.1',
    port: fx.port,
    user: user.name,
    password: user.password,
    database: 'test',
  });
}

async function prepare(c: RawClient, sql: string): Promise<number> {
  const r = await c.command(buildPrepare(sql));
  expect(r.error).toBeUndefined();
  return r.prepared!.statementId;
}

/** The backend connection id that serves `c`'s next statement. */
async function backendOfRaw(c: RawClient): Promise<number> {
  const packets = (await c.query(BACKEND_THREAD_ID)).packets;
  return Number(packets[packets.length - 2]!.payload.toString('latin1', 1));
}

/** A raw client (the same kind of backend connection as the test's) inside a transaction. */
async function holdOne(): Promise<{ id: number; release(): Promise<void> }> {
  const h = await raw();
  await h.query('START TRANSACTION');
  const id = await backendOfRaw(h);
  return {
    id,
    async release() {
      await h.query('ROLLBACK');
      await h.close();
    },
  };
}

/** Holds backend `id` (opening holders until one lands there); releases the others. */
async function holdExactly(id: number): Promise<{ id: number; release(): Promise<void> }> {
  const extra: { id: number; release(): Promise<void> }[] = [];
  for (let i = 0; i < POOL; i++) {
    const h = await holdOne();
    if (h.id === id) {
      await Promise.all(extra.map((e) => e.release()));
      return h;
    }
    extra.push(h);
  }
  await Promise.all(extra.map((e) => e.release()));
  throw new Error(`backend ${id} not handed out`);
}

describe('statement pins', () => {
  it.each(['close', 'settings change, then reset'])(
    'long data of a statement re-prepared under other parse settings goes with its %s, not to another client',
    async (how) => {
      const id = how === 'close' ? 77 : 78;
      const sql = 'INSERT INTO blobs (id, b) VALUES (?, ?)';
      const ansi = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')";
      const a = await raw();
      const b = await raw();
      try {
        // A prepares on backend X (Y held); B, already with ANSI_QUOTES, prepares there too.
        const y = await holdOne();
        let x: number;
        let aInsert: number;
        let bInsert: number;
        try {
          aInsert = await prepare(a, sql);
          expect((await b.query(ansi)).error).toBeUndefined();
          bInsert = await prepare(b, sql);
          x = await backendOfRaw(a);
        } finally {
          await y.release();
        }
        // A changes its parse settings; with X held its long data goes to Y, where the statement
        // is prepared again (under ANSI_QUOTES, as B's), then A closes it without executing.
        expect((await a.query(ansi)).error).toBeUndefined();
        const holdX = await holdExactly(x);
        try {
          await a.command(buildSendLongData(aInsert, 1, Buffer.from('A-secret')));
          await a.command(buildPing());
          expect(fx.proxy.stats().pinnedNow.long_data).toBe(1);
          if (how === 'close') {
            await a.command(buildStmtClose(aInsert));
          } else {
            // The settings change again while the long data is held; the reset is for it.
            expect((await a.query('SET SESSION sql_mode = DEFAULT')).error).toBeUndefined();
            expect((await a.command(buildStmtReset(aInsert))).error).toBeUndefined();
          }
          await a.command(buildPing());
          expect(fx.proxy.stats().pinnedNow.long_data).toBe(0);
          // B's execute lands on Y too: it must insert B's own value.
          const done = await b.command(buildExecute({ statementId: bInsert, params: [id, 'B-own'] }));
          expect(done.error).toBeUndefined();
        } finally {
          await holdX.release();
        }
        const rows = await fx.mariadb.query('SELECT CAST(b AS CHAR) AS b FROM blobs WHERE id = ?', [id]);
        expect(rows).toEqual([{ b: 'B-own' }]);
      } finally {
        await a.close();
        await b.close();
      }
    },
  );

  it('two prepared statements of the same SQL keep their own cursors (and a third prepare closes neither)', async () => {
    const c = await raw();
    // The first value of a fetch: a binary row of one BIGINT UNSIGNED column.
    const firstValue = (r: Awaited<ReturnType<RawClient['command']>>) =>
      Number(r.packets[0]!.payload.readBigUInt64LE(2));
    const open = (id: number, from: number) =>
      c.command(buildExecute({ statementId: id, params: [from], flags: CursorType.READ_ONLY }), {
        cursor: true,
      });
    try {
      const sql = 'SELECT seq FROM seq_1_to_100 WHERE seq > ?';
      const x = await prepare(c, sql);
      const y = await prepare(c, sql);
      expect((await open(x, 0)).error).toBeUndefined();
      expect(firstValue(await c.command(buildStmtFetch(x, 10)))).toBe(1);
      expect((await open(y, 50)).error).toBeUndefined();
      expect(firstValue(await c.command(buildStmtFetch(y, 10)))).toBe(51);
      // x's cursor is x's: it goes on where it stopped, not with y's rows.
      expect(firstValue(await c.command(buildStmtFetch(x, 10)))).toBe(11);
      const z = await prepare(c, sql);
      expect(firstValue(await c.command(buildStmtFetch(x, 10)))).toBe(21);
      expect(firstValue(await c.command(buildStmtFetch(y, 10)))).toBe(61);
      for (const id of [x, y, z]) await c.command(buildStmtClose(id));
      await c.command(buildPing());
      expect(fx.proxy.stats().pinnedNow.cursor).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('a cursor stays open while the same client executes another statement', async () => {
    const c = await raw();
    try {
      const s1 = await prepare(c, 'SELECT seq FROM seq_1_to_100');
      const s2 = await prepare(c, 'SELECT ? + 1 AS v');
      const opened = await c.command(
        buildExecute({ statementId: s1, params: [], flags: CursorType.READ_ONLY }),
        {
          cursor: true,
        },
      );
      expect(opened.error).toBeUndefined();
      expect(fx.proxy.stats().pinnedNow.cursor).toBe(1);
      const first = await c.command(buildStmtFetch(s1, 10));
      expect(first.error).toBeUndefined();
      expect(first.rows).toBe(10);
      // Another statement in between must neither close the cursor nor release its backend.
      const other = await c.command(buildExecute({ statementId: s2, params: [41] }));
      expect(other.error).toBeUndefined();
      expect(fx.proxy.stats().pinnedNow.cursor).toBe(1);
      let fetched = 10;
      for (;;) {
        const more = await c.command(buildStmtFetch(s1, 40));
        expect(more.error).toBeUndefined();
        fetched += more.rows;
        if (more.statusFlags & SERVER_STATUS_LAST_ROW_SENT) break;
      }
      expect(fetched).toBe(100);
      expect(fx.proxy.stats().pinnedNow.cursor).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('long data sent in pieces reaches the execute that uses it, whatever runs in between', async () => {
    const c = await raw();
    try {
      const insert = await prepare(c, 'INSERT INTO blobs (id, b) VALUES (?, ?)');
      const select = await prepare(c, 'SELECT ? AS x');
      const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(50_000, 'b')];
      for (const part of parts) await c.command(buildSendLongData(insert, 1, part));
      // Long data has no reply: a ping, answered in order, shows the proxy has handled it.
      await c.command(buildPing());
      expect(fx.proxy.stats().pinnedNow.long_data).toBe(1);
      // An execute of another statement must not end the first one's long-data pin.
      expect((await c.command(buildExecute({ statementId: select, params: [7] }))).error).toBeUndefined();
      expect(fx.proxy.stats().pinnedNow.long_data).toBe(1);
      // Another client takes a connection and keeps it: the last one used — where the long data
      // is — were it not pinned, and the execute would then run on the other, without its data.
      const other = await raw();
      let done: Awaited<ReturnType<typeof c.command>>;
      try {
        expect((await other.query('START TRANSACTION')).error).toBeUndefined();
        expect((await other.query('SELECT 1')).error).toBeUndefined();
        done = await c.command(
          buildExecute({ statementId: insert, params: [1, { value: null, longData: true }] }),
        );
      } finally {
        await other.close();
      }
      expect(done.error).toBeUndefined();
      expect(fx.proxy.stats().pinnedNow.long_data).toBe(0);
      const rows = await fx.mariadb.query(
        'SELECT LENGTH(b) AS n, CAST(LEFT(b, 1) AS CHAR) AS f, CAST(RIGHT(b, 1) AS CHAR) AS l FROM blobs WHERE id = 1',
      );
      expect(rows).toEqual([{ n: 120_000, f: 'a', l: 'b' }]);
    } finally {
      await c.close();
    }
  });

  it('long data the proxy cannot take gets no reply: the error answers the execute, and replies stay in step', async () => {
    const c = await raw(RATED);
    try {
      const insert = await prepare(c, 'INSERT INTO blobs (id, b) VALUES (?, ?)'); // first token
      expect((await c.query('SELECT 1')).error).toBeUndefined(); // second token: none left
      // Refused (rate limit) like any command that needs a backend — but long data has no
      // reply, so the refusal must wait for the execute, as a server's long-data error does.
      await c.command(buildSendLongData(insert, 1, Buffer.from('lost')));
      const executed = await c.command(
        buildExecute({ statementId: insert, params: [2, { value: null, longData: true }] }),
      );
      expect(executed.error?.errno).toBe(9003);
      // One reply per command: the ping's is the ping's.
      expect((await c.command(buildPing())).error).toBeUndefined();
      expect(await fx.mariadb.query('SELECT COUNT(*) AS n FROM blobs WHERE id = 2')).toEqual([{ n: 0 }]);
    } finally {
      await c.close();
    }
  });

  it("long data takes nothing from the response before it on its backend (another client's insert id)", async () => {
    await fx.mariadb.query('CREATE TABLE IF NOT EXISTS ids (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
    const onX = await holdOne(); // everything below runs on the other backend, Y
    const a = await raw();
    const b = await raw();
    try {
      const insert = await prepare(a, 'INSERT INTO blobs (id, b) VALUES (?, ?)');
      expect((await a.command(buildPing())).error).toBeUndefined();
      // B inserts on Y and goes quiet: Y's last response is B's, with B's insert id.
      const inserted = await b.query('INSERT INTO ids (v) VALUES (1)');
      expect(inserted.lastInsertId).toBeGreaterThan(0);
      await waitFor(() => fx.proxy.stats().clients.every((c) => !c.pinned.includes('previous_result')), {
        what: "B's result hold to end",
      });
      // A's long data goes to Y (no response), then its execute, which inserts no id.
      await a.command(buildSendLongData(insert, 1, Buffer.from('mine')));
      const done = await a.command(
        buildExecute({ statementId: insert, params: [3, { value: null, longData: true }] }),
      );
      expect(done.error).toBeUndefined();
      const asked = await a.query('SELECT LAST_INSERT_ID()');
      expect(asked.packets[asked.packets.length - 2]!.payload.toString('latin1', 1)).toBe('0');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await onX.release();
    }
  });

  it("long data does not hand its sender another client's warnings left on its backend", async () => {
    const onX = await holdOne(); // everything below runs on the other backend, Y
    const a = await raw();
    const b = await raw();
    try {
      const insert = await prepare(a, 'INSERT INTO blobs (id, b) VALUES (?, ?)');
      // B's read leaves a warning with B's data on Y, and B goes quiet.
      const bRead = await b.query("SELECT CAST('b-secret' AS SIGNED) AS x");
      expect(bRead.error).toBeUndefined();
      await waitFor(() => fx.proxy.stats().clients.every((c) => !c.pinned.includes('previous_result')), {
        what: "B's result hold to end",
      });
      // A's long data takes Y for A; A's own last statement (its prepare) left no warning.
      await a.command(buildSendLongData(insert, 1, Buffer.from('mine')));
      const asked = await a.query('SELECT @@warning_count');
      expect(asked.packets[asked.packets.length - 2]!.payload.toString('latin1', 1)).toBe('0');
      const shown = await a.query('SHOW WARNINGS');
      expect(shown.packets.map((p) => p.payload.toString('latin1')).join('')).not.toContain('b-secret');
      // The long data is still there for the execute.
      const done = await a.command(
        buildExecute({ statementId: insert, params: [40, { value: null, longData: true }] }),
      );
      expect(done.error).toBeUndefined();
      const [stored] = await fx.mariadb.query('SELECT b FROM blobs WHERE id = 40');
      expect(stored).toEqual({ b: Buffer.from('mine') });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await onX.release();
    }
  });

  it('an execute that leaves out its parameter types gets them on a backend that never saw them', async () => {
    const c = await raw();
    try {
      // Prepared and run with types on backend X only (Y held meanwhile)…
      const onY = await holdOne();
      let s: number;
      let x: number;
      try {
        s = await prepare(c, 'SELECT ? + 1 AS v, ? AS t');
        const typed = await c.command(buildExecute({ statementId: s, params: [1, 'one'] }));
        expect(typed.error).toBeUndefined();
        x = await backendOfRaw(c);
      } finally {
        await onY.release();
      }
      // …then, X held, the execute without types runs on Y, which has never seen the statement.
      const onX = await holdExactly(x);
      try {
        const reprepares = fx.proxy.stats().counters.reprepares;
        const untyped = await c.command(
          buildExecute({ statementId: s, params: [2, 'two'], sendTypes: false }),
        );
        expect(untyped.error).toBeUndefined();
        expect(untyped.rows).toBe(1);
        expect(fx.proxy.stats().counters.reprepares).toBe(reprepares + 1);
      } finally {
        await onX.release();
      }
    } finally {
      await c.close();
    }
  });
});

describe('COM_SET_OPTION (multi-statements on or off, as PHP mysqli sends around multi_query)', () => {
  it('reaches a backend the client holds, and the connection is pooled by its new setting after', async () => {
    const c = await RawClient.connect({
      host: '127.0.0.1',
      port: fx.port,
      user: APP_USER.name,
      password: APP_USER.password,
      database: 'test',
      capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_MULTI_STATEMENTS,
    });
    try {
      const batch = 'SELECT 1 AS a; SELECT 2 AS b';
      expect((await c.query(batch)).error?.errno).toBe(1064);
      await c.query('START TRANSACTION');
      expect((await c.query('SELECT 1')).error).toBeUndefined(); // the transaction holds a backend now
      expect((await c.command(buildSetOption(true))).error).toBeUndefined();
      const on = await c.query(batch);
      expect(on.error).toBeUndefined();
      expect(on.resultSets).toBe(2);
      expect((await c.command(buildSetOption(false))).error).toBeUndefined();
      expect((await c.query(batch)).error?.errno).toBe(1064);
      expect((await c.command(buildSetOption(true))).error).toBeUndefined();
      expect((await c.query('COMMIT')).error).toBeUndefined();
      // Outside the transaction, on whichever connection: still on; then off again.
      expect((await c.query(batch)).error).toBeUndefined();
      expect((await c.command(buildSetOption(false))).error).toBeUndefined();
      expect((await c.query(batch)).error?.errno).toBe(1064);
    } finally {
      await c.close();
    }
  });
});
