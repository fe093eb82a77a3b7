/**
 * Results that live on one backend connection (PROXY-NOTES hazards 14–19): LAST_INSERT_ID(),
 * FOUND_ROWS(), ROW_COUNT(), SHOW WARNINGS, CLIENT_FOUND_ROWS, temporary tables and advisory
 * locks must refer to the caller's own previous statement, with a pool of two shared by clients.
 *
 * The pattern: a holder keeps one backend in a transaction, so A and B share the other. A runs a
 * statement, B sends a statement that would overwrite A's result on a shared connection, and only
 * once B has either finished or is waiting for a backend does A read its result. Whether the
 * proxy keeps A's backend for it or does something cleverer, A must read its own result.
 */

import { buildPrepare, buildStmtReset } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  backendOf,
  failure,
  hold,
  holdBackend,
  onEveryBackend,
  one,
  type Row,
  rows,
  sentAndPlaced,
} from './support/backends.js';
import { connectorClients } from './support/mariadb-connector.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { rawLogin } from './support/raw-login.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;
const connectors = connectorClients(() => fx);

beforeAll(async () => {
  // A longer result_hold than the default 100 ms: on a loaded machine that could pass between B
  // queueing and A reading its result, which would test what happens after the hold
  // (kept-results.test.ts), not within it. It stays below queue_timeout (10 s) so a quiet client
  // cannot make another one time out.
  fx = await startProxyFixture({ pool: POOL, options: { result_hold: '5s' } });
  direct = await fx.direct();
  await direct.query('CREATE TABLE ai (id INT PRIMARY KEY AUTO_INCREMENT, who VARCHAR(10))');
  await direct.query('CREATE TABLE nums (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)');
  await direct.query('INSERT INTO nums (id) SELECT seq FROM seq_1_to_10');
});

afterEach(() => Promise.all([clients.closeAll(), connectors.closeAll()]));

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

describe('LAST_INSERT_ID()', () => {
  it.each([
    'SELECT LAST_INSERT_ID() AS id',
    'SELECT LAST_INSERT_ID() AS id FROM DUAL',
    'select last_insert_id() id',
    'SELECT /* who inserted? */ LAST_INSERT_ID() AS `id`',
  ])('%s answers the caller’s own insert', async (sql) => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      const [aIns] = (await a.query("INSERT INTO ai (who) VALUES ('a')")) as [mysql.ResultSetHeader, unknown];
      const { outcome: bIns } = await sentAndPlaced(fx, b.query("INSERT INTO ai (who) VALUES ('b')"));
      expect(Number((await one(a, sql)).id)).toBe(aIns.insertId);
      const [bHeader] = (await bIns) as [mysql.ResultSetHeader, unknown];
      expect(bHeader.insertId).not.toBe(aIns.insertId);
      expect(Number((await one(b, sql)).id)).toBe(bHeader.insertId);
    } finally {
      await holder.release();
    }
  });

  it('also through prepared statements (binary protocol)', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      const [aIns] = (await a.execute('INSERT INTO ai (who) VALUES (?)', ['pa'])) as [
        mysql.ResultSetHeader,
        unknown,
      ];
      const { outcome: bIns } = await sentAndPlaced(fx, b.execute('INSERT INTO ai (who) VALUES (?)', ['pb']));
      const [aRows] = await a.execute('SELECT LAST_INSERT_ID() AS id');
      expect(Number((aRows as Row[])[0]!.id)).toBe(aIns.insertId);
      const [bHeader] = (await bIns) as [mysql.ResultSetHeader, unknown];
      const [bRows] = await b.execute('SELECT LAST_INSERT_ID() AS id');
      expect(Number((bRows as Row[])[0]!.id)).toBe(bHeader.insertId);
    } finally {
      await holder.release();
    }
  });
});

describe('the caller’s insert id on another backend', () => {
  it('@@identity answers it, like LAST_INSERT_ID()', async () => {
    const a = await client();
    const [ins] = (await a.query("INSERT INTO ai (who) VALUES ('ident')")) as [
      mysql.ResultSetHeader,
      unknown,
    ];
    const mine = await backendOf(a);
    const holder = await holdBackend(fx, mine, POOL);
    try {
      expect(await backendOf(a)).not.toBe(mine);
      expect(Number((await one(a, 'SELECT @@identity AS id')).id)).toBe(ins.insertId);
    } finally {
      await holder.release();
    }
  });

  it('after inserts on two backends, LAST_INSERT_ID() where the first one ran is the latest id', async () => {
    type Header = [mysql.ResultSetHeader, unknown];
    await direct.query('CREATE TABLE IF NOT EXISTS lii_locked (v INT)');
    const a = await client();
    const b = await client();
    // A inserts on P, and P goes back to the pool with A's first id on it.
    const [first] = (await a.query("INSERT INTO ai (who) VALUES ('lii-first')")) as Header;
    const p = await backendOf(a);
    // B's read of a locked table waits on P (the idle connection taken first): only a read,
    // which tells nothing of insert ids, runs there meanwhile.
    const locker = await fx.direct();
    await locker.query('LOCK TABLES lii_locked WRITE');
    const read = rows(b, 'SELECT v FROM lii_locked');
    await waitFor(
      async () =>
        (
          await rows(
            direct,
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT v FROM lii_locked'",
          )
        ).some((r) => Number(r.ID) === p),
      { what: "B's read to wait on P" },
    );
    // So A's second insert runs on the other connection, Q.
    const [second] = (await a.query("INSERT INTO ai (who) VALUES ('lii-second')")) as Header;
    await locker.query('UNLOCK TABLES');
    await locker.end();
    await read;
    // (Asked after B's read let P go, so that Q is the idle connection taken first: the
    // holder below finds it at once, and nobody's statement runs on P.)
    const q = await backendOf(a);
    expect(q).not.toBe(p);
    // With Q held, A's read runs on P, where the first id is.
    const onQ = await holdBackend(fx, q, POOL);
    try {
      expect(await backendOf(a)).toBe(p);
      expect(second.insertId).toBeGreaterThan(first.insertId);
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(second.insertId);
    } finally {
      await onQ.release();
    }
  });

  it('SET of the insert id in every form is the caller’s next LAST_INSERT_ID(), as at MariaDB', async () => {
    for (const set of [
      'SET @@identity = 77',
      'SET @@last_insert_id = 77',
      'SET identity = 77',
      'SET SESSION identity := 77',
      'SET last_insert_id = 77',
      'SET @@session.last_insert_id = 77',
    ]) {
      const a = await client();
      await a.query(set);
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id), set).toBe(77);
      expect(Number((await one(a, 'SELECT @@identity AS id')).id), set).toBe(77);
      await a.end();
      clients.forget(a);
    }
  });

  it('SELECT LAST_INSERT_ID(expr) sets it for the caller, which stays on that backend', async () => {
    const a = await client();
    expect(Number((await one(a, 'SELECT LAST_INSERT_ID(4242) AS v')).v)).toBe(4242);
    expect(fx.proxy.stats().pinnedNow.unreplayable_variable).toBe(1);
    const holder = await hold(fx);
    try {
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(4242);
    } finally {
      await holder.release();
    }
  });

  it('UPDATE … LAST_INSERT_ID(expr) (a sequence table) follows the caller without a pin', async () => {
    await direct.query('CREATE TABLE IF NOT EXISTS seq (id INT NOT NULL)');
    await direct.query('DELETE FROM seq');
    await direct.query('INSERT INTO seq VALUES (100)');
    const a = await client();
    await a.query('UPDATE seq SET id = LAST_INSERT_ID(id + 1)');
    await a.query('SELECT 1');
    const mine = await backendOf(a);
    const holder = await holdBackend(fx, mine, POOL);
    try {
      expect(fx.proxy.stats().pinnedNow.unreplayable_variable).toBe(0);
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(101);
    } finally {
      await holder.release();
    }
  });

  it('a client that never inserted reads 0, not the id another client left on the connection', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query("INSERT INTO ai (who) VALUES ('left')");
      const used = await backendOf(a);
      // B has only the connection where A's insert id is.
      expect(await backendOf(b)).toBe(used);
      expect(Number((await one(b, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(0);
    } finally {
      await holder.release();
    }
  });

  it('is not set before statements that do not read it: ROW_COUNT() stays the caller’s', async () => {
    const a = await client();
    await a.query("INSERT INTO ai (who) VALUES ('rows')");
    const first = await backendOf(a);
    const holder = await holdBackend(fx, first, POOL);
    try {
      // Runs on the other connection, where another client's insert id (none) is.
      const [upd] = (await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4')) as [
        mysql.ResultSetHeader,
        unknown,
      ];
      expect(upd.affectedRows).toBe(4);
      expect(Number((await one(a, 'SELECT ROW_COUNT() AS n')).n)).toBe(4);
    } finally {
      await holder.release();
    }
  });
});

