/**
 * Protocol features through the proxy (PROXY-NOTES hazards 26–28): multi-statement COM_QUERY,
 * multi-result CALL, LOAD DATA LOCAL INFILE, COM_RESET_CONNECTION and COM_CHANGE_USER clearing
 * what the proxy tracks, and packets larger than 16 MiB, with a pool of two shared by clients.
 */
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, onEveryBackend, one, pinnedNow, type Row, rows } from './support/backends.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
const execFileAsync = promisify(execFile);

/** Runs the mariadb command-line client through the proxy as the default user, database test. */
function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync('mariadb', [
    '-h127.0.0.1',
    `-P${fx.port}`,
    `-u${APP_USER.name}`,
    `-p${APP_USER.password}`,
    'test',
    ...args,
  ]);
}
const OTHER_USER = { name: 'app2', password: 'secret2' };
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;

function zone(): string {
  return "(SELECT VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = 'TIME_ZONE')";
}

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: POOL,
    options: {
      users: [
        { name: APP_USER.name, password: APP_USER.password, max_connections: 5000 },
        { name: OTHER_USER.name, password: OTHER_USER.password },
      ],
    },
  });
  direct = await fx.direct();
  await direct.query('CREATE TABLE pt (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40))');
  await direct.query('CREATE TABLE li (id INT PRIMARY KEY, name VARCHAR(40))');
  await direct.query('CREATE PROCEDURE two_results() BEGIN SELECT 1 AS a; SELECT 2 AS b, 3 AS c; END');
  await direct.query('CREATE PROCEDURE with_out(IN x INT, OUT y INT) SET y = x * 3');
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

describe('multi-statement COM_QUERY', () => {
  it('returns every result, in order, to concurrent clients', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => client({ multipleStatements: true })));
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < 15; i++) {
          const [results] = await c.query(
            `SELECT ${k} AS k; SELECT ${i} AS i, 'x' AS s; INSERT INTO pt (v) VALUES ('multi'); SELECT ${k * 100 + i} AS n`,
          );
          const r = results as unknown[];
          expect(r).toHaveLength(4);
          expect(r[0]).toEqual([{ k }]);
          expect(r[1]).toEqual([{ i, s: 'x' }]);
          expect((r[2] as mysql.ResultSetHeader).affectedRows).toBe(1);
          expect(r[3]).toEqual([{ n: k * 100 + i }]);
        }
      }),
    );
  });

  it('an error in the middle ends the batch with that error and the session goes on', async () => {
    const a = await client({ multipleStatements: true });
    const err = await failure(a.query('SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 3 AS c'));
    expect(err.errno).toBe(1146);
    expect(await rows(a, 'SELECT 4 AS d')).toEqual([{ d: 4 }]);
    expect(pinnedNow(fx)).toBe(0);
  });

  it('state set inside a batch is tracked: a user variable pins, a transaction pins', async () => {
    const a = await client({ multipleStatements: true });
    const b = await client();
    await a.query('SELECT 1; SET @in_batch = 5');
    expect(Number((await one(b, 'SELECT COALESCE(@in_batch, -1) AS v')).v)).toBe(-1);
    expect(Number((await one(a, 'SELECT @in_batch AS v')).v)).toBe(5);
    await a.query("START TRANSACTION; INSERT INTO pt (v) VALUES ('batch-trx')");
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    expect(Number((await one(b, "SELECT COUNT(*) AS n FROM pt WHERE v = 'batch-trx'")).n)).toBe(0);
    expect(Number((await one(a, "SELECT COUNT(*) AS n FROM pt WHERE v = 'batch-trx'")).n)).toBe(1);
    await a.query('ROLLBACK');
  });
});

describe('CALL', () => {
  it('multi-result CALL returns both result sets and the final OK, concurrently', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => client()));
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 15; i++) {
          const [results] = await c.query('CALL two_results()');
          const r = results as unknown[];
          expect(r).toHaveLength(3);
          expect(r[0]).toEqual([{ a: 1 }]);
          expect(r[1]).toEqual([{ b: 2, c: 3 }]);
          expect(r[2]).toHaveProperty('affectedRows');
        }
      }),
    );
  });

  it('multi-result CALL through a prepared statement', async () => {
    const a = await client();
    const b = await client();
    for (let i = 0; i < 5; i++) {
      const [[ra], [rb]] = await Promise.all([
        a.execute('CALL two_results()'),
        b.execute('CALL two_results()'),
      ]);
      for (const r of [ra, rb] as unknown[][]) {
        expect(r[0]).toEqual([{ a: 1 }]);
        expect(r[1]).toEqual([{ b: 2, c: 3 }]);
      }
    }
  });

  it('an OUT parameter read back through a user variable', async () => {
    const a = await client();
    await a.query('CALL with_out(14, @out)');
    expect(Number((await one(a, 'SELECT @out AS y')).y)).toBe(42);
  });
});