describe('FOUND_ROWS()', () => {
  it('text protocol: SQL_CALC_FOUND_ROWS then FOUND_ROWS() counts the caller’s query', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      expect(
        await rows(a, 'SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= 7 ORDER BY id LIMIT 1'),
      ).toEqual([{ id: 1 }]);
      const { outcome: bSel } = await sentAndPlaced(
        fx,
        rows(b, 'SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= 3 LIMIT 1'),
      );
      expect(Number((await one(a, 'SELECT FOUND_ROWS() AS n')).n)).toBe(7);
      await bSel;
      expect(Number((await one(b, 'SELECT FOUND_ROWS() AS n')).n)).toBe(3);
    } finally {
      await holder.release();
    }
  });

  it('binary protocol: the same through prepared statements', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.execute('SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= ? LIMIT 1', [6]);
      const { outcome: bSel } = await sentAndPlaced(
        fx,
        b.execute('SELECT SQL_CALC_FOUND_ROWS id FROM nums WHERE id <= ? LIMIT 1', [2]),
      );
      const [aRows] = await a.execute('SELECT FOUND_ROWS() AS n');
      expect(Number((aRows as Row[])[0]!.n)).toBe(6);
      await bSel;
      const [bRows] = await b.execute('SELECT FOUND_ROWS() AS n');
      expect(Number((bRows as Row[])[0]!.n)).toBe(2);
    } finally {
      await holder.release();
    }
  });
});

describe('ROW_COUNT()', () => {
  it('reports the caller’s own previous UPDATE', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query('UPDATE nums SET n = n + 1 WHERE id <= 4');
      const { outcome: bUpd } = await sentAndPlaced(fx, b.query('UPDATE nums SET n = n + 1 WHERE id <= 2'));
      expect(Number((await one(a, 'SELECT ROW_COUNT() AS n')).n)).toBe(4);
      await bUpd;
      expect(Number((await one(b, 'SELECT ROW_COUNT() AS n')).n)).toBe(2);
    } finally {
      await holder.release();
    }
  });
});

describe('warnings', () => {
  it('SHOW WARNINGS and warning_count describe the caller’s previous statement', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query("SELECT CAST('abc' AS SIGNED) AS x");
      const { outcome: bSel } = await sentAndPlaced(fx, b.query('SELECT 1/0 AS x'));
      const aWarnings = await rows(a, 'SHOW WARNINGS');
      expect(aWarnings.map((w) => w.Code)).toEqual([1292]); // truncated incorrect INTEGER value
      await bSel;
      const bWarnings = await rows(b, 'SHOW WARNINGS');
      expect(bWarnings.map((w) => w.Code)).toEqual([1365]); // division by 0
      await a.query("SELECT CAST('x' AS SIGNED), CAST('y' AS SIGNED)");
      const { outcome: bAgain } = await sentAndPlaced(fx, b.query('SELECT 1 AS quiet'));
      expect(Number((await one(a, 'SELECT @@warning_count AS n')).n)).toBe(2);
      await bAgain;
    } finally {
      await holder.release();
    }
  });

  it('reach back past a read whose FROM is inside a name under ANSI_QUOTES (it reads no table)', async () => {
    // Under ANSI_QUOTES "C:\" is a name and ' " FROM nums ' a string: the second SELECT reads
    // no table and keeps the first one's warning. Read with escapes, a FROM nums shows.
    const steps = [
      "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')",
      "SELECT CAST('x' AS SIGNED) AS v",
      `SELECT 1 AS "C:\\", ' " FROM nums ' AS s`,
    ];
    const own = await fx.direct();
    for (const sql of steps) await own.query(sql);
    const oracle = (await rows(own, 'SHOW WARNINGS')).map((w) => w.Code);
    await own.end();
    expect(oracle).toEqual([1292]);

    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      for (const sql of steps) await a.query(sql);
      // B's read of a table on the one shared connection clears what A's reads left there.
      await rows(b, 'SELECT id FROM nums WHERE id = 1');
      expect((await rows(a, 'SHOW WARNINGS')).map((w) => w.Code)).toEqual(oracle);
    } finally {
      await holder.release();
    }
  });

  it('a prepared SHOW WARNINGS reads the statement before its prepare (a prepare runs nothing)', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query("SELECT CAST('abc' AS SIGNED) AS x FROM nums WHERE id = 1");
      const { outcome: bSel } = await sentAndPlaced(fx, b.query('SELECT 1/0 AS x FROM nums WHERE id = 1'));
      const [aWarnings] = await a.execute('SHOW WARNINGS');
      expect((aWarnings as Row[]).map((w) => w.Code)).toEqual([1292]);
      await bSel;
    } finally {
      await holder.release();
    }
  });

  it('a client whose statement left nothing to ask about never reads another client’s warnings or counts', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      const noop = 'UPDATE nums SET n = n WHERE id = -1';
      const asks = [
        'SHOW WARNINGS',
        'SELECT @@warning_count AS n',
        'SELECT ROW_COUNT() AS n',
        'SELECT @@warning_count = 0 AS n',
      ];
      // What the server answers a client of its own: each question right after the no-op UPDATE.
      const own = await fx.direct();
      const oracle: Row[][] = [];
      for (const ask of asks) {
        await own.query(noop);
        oracle.push(await rows(own, ask));
      }
      await own.end();
      expect(oracle).toEqual([[], [{ n: 0 }], [{ n: 0 }], [{ n: 1 }]]);

      // A's UPDATE changes nothing and warns of nothing: nothing keeps A on its backend. B's
      // read of a table leaves a warning carrying B's data (and ROW_COUNT() -1) on the one
      // shared connection before A asks.
      const secret = "SELECT CAST(CONCAT('b-secret-', id) AS SIGNED) AS x FROM nums WHERE id = 1";
      for (const [i, ask] of asks.entries()) {
        await a.query(noop);
        expect(await rows(b, secret)).toEqual([{ x: 0 }]);
        expect(await rows(a, ask)).toEqual(oracle[i]);
      }
      // B still reads its own.
      await rows(b, secret);
      expect((await rows(b, 'SHOW WARNINGS')).map((w) => w.Message)).toEqual([
        "Truncated incorrect INTEGER value: 'b-secret-1'",
      ]);
    } finally {
      await holder.release();
    }
  });
});

describe('sql_auto_is_null', () => {
  it('WHERE id IS NULL finds the caller’s own last insert: the setting keeps it on its backend', async () => {
    const probe = 'SELECT who FROM ai WHERE id IS NULL';
    // On the server itself: the row this connection inserted last, after other statements too.
    const own = await fx.direct();
    await own.query('SET sql_auto_is_null = 1');
    await own.query("INSERT INTO ai (who) VALUES ('auto-own')");
    await own.query('SELECT 1');
    expect(await rows(own, probe)).toEqual([{ who: 'auto-own' }]);
    await own.end();

    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query('SET sql_auto_is_null = 1');
      await a.query("INSERT INTO ai (who) VALUES ('auto-a')");
      await a.query('SELECT 1');
      // B inserts on the one other backend, or waits for it.
      const { outcome } = await sentAndPlaced(fx, b.query("INSERT INTO ai (who) VALUES ('auto-b')"));
      expect(await rows(a, probe)).toEqual([{ who: 'auto-a' }]);
      await a.end();
      clients.forget(a);
      await outcome;
    } finally {
      await holder.release();
    }
  });
});

describe('profiling', () => {
  it('SHOW PROFILES lists the caller’s statements only: profiling keeps it on its backend', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query('SET profiling = 1');
      expect(fx.proxy.stats().pinnedNow.unreplayable_variable).toBe(1);
      await a.query("SELECT 'a-statement' AS x");
      // B has the other backend or waits for it; its profiled statement is never A's.
      const { outcome } = await sentAndPlaced(
        fx,
        (async () => {
          await b.query('SET profiling = 1');
          await b.query("SELECT 'b-secret' AS x");
        })(),
      );
      const listed = (await rows(a, 'SHOW PROFILES')).map((p) => p.Query);
      expect(listed).toContain("SELECT 'a-statement' AS x");
      expect(listed.join('\n')).not.toContain('b-secret');
      await a.end();
      clients.forget(a);
      await outcome;
    } finally {
      await holder.release();
    }
  });

  it.each(['SET profiling = 1', 'SET @@profiling = 1'])(
    'a client that turned it on (%s) leaves no history for the next: its connection is not handed on',
    async (on) => {
      // MariaDB keeps SHOW PROFILES' history across COM_RESET_CONNECTION; one free connection.
      // `SET @@profiling` with no scope word is not reported by session tracking.
      const holder = await hold(fx);
      try {
        const a = await client();
        await a.query(on);
        await a.query("SELECT 'a-left-this' AS x");
        await a.end();
        clients.forget(a);
        await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'A to be gone' });
        const b = await client();
        await b.query('SET profiling = 1');
        await b.query("SELECT 'b-own' AS x");
        const listed = (await rows(b, 'SHOW PROFILES')).map((p) => p.Query).join('\n');
        expect(listed).toContain('b-own');
        expect(listed).not.toContain('a-left-this');
      } finally {
        await holder.release();
      }
    },
  );
});

describe('optimizer trace', () => {
  it('a client that turned it on pins, and leaves no trace of its statements for the next client', async () => {
    // information_schema.OPTIMIZER_TRACE keeps the connection's last trace, SQL text and
    // literals in it, for whoever reads it there next — tracing on or not. One free connection.
    const holder = await hold(fx);
    try {
      const a = await client();
      await a.query("SET SESSION optimizer_trace = 'enabled=on'");
      expect(fx.proxy.stats().pinnedNow.unreplayable_variable).toBe(1);
      await a.query("SELECT COUNT(*) FROM nums WHERE id > 0 AND 'a-secret' <> ''");
      const own = (await rows(a, 'SELECT QUERY FROM information_schema.OPTIMIZER_TRACE')).map((r) => r.QUERY);
      expect(own.join('\n')).toContain('a-secret');
      await a.end();
      clients.forget(a);
      await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'A to be gone' });
      const b = await client();
      const seen = await rows(b, 'SELECT QUERY FROM information_schema.OPTIMIZER_TRACE');
      expect(JSON.stringify(seen)).not.toContain('a-secret');
    } finally {
      await holder.release();
    }
  });
});

describe('session status', () => {
  it("SHOW SESSION STATUS's Last_query_cost is the caller's previous statement's", async () => {
    await direct.query(
      'CREATE TABLE IF NOT EXISTS cost_big (id INT PRIMARY KEY) SELECT seq AS id FROM seq_1_to_2000',
    );
    const mine = 'SELECT COUNT(*) AS n FROM nums WHERE n >= 0';
    const theirs = 'SELECT COUNT(*) AS n FROM cost_big WHERE id > 0';
    const cost = async (c: mysql.Connection) =>
      (await rows(c, "SHOW SESSION STATUS LIKE 'Last_query_cost'"))[0]!.Value as string;
    await direct.query(mine);
    const expectMine = await cost(direct);
    await direct.query(theirs);
    const expectTheirs = await cost(direct);
    expect(expectMine).not.toBe(expectTheirs);
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query(mine);
      // B's read runs on the connection A's ran on (the one free), or stacks behind it there.
      const { outcome } = await sentAndPlaced(fx, b.query(theirs));
      await outcome;
      expect(await cost(a)).toBe(expectMine);
      expect(await cost(b)).toBe(expectTheirs);
    } finally {
      await holder.release();
    }
  });
});