// mysql2 wants Buffers from the stream, not strings.
describe('LOAD DATA LOCAL INFILE', () => {
  it('streams the client file through the proxy', async () => {
    const a = await client({
      infileStreamFactory: () => Readable.from([Buffer.from('1,one\n2,two\n'), Buffer.from('3,three\n')]),
    });
    const [header] = (await a.query(
      "LOAD DATA LOCAL INFILE 'small.csv' INTO TABLE li FIELDS TERMINATED BY ','",
    )) as [mysql.ResultSetHeader, unknown];
    expect(header.affectedRows).toBe(3);
    expect(await rows(direct, 'SELECT * FROM li WHERE id <= 3 ORDER BY id')).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
      { id: 3, name: 'three' },
    ]);
  });

  it('a file of many packets arrives whole while another client runs queries', async () => {
    const LINES = 30_000;
    const a = await client({
      infileStreamFactory: () =>
        Readable.from(
          (function* () {
            for (let i = 1000; i < 1000 + LINES; i++) yield Buffer.from(`${i},name-${i}-${'z'.repeat(20)}\n`);
          })(),
        ),
    });
    const b = await client();
    const busy = (async () => {
      for (let i = 0; i < 20; i++) expect((await one(b, `SELECT ${i} AS i`)).i).toBe(i);
    })();
    const [header] = (await a.query(
      "LOAD DATA LOCAL INFILE 'big.csv' INTO TABLE li FIELDS TERMINATED BY ','",
    )) as [mysql.ResultSetHeader, unknown];
    await busy;
    expect(header.affectedRows).toBe(LINES);
    const check = await one(
      direct,
      'SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM li WHERE id >= 1000',
    );
    expect(check).toEqual({ n: LINES, lo: 1000, hi: 1000 + LINES - 1 });
    expect((await one(a, 'SELECT 1 AS after')).after).toBe(1);
  });
});

describe('packets over 16 MiB', () => {
  it('a row larger than one packet arrives whole, and so does a large parameter', async () => {
    const size = 16 * 1024 * 1024 - 8; // the row's payload is over 0xFFFFFF: two packets
    const a = await client();
    const r = await one(a, `SELECT REPEAT('x', ${size}) AS big, 'after' AS tail`);
    expect((r.big as string).length).toBe(size);
    expect(r.tail).toBe('after');
    const param = 'y'.repeat(5 * 1024 * 1024);
    const [out] = await a.execute('SELECT LENGTH(?) AS n', [param]);
    expect(Number((out as Row[])[0]!.n)).toBe(param.length);
  });
});

describe('COM_RESET_CONNECTION', () => {
  it('clears user variables, session variables, temporary tables, transactions, locks and pins', async () => {
    const a = await client();
    const defaultZone = (await one(a, `SELECT ${zone()} AS z`)).z;
    await a.query('SET @r = 1');
    await a.query("SET time_zone = '+01:00'");
    await a.query('CREATE TEMPORARY TABLE reset_tmp (x INT)');
    expect((await one(a, "SELECT GET_LOCK('reset_lock', 0) AS got")).got).toBe(1);
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO pt (v) VALUES ('reset-ghost')");
    expect(pinnedNow(fx)).toBeGreaterThan(0);

    await a.reset();

    expect(pinnedNow(fx)).toBe(0);
    expect(fx.proxy.stats().clients[0]!.pinned).toEqual([]);
    expect((await one(a, 'SELECT @r AS r')).r).toBeNull();
    expect((await one(a, `SELECT ${zone()} AS z`)).z).toBe(defaultZone);
    expect((await failure(a.query('SELECT * FROM reset_tmp'))).errno).toBe(1146);
    expect((await one(direct, "SELECT IS_FREE_LOCK('reset_lock') AS free")).free).toBe(1);
    expect(Number((await one(direct, "SELECT COUNT(*) AS n FROM pt WHERE v = 'reset-ghost'")).n)).toBe(0);
    expect(Number((await one(a, "SELECT COUNT(*) AS n FROM pt WHERE v = 'reset-ghost'")).n)).toBe(0);
  });

  it('a client holding no backend forgets its insert id and previous statement too', async () => {
    const a = await client();
    await a.query("INSERT INTO pt (v) VALUES ('reset-id')");
    await a.query('SELECT 1'); // ends the hold on the insert's backend: A holds none now
    expect(fx.proxy.stats().clients[0]!.pinned).toEqual([]);
    await a.reset();
    const d = await fx.direct();
    try {
      await d.query("INSERT INTO pt (v) VALUES ('reset-id-direct')");
      await d.reset();
      expect(Number((await one(a, 'SELECT LAST_INSERT_ID() AS id')).id)).toBe(
        Number((await one(d, 'SELECT LAST_INSERT_ID() AS id')).id),
      );
    } finally {
      await d.end();
    }
  });

  it('leaves nothing behind on any backend and keeps the default schema as MariaDB does', async () => {
    await direct.query('CREATE DATABASE IF NOT EXISTS reset_db');
    const a = await client();
    await a.query('USE reset_db');
    await a.query("SET time_zone = '+02:00'");
    await a.reset();
    // The oracle: the same steps straight at MariaDB.
    const d = await fx.direct();
    try {
      await d.query('USE reset_db');
      await d.reset();
      expect((await one(a, 'SELECT DATABASE() AS db')).db).toBe((await one(d, 'SELECT DATABASE() AS db')).db);
    } finally {
      await d.end();
    }
    // A is unpinned, and no backend keeps A's time zone for anyone else.
    const seen = await onEveryBackend(fx, POOL, `SELECT ${zone()} AS z`);
    expect(seen.map((s) => s.rows[0]!.z)).not.toContain('+02:00');
  });
});