describe('values the server keeps per connection without an OK reporting them', () => {
  it("after a batch whose INSERT is not its last statement, LAST_INSERT_ID() is the INSERT's", async () => {
    const a = await client({ multipleStatements: true });
    await a.query("INSERT INTO ai (who) VALUES ('batch'); UPDATE nums SET n = n WHERE id = 1");
    const { id } = await one(direct, "SELECT MAX(id) AS id FROM ai WHERE who = 'batch'");
    expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(Number(id));
  });

  it('after a CALL whose procedure inserts, LAST_INSERT_ID() is that insert id', async () => {
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    // A client that never had an insert id reported: the proxy's own bookkeeping says 0.
    const a = await client();
    await a.query('CALL add_ai()');
    const { id } = await one(direct, "SELECT MAX(id) AS id FROM ai WHERE who = 'proc'");
    expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(Number(id));
    // The same CALL behind another statement of a multi-statement text.
    const m = await client({ multipleStatements: true });
    await m.query('DO 0; CALL add_ai()');
    const after = await one(direct, "SELECT MAX(id) AS id FROM ai WHERE who = 'proc'");
    expect(Number(after.id)).toBeGreaterThan(Number(id));
    expect(Number((await one(m, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(Number(after.id));
  });

  it('after INSERT … RETURNING (rows, no OK), LAST_INSERT_ID() is the id it generated', async () => {
    const a = await client();
    await a.query("INSERT INTO ai (who) VALUES ('before')");
    // The RETURNING insert runs on the other connection, which holds no insert id of a's.
    const onX = await holdBackend(fx, await backendOf(a), POOL);
    try {
      const [returned] = await a.query("INSERT INTO ai (who) VALUES ('returning') RETURNING id");
      const id = (returned as { id: number }[])[0]!.id;
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(id);
    } finally {
      await onX.release();
    }
  });

  it('a prepare of an INSERT … RETURNING runs nothing: ROW_COUNT() after it is the statement’s before, as at MariaDB', async () => {
    const seen = async (c: mysql.Connection) => {
      await c.query('UPDATE nums SET n = n + 1 WHERE id <= 3');
      const stmt = await c.prepare('INSERT INTO ai (who) VALUES (?) RETURNING id');
      const row = await one(c, 'SELECT ROW_COUNT() AS n');
      await stmt.close();
      return row;
    };
    const d = await fx.direct({ database: 'test' });
    const expected = await seen(d);
    await d.end();
    expect(expected).toEqual({ n: 3 });
    expect(await seen(await client())).toEqual(expected);
  });

  it('after a CALL that inserts on a connection where the client had inserted nothing, LAST_INSERT_ID() is the procedure’s', async () => {
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    const a = await client();
    await a.query("INSERT INTO ai (who) VALUES ('earlier')");
    // The CALL runs on the other connection, which holds no insert id of a's.
    const onX = await holdBackend(fx, await backendOf(a), POOL);
    try {
      await a.query('CALL add_ai()');
      const { id } = await one(direct, "SELECT MAX(id) AS id FROM ai WHERE who = 'proc'");
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(Number(id));
    } finally {
      await onX.release();
    }
  });

  /**
   * a's backend x is held while `steps` runs a's statements there and elsewhere (they return y,
   * the connection a ran on last, not x); then x is let go and y held, so a's LAST_INSERT_ID()
   * runs on x — which never saw the procedure's insert — and must read the procedure's id.
   */
  async function expectProcedureIdOnThirdConnection(
    a: mysql.Connection,
    steps: (x: number) => Promise<number>,
  ): Promise<void> {
    const x = await backendOf(a);
    let onX: Awaited<ReturnType<typeof holdBackend>> | undefined = await holdBackend(fx, x, POOL);
    let onY: Awaited<ReturnType<typeof holdBackend>> | undefined;
    try {
      const y = await steps(x);
      expect(y).not.toBe(x);
      const { id } = await one(direct, "SELECT MAX(id) AS id FROM ai WHERE who = 'proc'");
      await onX.release();
      onX = undefined;
      onY = await holdBackend(fx, y, POOL);
      expect(await backendOf(a)).toBe(x);
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(Number(id));
    } finally {
      await onX?.release();
      await onY?.release();
    }
  }

  it('after a CALL that inserts, then a statement elsewhere, LAST_INSERT_ID() on a third connection is the procedure’s', async () => {
    // Go's database/sql: db.Exec("CALL p(?)"), a lookup, then LAST_INSERT_ID() on the same
    // *sql.Conn. The CALL's OK reports no id; the proxy knew it only as "on that connection",
    // and lost it once the client's next statement ran elsewhere: LAST_INSERT_ID() read 0.
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    const a = await client();
    await expectProcedureIdOnThirdConnection(a, async () => {
      await a.query('CALL add_ai()');
      // A statement that does not read the CALL's results (a pure read): it runs on y too.
      expect(await one(a, 'SELECT id FROM nums WHERE id = 1')).toEqual({ id: 1 });
      return backendOf(a);
    });
  });

  it('after a CALL that inserts, then a KILL, LAST_INSERT_ID() on another connection is the procedure’s', async () => {
    // A KILL is answered by the proxy itself and lets the held connection go too.
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    const a = await client();
    await expectProcedureIdOnThirdConnection(a, async () => {
      const y = await backendOf(a);
      await a.query('CALL add_ai()');
      await a.query(`KILL QUERY ${a.threadId}`);
      return y;
    });
  });

  it('after a CALL that inserts, a KILL with the next statement pipelined behind it answers both', async () => {
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    const c = await connectors.open({ pipelining: true });
    await c.query('CALL add_ai()');
    // The KILL waits for the insert id to be read back, the SELECT queued behind it.
    const [, next] = await Promise.all([c.query(`KILL QUERY ${c.threadId}`), c.query('SELECT 1 AS one')]);
    expect(next).toEqual([{ one: 1 }]);
  });

  it('after a transaction that ran a CALL that inserts, then a statement elsewhere, LAST_INSERT_ID() on a third connection is the procedure’s', async () => {
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS add_ai() BEGIN INSERT INTO ai (who) VALUES ('proc'); END",
    );
    const a = await client();
    await expectProcedureIdOnThirdConnection(a, async () => {
      await a.query('BEGIN');
      await a.query('CALL add_ai()');
      await a.query('COMMIT');
      expect(await one(a, 'SELECT id FROM nums WHERE id = 1')).toEqual({ id: 1 });
      return backendOf(a);
    });
  });

  it('after a CALL that inserts nothing, on a connection where another client inserted, LAST_INSERT_ID() is the caller’s own', async () => {
    await direct.query('CREATE PROCEDURE IF NOT EXISTS no_insert() BEGIN DO 0; END');
    const a = await client();
    await a.query("INSERT INTO ai (who) VALUES ('mine')");
    const mine = Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id);
    const onX = await holdBackend(fx, await backendOf(a), POOL);
    try {
      const z = await client();
      await z.query("INSERT INTO ai (who) VALUES ('theirs')");
      await z.end();
      clients.forget(z);
      await a.query('CALL no_insert()');
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(mine);
    } finally {
      await onX.release();
    }
  });

  it('an insert id past 2^53 follows the client exactly to another connection (not rounded to a number)', async () => {
    await direct.query(
      'CREATE TABLE big_ai (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, v INT) AUTO_INCREMENT = 9007199254740993',
    );
    await direct.query('INSERT INTO big_ai VALUES (9007199254740992, 0)');
    const a = await client();
    await a.query('INSERT INTO big_ai (v) VALUES (0)');
    const onX = await holdBackend(fx, await backendOf(a), POOL);
    try {
      expect(await one(a, 'SELECT CAST(LAST_INSERT_ID() AS CHAR) AS id')).toEqual({ id: '9007199254740993' });
      await a.query('UPDATE big_ai SET v = 1 WHERE id = LAST_INSERT_ID()');
    } finally {
      await onX.release();
    }
    expect(await rows(direct, 'SELECT CAST(id AS CHAR) AS id, v FROM big_ai ORDER BY id')).toEqual([
      { id: '9007199254740992', v: 0 },
      { id: '9007199254740993', v: 1 },
    ]);
  });

  it('DO LAST_INSERT_ID(expr) sets what the client reads back', async () => {
    const a = await client();
    await a.query('DO LAST_INSERT_ID(4242)');
    const b = await client();
    await b.query("INSERT INTO ai (who) VALUES ('other')"); // someone else's id meanwhile
    expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(4242);
  });

  it("a sequence's previous value stays the caller's: NEXTVAL pins it to its connection", async () => {
    await direct.query('CREATE SEQUENCE IF NOT EXISTS seq_prev');
    const a = await client();
    const b = await client();
    const { v } = await one(a, 'SELECT NEXTVAL(seq_prev) AS v');
    expect(fx.proxy.stats().clients.find((c) => c.pinned.includes('unreplayable_variable'))).toBeDefined();
    await one(b, 'SELECT NEXTVAL(seq_prev) AS v'); // another client moves it on its connection
    expect((await one(a, 'SELECT PREVIOUS VALUE FOR seq_prev AS p')).p).toBe(v);
  });
});

describe('a quiet client after a statement with results to read', () => {
  it('lets others have the backend after result_hold: they are served, not timed out', async () => {
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query("INSERT INTO ai (who) VALUES ('quiet')");
      // A never reads LAST_INSERT_ID() and stays quiet; B only has A's backend to use.
      expect((await one(b, 'SELECT 7 AS seven')).seven).toBe(7);
    } finally {
      await holder.release();
    }
  });

  it('…also when the commands after it are ones the proxy answers itself (COM_STMT_CLOSE, COM_PING)', async () => {
    // What Go's database/sql sends for db.Exec with arguments: PREPARE, EXECUTE, CLOSE.
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      const stmt = await a.prepare('INSERT INTO ai (who) VALUES (?)');
      await stmt.execute(['go-exec']);
      stmt.close();
      await a.ping();
      expect((await one(b, 'SELECT 8 AS eight')).eight).toBe(8);
    } finally {
      await holder.release();
    }
  });
});

describe('CLIENT_FOUND_ROWS', () => {
  it('each client gets its own affected-rows semantics for a no-op UPDATE', async () => {
    await direct.query('UPDATE nums SET n = 5 WHERE id = 10');
    const found = [await client(), await client()]; // mysql2 sets CLIENT_FOUND_ROWS by default
    const changed = [await client({ flags: ['-FOUND_ROWS'] }), await client({ flags: ['-FOUND_ROWS'] })];
    const noop = async (c: mysql.Connection) => {
      const [header] = (await c.query('UPDATE nums SET n = 5 WHERE id = 10')) as [
        mysql.ResultSetHeader,
        unknown,
      ];
      // A next statement with nothing to ask about ends the hold on the backend at once, so the
      // clients queued behind do not wait out result_hold (5 s here) every round.
      await c.query('SELECT 1');
      return header.affectedRows;
    };
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([...found, ...changed].map(noop));
      // Matched rows for CLIENT_FOUND_ROWS clients, changed rows for the others.
      expect(results).toEqual([1, 1, 0, 0]);
    }
  });
});

describe('temporary tables', () => {
  it('are visible right after creation and only to their creator', async () => {
    const a = await client();
    const b = await client();
    await a.query('CREATE TEMPORARY TABLE tmp_a (x INT)');
    const [bErr] = await Promise.all([
      failure(b.query('SELECT COUNT(*) FROM tmp_a')),
      a.query('INSERT INTO tmp_a VALUES (1), (2)'),
    ]);
    expect(bErr.errno).toBe(1146); // no such table: B is not on A's connection
    for (let i = 0; i < 3; i++) {
      const [aRow, bE] = await Promise.all([
        one(a, 'SELECT COUNT(*) AS n FROM tmp_a'),
        failure(b.query('SELECT COUNT(*) FROM tmp_a')),
      ]);
      expect(Number(aRow.n)).toBe(2);
      expect(bE.errno).toBe(1146);
    }
    expect(fx.proxy.stats().pinnedNow.temporary_table).toBe(1);
  });

  it('are gone from every backend once their creator leaves', async () => {
    const a = await client();
    await a.query('CREATE TEMPORARY TABLE tmp_gone (x INT)');
    await a.query('INSERT INTO tmp_gone VALUES (1)');
    a.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'A to leave the proxy' });
    // Creating it again succeeds on every backend only if no backend kept A's table.
    const created = await onEveryBackend(fx, POOL, 'CREATE TEMPORARY TABLE tmp_gone (y INT)');
    expect(created).toHaveLength(POOL);
  });
});

describe('other locks and per-connection objects', () => {
  it('FLUSH TABLES … FOR EXPORT and BACKUP LOCK keep the client on its backend until released', async () => {
    const a = await client();
    await a.query('FLUSH TABLES nums FOR EXPORT');
    expect(fx.proxy.stats().pinnedNow.global_read_lock).toBe(1);
    await a.query('UNLOCK TABLES');
    expect(fx.proxy.stats().pinnedNow.global_read_lock).toBe(0);
    await a.query('BACKUP LOCK nums');
    expect(fx.proxy.stats().pinnedNow.backup_lock).toBe(1);
    await a.query('BACKUP UNLOCK');
    expect(fx.proxy.stats().pinnedNow.backup_lock).toBe(0);
  });

  it('BACKUP STAGE keeps the client on its backend from START to END', async () => {
    const a = await client();
    await a.query('BACKUP STAGE START');
    await a.query('BACKUP STAGE BLOCK_DDL');
    expect(fx.proxy.stats().pinnedNow.backup_lock).toBe(1);
    await a.query('BACKUP STAGE END');
    expect(fx.proxy.stats().pinnedNow.backup_lock).toBe(0);
  });

  it('UNLOCK TABLES leaves a backup lock, and its pin, in place', async () => {
    const a = await client();
    await a.query('BACKUP LOCK nums');
    await a.query('UNLOCK TABLES'); // the backup lock stays (MariaDB: a RENAME of nums still waits)
    expect(fx.proxy.stats().pinnedNow).toMatchObject({ backup_lock: 1, table_lock: 0 });
    await a.query('BACKUP UNLOCK');
    expect(fx.proxy.stats().pinnedNow.backup_lock).toBe(0);
  });

  it('a temporary sequence is its creator’s, on its backend', async () => {
    const a = await client();
    await a.query('CREATE TEMPORARY SEQUENCE tseq');
    expect(fx.proxy.stats().pinnedNow.temporary_table).toBe(1);
    const next = await Promise.all([1, 2, 3].map(() => one(a, 'SELECT NEXTVAL(tseq) AS n')));
    expect(next.map((r) => Number(r.n))).toEqual([1, 2, 3]);
  });
});