describe('COM_CHANGE_USER', () => {
  it('clears the session like a new login, as the new user', async () => {
    const a = await client();
    const defaultZone = (await one(a, `SELECT ${zone()} AS z`)).z;
    await a.query('SET @cu = 1');
    await a.query("SET time_zone = '+04:00'");
    await a.query('START TRANSACTION');
    await a.query("INSERT INTO pt (v) VALUES ('change-user-ghost')");

    await a.changeUser({ user: OTHER_USER.name, password: OTHER_USER.password, database: 'test' });

    expect(fx.proxy.stats().clients.map((c) => c.user)).toEqual([OTHER_USER.name]);
    expect(pinnedNow(fx)).toBe(0);
    expect((await one(a, 'SELECT @cu AS v')).v).toBeNull();
    expect((await one(a, `SELECT ${zone()} AS z`)).z).toBe(defaultZone);
    expect(Number((await one(a, "SELECT COUNT(*) AS n FROM pt WHERE v = 'change-user-ghost'")).n)).toBe(0);
    expect(Number((await one(direct, "SELECT COUNT(*) AS n FROM pt WHERE v = 'change-user-ghost'")).n)).toBe(
      0,
    );
  });

  // Refused change-user attempts on one connection, then one with the right password; before
  // each, a user variable and an open transaction with a row in it; after each, what is left.
  async function refusedChangeUsers(c: mysql.Connection, user: { name: string; password: string }) {
    const outcomes: unknown[] = [];
    for (const password of ['wrong-1', 'wrong-2', 'wrong-3', 'wrong-4', user.password]) {
      await c.query('SET @cu = 1');
      await c.query('START TRANSACTION');
      await c.query("INSERT INTO pt (v) VALUES ('refused-change-user')");
      const err = await failure(c.changeUser({ user: user.name, password, database: 'test' }));
      const after = await one(c, 'SELECT @cu AS v, DATABASE() AS db, @@in_transaction AS t');
      outcomes.push({ refused: `${err.errno} ${err.sqlState}`, ...after });
    }
    return outcomes;
  }

  it('a wrong password is refused as MariaDB refuses it: 1045, the session reset, the login kept; 1047 after three', async () => {
    const viaProxy = await client();
    const viaMariadb = await connectAsBackendUser(fx);
    try {
      const proxied = await refusedChangeUsers(viaProxy, OTHER_USER);
      const reference = await refusedChangeUsers(viaMariadb, BACKEND_USER);
      // Each refusal comes after a reset: nothing of the session before it is left.
      const reset = { v: null, db: 'test', t: 0 };
      expect(reference).toEqual([
        { refused: '1045 28000', ...reset },
        { refused: '1045 28000', ...reset },
        { refused: '1045 28000', ...reset },
        { refused: '1047 08S01', ...reset },
        { refused: '1047 08S01', ...reset },
      ]);
      expect(proxied).toEqual(reference);
    } finally {
      await viaMariadb.end();
    }
    // Still logged in as before, its transaction rolled back; other clients carry on.
    expect(fx.proxy.stats().clients.map((c) => c.user)).toEqual([APP_USER.name]);
    expect(
      Number((await one(direct, "SELECT COUNT(*) AS n FROM pt WHERE v = 'refused-change-user'")).n),
    ).toBe(0);
    const b = await client();
    expect((await one(b, 'SELECT 1 AS one')).one).toBe(1);
  });
});

describe('COM_INIT_DB from the mariadb client', () => {
  it('`use` in the mariadb client switches the schema for its later statements', async () => {
    await direct.query('CREATE DATABASE IF NOT EXISTS init_db');
    await direct.query('CREATE TABLE IF NOT EXISTS init_db.marker (n INT)');
    await direct.query('INSERT INTO init_db.marker VALUES (41)');
    // Another client keeps the pool busy so the CLI's statements may land on either backend.
    const noise = await client();
    let stop = false;
    const busy = (async () => {
      while (!stop) await noise.query('SELECT 1');
    })();
    try {
      const { stdout } = await runCli([
        '-N',
        '-e',
        'use init_db; select database(), n + 1 from marker; select database(); select database(), n from marker',
      ]);
      expect(stdout.trim().split('\n')).toEqual(['init_db\t42', 'init_db', 'init_db\t41']);
    } finally {
      stop = true;
      await busy;
    }
  });
});

describe('COM_PING', () => {
  it('answers while every backend is held by others', async () => {
    const a = await client();
    const holders = await Promise.all([client(), client()]);
    for (const h of holders) await h.query('START TRANSACTION');
    await Promise.all(holders.map((h) => h.query('SELECT 1')));
    await a.ping();
    for (const h of holders) await h.query('ROLLBACK');
  });
});