describe('advisory locks', () => {
  it('RELEASE_LOCK reaches the backend that ran GET_LOCK', async () => {
    const a = await client();
    const b = await client();
    expect((await one(a, "SELECT GET_LOCK('adv', 0) AS got")).got).toBe(1);
    const owner = Number((await one(direct, "SELECT IS_USED_LOCK('adv') AS id")).id);
    const work = Array.from({ length: 10 }, () => one(b, "SELECT IS_FREE_LOCK('adv') AS free"));
    expect((await Promise.all(work)).map((r) => r.free)).toEqual(Array(10).fill(0));
    expect(await backendOf(a)).toBe(owner);
    // 1: released by its owner; 0 would mean another connection tried, NULL that none held it.
    expect((await one(a, "SELECT RELEASE_LOCK('adv') AS rel")).rel).toBe(1);
    expect((await one(direct, "SELECT IS_FREE_LOCK('adv') AS free")).free).toBe(1);
  });

  it('keep the client pinned after RELEASE_LOCK (others may be held) until RELEASE_ALL_LOCKS()', async () => {
    const a = await client();
    await one(a, "SELECT GET_LOCK('adv3', 0) AS got, GET_LOCK('adv4', 0) AS got2");
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    await one(a, "SELECT RELEASE_LOCK('adv3') AS rel");
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(direct, "SELECT IS_FREE_LOCK('adv4') AS free")).free).toBe(0);
    expect(Number((await one(a, 'SELECT RELEASE_ALL_LOCKS() AS n')).n)).toBe(1);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(0);
    expect((await one(direct, "SELECT IS_FREE_LOCK('adv4') AS free")).free).toBe(1);
  });

  it('are seen behind a character whose second byte is 0x5C (Shift-JIS ソ), greeted with or set', async () => {
    // In sjis 'ソ' is 0x83 0x5C: read byte by byte, its second byte escapes the closing quote
    // and the string runs on over GET_LOCK, which then looks like a pure read.
    // mysql2 encodes the text in sjis ('ソ' goes out as 0x83 0x5C) when it greets with sjis, and
    // also after SET NAMES sjis (it follows character_set_client in the session tracking).
    const cases = [
      { options: { charset: 'SJIS_JAPANESE_CI' }, setNames: false },
      { options: { charset: 'LATIN1_SWEDISH_CI' }, setNames: true },
    ];
    for (const { options, setNames } of cases) {
      const a = await client(options);
      if (setNames) await a.query('SET NAMES sjis');
      const row = await one(a, "SELECT 'ソ' AS katakana, HEX('ソ') AS bytes, GET_LOCK('sjis', 0) AS got");
      expect(row.bytes).toBe('835C');
      expect(row.got).toBe(1);
      expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
      expect((await one(a, "SELECT RELEASE_LOCK('sjis') AS rel")).rel).toBe(1);
      expect((await one(direct, "SELECT IS_FREE_LOCK('sjis') AS free")).free).toBe(1);
      await clients.endAll();
    }
  });

  it('are seen between names whose characters end in 0x60 (Shift-JIS Ａ), which is no backquote', async () => {
    // 'Ａ' (fullwidth A) is 0x82 0x60 in sjis: read byte by byte, its second byte opens a quoted name that
    // runs to the next one, over GET_LOCK.
    const a = await client({ charset: 'SJIS_JAPANESE_CI' });
    const row = await one(a, "SELECT HEX('Ａ') AS bytes, 1 AS Ａa, GET_LOCK('bq', 0) AS got, 2 AS Ａb");
    expect(row.bytes).toBe('8260');
    expect(row.got).toBe(1);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('bq') AS rel")).rel).toBe(1);
  });

  it('are seen behind a string ending in a backslash under NO_BACKSLASH_ESCAPES', async () => {
    const a = await client();
    await a.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    const r = await one(a, "SELECT 'C:\\' AS path, GET_LOCK('nbe', 0) AS got");
    expect(r).toEqual({ path: 'C:\\', got: 1 });
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('nbe') AS rel")).rel).toBe(1);
  });

  it('are seen behind a double-quoted name ending in a backslash under ANSI_QUOTES', async () => {
    const a = await client();
    // Under ANSI_QUOTES "…" is a name, in which a backslash escapes nothing: `"C:\"` ends
    // there, and the GET_LOCK after it runs.
    await a.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
    const r = await one(a, 'SELECT 1 AS "C:\\", GET_LOCK(\'ansi\', 0) AS got');
    expect(r).toEqual({ 'C:\\': 1, got: 1 });
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('ansi') AS rel")).rel).toBe(1);
  });

  it('stay pinned when a string only looks like RELEASE_ALL_LOCKS() read under ANSI_QUOTES', async () => {
    const a = await client();
    expect((await one(a, "SELECT GET_LOCK('quoted', 0) AS got")).got).toBe(1);
    // Default sql_mode: one string. Under ANSI_QUOTES (which no response tells) it would be
    // a name followed by a call — a reading that must not end the pin.
    const r = await one(a, 'SELECT "he typed \\"RELEASE_ALL_LOCKS()\\" here" AS s');
    expect(r.s).toBe('he typed "RELEASE_ALL_LOCKS()" here');
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('quoted') AS rel")).rel).toBe(1);
  });

  it('stay pinned when an execute read anew under NO_BACKSLASH_ESCAPES only looks like RELEASE_ALL_LOCKS()', async () => {
    const a = await client();
    expect((await one(a, "SELECT GET_LOCK('ps-lock', 0) AS got")).got).toBe(1);
    // Prepared on the pinned connection with backslash escapes: one string. Under
    // NO_BACKSLASH_ESCAPES the text reads as a string, a call and a comment — but the
    // connection that has the statement runs it as it was prepared.
    const sql = "SELECT 'C:\\', RELEASE_ALL_LOCKS() -- ' AS s";
    const first = (await a.execute(sql))[0] as Array<Record<string, unknown>>;
    expect(Object.values(first[0])).toEqual(["C:', RELEASE_ALL_LOCKS() -- "]);
    await a.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    const again = (await a.execute(sql))[0] as Array<Record<string, unknown>>;
    expect(Object.values(again[0])).toEqual(["C:', RELEASE_ALL_LOCKS() -- "]);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('ps-lock') AS rel")).rel).toBe(1);
  });

  it('are seen after a sql_mode change earlier in the same text', async () => {
    const a = await client({ multipleStatements: true });
    // The server reads the SELECT under NO_BACKSLASH_ESCAPES, set by the statement before it:
    // 'x\' is a string, and GET_LOCK runs.
    const [results] = (await a.query(
      "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES'); SELECT 'x\\', GET_LOCK('ms', 0) AS got, ''",
    )) as unknown as [unknown[]];
    expect((results[1] as Array<{ got: number }>)[0].got).toBe(1);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    expect((await one(a, "SELECT RELEASE_LOCK('ms') AS rel")).rel).toBe(1);
  });

  it('a plain GET_LOCK and LOCK TABLES leave nothing pinned once released', async () => {
    const a = await client();
    expect((await one(a, "SELECT GET_LOCK('plain', 0) AS got")).got).toBe(1);
    expect((await one(a, 'SELECT RELEASE_ALL_LOCKS() AS n')).n).toBe(1);
    await a.query('LOCK TABLES nums READ');
    await a.query('UNLOCK TABLES');
    const pinned = Object.entries(fx.proxy.stats().pinnedNow).filter(([, n]) => n > 0);
    expect(pinned).toEqual([]);
  });

  it("a GET_LOCK outlives a LOCK TABLES … UNLOCK TABLES taken inside it: the connection stays the client's", async () => {
    const a = await client();
    expect((await one(a, "SELECT GET_LOCK('outer', 0) AS got")).got).toBe(1);
    await a.query('LOCK TABLES nums READ');
    await a.query('UNLOCK TABLES');
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    // Another client takes a connection and keeps it: A's, were A's let go at UNLOCK TABLES —
    // its RELEASE_LOCK would then run on the other connection, which does not hold the lock (0).
    const other = await hold(fx);
    try {
      expect((await one(a, "SELECT RELEASE_LOCK('outer') AS rel")).rel).toBe(1);
    } finally {
      await other.release();
    }
    // The pin lasts until RELEASE_ALL_LOCKS() (the proxy does not count locks by name).
    expect((await one(a, 'SELECT RELEASE_ALL_LOCKS() AS n')).n).toBe(0);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(0);
  });

  it('a stored function that sets a user variable beside GET_LOCK keeps it pinned after the release', async () => {
    await direct.query(
      'CREATE FUNCTION IF NOT EXISTS set_leak() RETURNS INT NO SQL BEGIN SET @leak = 42; RETURN 1; END',
    );
    const a = await client();
    const r = await one(a, "SELECT set_leak() AS f, GET_LOCK('fn-lock', 0) AS got");
    expect(r).toEqual({ f: 1, got: 1 });
    expect((await one(a, 'SELECT RELEASE_ALL_LOCKS() AS n')).n).toBe(1);
    // The lock is gone, the variable is not: the connection is still A's alone.
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(0);
    expect(fx.proxy.stats().pinnedNow.session_state).toBe(1);
    expect((await one(a, 'SELECT @leak AS v')).v).toBe(42);
  });

  it('are released when the client disconnects', async () => {
    const a = await client();
    expect((await one(a, "SELECT GET_LOCK('adv2', 0) AS got")).got).toBe(1);
    expect((await one(direct, "SELECT IS_FREE_LOCK('adv2') AS free")).free).toBe(0);
    a.destroy();
    await waitFor(async () => (await one(direct, "SELECT IS_FREE_LOCK('adv2') AS free")).free === 1, {
      what: 'the lock to be freed',
    });
    const b = await client();
    expect((await one(b, "SELECT GET_LOCK('adv2', 5) AS got")).got).toBe(1);
    expect((await one(b, "SELECT RELEASE_LOCK('adv2') AS rel")).rel).toBe(1);
  });
});

describe('after a statement that failed', () => {
  it('SHOW ERRORS describes the caller’s own error', async () => {
    await direct.query("INSERT INTO ai (id, who) VALUES (1000, 'taken')");
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      expect((await failure(a.query("INSERT INTO ai (id, who) VALUES (1000, 'a')"))).errno).toBe(1062);
      const { outcome: bSel } = await sentAndPlaced(fx, b.query("SELECT CAST('b' AS SIGNED) AS x"));
      expect((await rows(a, 'SHOW ERRORS')).map((e) => e.Code)).toEqual([1062]);
      await bSel;
      expect((await rows(b, 'SHOW WARNINGS')).map((w) => w.Code)).toEqual([1292]);
    } finally {
      await holder.release();
    }
  });

  // A batch fails at its last statement: what ran before the error is held all the same.
  it('a lock taken earlier in a failed batch keeps the client on its backend', async () => {
    const a = await client({ multipleStatements: true });
    const b = await client();
    const err = await failure(a.query('LOCK TABLES nums WRITE; SELECT * FROM no_such_table'));
    expect(err.errno).toBe(1100); // no_such_table was not locked with LOCK TABLES
    expect(fx.proxy.stats().pinnedNow.table_lock).toBe(1);
    // B never lands on the connection with A's table lock (it would get ER 1100 there).
    const reads = Array.from({ length: 6 }, () => one(b, 'SELECT COUNT(*) AS n FROM ai'));
    expect((await Promise.all(reads)).every((r) => Number(r.n) >= 1)).toBe(true);
    expect(Number((await one(a, 'SELECT COUNT(*) AS n FROM nums')).n)).toBe(10);
    await a.query('UNLOCK TABLES');
    expect(fx.proxy.stats().pinnedNow.table_lock).toBe(0);
  });

  it('an advisory lock taken earlier in a failed batch is released where it was taken', async () => {
    const a = await client({ multipleStatements: true });
    const b = await client();
    const err = await failure(a.query("SELECT GET_LOCK('batch', 0) AS got; SELECT no_such_column FROM nums"));
    expect(err.errno).toBe(1054);
    expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
    const owner = Number((await one(direct, "SELECT IS_USED_LOCK('batch') AS id")).id);
    // Another client never takes it by landing on A's connection (GET_LOCK there is A's own).
    for (let i = 0; i < 3; i++) expect((await one(b, "SELECT GET_LOCK('batch', 0) AS got")).got).toBe(0);
    expect(await backendOf(a)).toBe(owner);
    expect((await one(a, "SELECT RELEASE_LOCK('batch') AS rel")).rel).toBe(1);
  });
});

describe('what the server keeps for the next statement, as MariaDB keeps it', () => {
  /** Runs `steps` on one connection; the rows of the last. */
  async function lastRows(c: mysql.Connection, steps: string[]): Promise<Row[]> {
    for (const sql of steps.slice(0, -1)) await c.query(sql);
    return rows(c, steps[steps.length - 1]!);
  }

  /** The same steps through the proxy and directly against MariaDB: the last one's rows. */
  async function bothWays(steps: string[]): Promise<{ proxy: Row[]; mariadb: Row[] }> {
    const viaProxy = await client({ multipleStatements: true });
    const viaMariadb = await connectAsBackendUser(fx, { multipleStatements: true });
    try {
      return { proxy: await lastRows(viaProxy, steps), mariadb: await lastRows(viaMariadb, steps) };
    } finally {
      await viaMariadb.end();
    }
  }

  beforeAll(async () => {
    await direct.query('CREATE PROCEDURE IF NOT EXISTS two_nums() SELECT id FROM nums WHERE id <= 2');
  });

  it.each([
    [
      'warnings of a batch statement before its last',
      ['INSERT IGNORE INTO nums (id) VALUES (1); SELECT 1', 'SHOW WARNINGS'],
    ],
    [
      'the warning count of the same',
      ['INSERT IGNORE INTO nums (id) VALUES (1); SELECT 1', 'SELECT @@warning_count AS n'],
    ],
    [
      'FOUND_ROWS() after a batch of reads',
      ['SELECT id FROM nums; SELECT id FROM nums LIMIT 2', 'SELECT FOUND_ROWS() AS n'],
    ],
    [
      'ROW_COUNT() after a batch of reads',
      ['SELECT id FROM nums; SELECT id FROM nums LIMIT 2', 'SELECT ROW_COUNT() AS n'],
    ],
    ['FOUND_ROWS() after a CALL', ['CALL two_nums()', 'SELECT FOUND_ROWS() AS n']],
  ])('%s', async (_, steps) => {
    const { proxy, mariadb } = await bothWays(steps);
    expect(mariadb.length).toBeGreaterThan(0);
    expect(proxy).toEqual(mariadb);
  });

  // After an INSERT the connection's insert id is the client's, so nothing runs before the CALL.
  // (After an UPDATE the proxy first gives the connection the client's insert id, a SET that
  // becomes the previous statement: a known limit.)
  it("a procedure's first ROW_COUNT() reads the statement before the CALL", async () => {
    await direct.query('CREATE PROCEDURE IF NOT EXISTS row_count_now() SELECT ROW_COUNT() AS n');
    const insert = "INSERT INTO ai (who) VALUES ('rc1'), ('rc2'), ('rc3')";
    const counted = async (c: mysql.Connection) => {
      const [results] = (await c.query('CALL row_count_now()')) as unknown as [Row[][], unknown];
      return Number(results[0]![0]!.n);
    };
    const viaMariadb = await fx.direct();
    try {
      await viaMariadb.query(insert);
      expect(await counted(viaMariadb)).toBe(3);
    } finally {
      await viaMariadb.end();
    }
    // Through the proxy A and B share one backend; B's statement waits for it while A holds it.
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      await a.query(insert);
      const { outcome } = await sentAndPlaced(fx, b.query('UPDATE nums SET n = n + 1 WHERE id <= 5'));
      expect(await counted(a)).toBe(3);
      // The CALL's rows are held for A's next statement; one that leaves nothing lets B in.
      await a.query('DO 1');
      await outcome;
    } finally {
      await holder.release();
    }
  });

  it('SHOW WARNINGS after a read’s prepared statement was closed describes that read', async () => {
    const warningsAfterClose = async (c: mysql.Connection) => {
      const statement = await c.prepare('SELECT CAST(? AS INTEGER) AS v FROM nums WHERE id = 1');
      await statement.execute(['abc']);
      statement.close();
      return (await rows(c, 'SHOW WARNINGS')).map((w) => w.Code);
    };
    const own = await fx.direct();
    const reference = await warningsAfterClose(own);
    await own.end();
    expect(reference).toEqual([1292]); // truncated incorrect INTEGER value
    // Through the proxy the read ran on a shared connection, so SHOW WARNINGS runs it again.
    expect(await warningsAfterClose(await client())).toEqual(reference);
  });

  it('SHOW WARNINGS after an execute whose table was dropped, run on another backend', async () => {
    const failedExecute = async (c: mysql.Connection, move: () => Promise<() => Promise<void>>) => {
      await direct.query('CREATE TABLE IF NOT EXISTS gone_soon (a INT)');
      const statement = await c.prepare('SELECT a FROM gone_soon');
      await statement.execute([]);
      const release = await move();
      try {
        await direct.query('DROP TABLE gone_soon');
        const errno = await statement.execute([]).then(
          () => 0,
          (e: { errno: number }) => e.errno,
        );
        return { errno, warnings: (await rows(c, 'SHOW WARNINGS')).map((w) => w.Code) };
      } finally {
        await release();
      }
    };
    const own = await fx.direct();
    const reference = await failedExecute(own, async () => async () => {});
    await own.end();
    expect(reference).toEqual({ errno: 1146, warnings: [1146] });
    // Through the proxy the execute runs where the statement is not prepared yet: its
    // re-prepare there is what fails.
    const a = await client();
    const outcome = await failedExecute(a, async () => {
      const holder = await holdBackend(fx, await backendOf(a), POOL);
      return () => holder.release();
    });
    expect(outcome).toEqual(reference);
  });

  it('a read run again for SHOW WARNINGS that fails this time sends no ERR, and counts none', async () => {
    await direct.query('CREATE TABLE IF NOT EXISTS read_then_gone (a INT)');
    const a = await client();
    expect(await rows(a, 'SELECT a FROM read_then_gone')).toEqual([]);
    await direct.query('DROP TABLE read_then_gone');
    const errors = fx.proxy.stats().counters.errors;
    // The read ran on a shared connection: SHOW WARNINGS runs it again first, which fails now.
    const warnings = await rows(a, 'SHOW WARNINGS');
    expect(warnings.map((w) => w.Code)).toEqual([1146]);
    expect(fx.proxy.stats().counters.errors).toBe(errors);
  });

  it('the warnings and errors of the statement before a COM_STMT_RESET, which runs no statement', async () => {
    const diagnostics = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        const id = (await c.command(buildPrepare('SELECT ? AS x'))).prepared!.statementId;
        const seen: (number | string)[] = [];
        for (const [sql, ask] of [
          ['INSERT IGNORE INTO nums (id) VALUES (1)', 'SHOW WARNINGS'],
          ['INSERT INTO no_such_table VALUES (1)', 'SHOW ERRORS'],
        ] as const) {
          await c.query(sql);
          expect((await c.command(buildStmtReset(id))).error).toBeUndefined();
          const answer = await c.query(ask);
          seen.push(answer.error?.errno ?? answer.rows);
        }
        return seen;
      } finally {
        await c.close();
      }
    };
    const reference = await diagnostics(fx.mariadb.port, BACKEND_USER);
    expect(reference).toEqual([1, 1]);
    expect(await diagnostics(fx.port, APP_USER)).toEqual(reference);
  });

  it('the warnings of the statement before a COM_SET_OPTION (PHP mysqli sends one after multi_query)', async () => {
    const setOption = (on: boolean) => Buffer.from([0x1b, on ? 0 : 1, 0]);
    const codes = async (port: number, user: { name: string; password: string }) => {
      const c = await rawLogin(port, user);
      try {
        expect((await c.command(setOption(true))).error).toBeUndefined();
        expect((await c.query('SELECT 1; INSERT IGNORE INTO nums (id) VALUES (1)')).error).toBeUndefined();
        expect((await c.command(setOption(false))).error).toBeUndefined();
        return (await c.query('SHOW WARNINGS')).rows;
      } finally {
        await c.close();
      }
    };
    const reference = await codes(fx.mariadb.port, BACKEND_USER);
    expect(reference).toBe(1);
    expect(await codes(fx.port, APP_USER)).toBe(reference);
  });
});
