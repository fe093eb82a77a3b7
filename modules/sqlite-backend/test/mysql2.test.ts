import { once } from 'node:events';
import {
  buildPing,
  buildQuery,
  buildQuit,
  CLIENT_QUERY_ATTRIBUTES,
  encodeFrames,
} from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, replyStream } from './support/raw.js';
import { type Mysql2Internals, type Running, startBackend } from './support/start.js';

let backend: Running;
let c: mysql.Connection;

beforeAll(async () => {
  backend = await startBackend();
  c = await backend.connect({ multipleStatements: true });
  await c.query(`
    CREATE TABLE people (
      id INT AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(20) NOT NULL UNIQUE,
      born DATE,
      seen DATETIME,
      score DOUBLE,
      small TINYINT,
      photo BLOB,
      note TEXT,
      ratio DECIMAL(10,2)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
});
afterAll(async () => {
  await c?.end();
  await backend?.stop();
});

async function errorOf(p: Promise<unknown>): Promise<{ errno: number; sqlState: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { errno: number; sqlState: string; message: string };
    return { errno: e.errno, sqlState: e.sqlState, message: e.message };
  }
  throw new Error('expected the statement to fail');
}

describe('COM_QUERY', () => {
  it('inserts with affected rows and insert ids, including escaped strings', async () => {
    const [r1] = await c.query<mysql.ResultSetHeader>(
      'INSERT INTO people (name, born, seen, score, small, photo, note, ratio) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        'O\'Brien \\ "x"\n',
        '1990-05-17',
        '2024-01-02 03:04:05',
        1.25,
        7,
        Buffer.from([0, 1, 255]),
        'ünïcode ✓',
        3.5,
      ],
    );
    expect(r1.affectedRows).toBe(1);
    expect(r1.insertId).toBe(1);
    const [r2] = await c.query<mysql.ResultSetHeader>("INSERT INTO people (name) VALUES ('b'), ('c')");
    expect(r2.affectedRows).toBe(2);
    // A multi-row INSERT reports its first id, as MySQL does.
    expect(r2.insertId).toBe(2);
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT LAST_INSERT_ID() AS id, ROW_COUNT() AS n');
    expect(rows[0]).toEqual({ id: 2, n: 2 });
  });

  it('returns MySQL types for declared and computed columns, and NULLs', async () => {
    const [rows, fields] = await c.query<mysql.RowDataPacket[]>(
      'SELECT id, name, born, seen, score, small, photo, note, ratio, 1 + 1 AS two, 0.5 AS half, NULL AS absent FROM people WHERE id = 1',
    );
    expect(rows[0]).toEqual({
      id: 1,
      name: 'O\'Brien \\ "x"\n',
      born: new Date(rows[0]!.born),
      seen: new Date(rows[0]!.seen),
      score: 1.25,
      small: 7,
      photo: Buffer.from([0, 1, 255]),
      note: 'ünïcode ✓',
      ratio: '3.50',
      two: 2,
      half: 0.5,
      absent: null,
    });
    const types = Object.fromEntries(fields.map((f) => [f.name, f.columnType]));
    expect(types).toEqual({
      id: 8, // LONGLONG: INT AUTO_INCREMENT became SQLite's INTEGER rowid
      name: 253, // VAR_STRING
      born: 10, // DATE
      seen: 12, // DATETIME
      score: 5, // DOUBLE
      small: 1, // TINY
      photo: 252, // BLOB
      note: 253,
      ratio: 246, // NEWDECIMAL
      two: 8, // LONGLONG
      half: 5,
      absent: 6, // NULL
    });
    const [nulls] = await c.query<mysql.RowDataPacket[]>(
      'SELECT born, seen, score, photo FROM people WHERE id = 2',
    );
    expect(nulls[0]).toEqual({ born: null, seen: null, score: null, photo: null });
  });

  it('reports changes of UPDATE and DELETE', async () => {
    const [u] = await c.query<mysql.ResultSetHeader>("UPDATE people SET score = 2 WHERE name IN ('b', 'c')");
    expect(u.affectedRows).toBe(2);
    expect(u.insertId).toBe(0);
    const [d] = await c.query<mysql.ResultSetHeader>("DELETE FROM people WHERE name = 'nobody'");
    expect(d.affectedRows).toBe(0);
  });

  it('maps SQLite errors to MySQL codes and SQL states', async () => {
    expect(await errorOf(c.query('SELEC 1'))).toMatchObject({ errno: 1064, sqlState: '42000' });
    expect(await errorOf(c.query('SELECT * FROM nope'))).toMatchObject({
      errno: 1146,
      sqlState: '42S02',
      message: "Table 'main.nope' doesn't exist",
    });
    expect(await errorOf(c.query('SELECT nope FROM people'))).toMatchObject({
      errno: 1054,
      sqlState: '42S22',
    });
    expect(await errorOf(c.query("INSERT INTO people (name) VALUES ('b')"))).toMatchObject({
      errno: 1062,
      sqlState: '23000',
    });
    expect(await errorOf(c.query('INSERT INTO people (name) VALUES (NULL)'))).toMatchObject({
      errno: 1048,
      sqlState: '23000',
      message: "Column 'name' cannot be null",
    });
    expect(await errorOf(c.query('CREATE TABLE people (x INT)'))).toMatchObject({
      errno: 1050,
      sqlState: '42S01',
    });
    await c.query(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (pid INT REFERENCES parent(id))',
    );
    expect(await errorOf(c.query('INSERT INTO child VALUES (42)'))).toMatchObject({
      errno: 1452,
      sqlState: '23000',
    });
    expect(await errorOf(c.query('SELECT @@no_such_variable'))).toMatchObject({ errno: 1193 });
    expect(await errorOf(c.query(''))).toMatchObject({ errno: 1065 });
    // The connection carries on after errors.
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM people');
    expect(rows[0]!.n).toBe(3);
  });

  it('runs multi-statements as SQLite parses them, stopping at the first error', async () => {
    const [results] = await c.query<mysql.RowDataPacket[][]>(
      "SELECT 'a;b' AS s; /* ; */ SELECT 2 AS n -- ;\n; INSERT INTO people (name) VALUES ('d');",
    );
    expect(results[0]).toEqual([{ s: 'a;b' }]);
    expect(results[1]).toEqual([{ n: 2 }]);
    expect((results[2] as unknown as mysql.ResultSetHeader).insertId).toBe(4);
    // A trigger body holds semicolons: SQLite's parser, not a split on ';', decides where it ends.
    await c.query(`
      CREATE TABLE audit (name TEXT);
      CREATE TRIGGER people_ai AFTER INSERT ON people BEGIN
        INSERT INTO audit VALUES (NEW.name); INSERT INTO audit VALUES (NEW.name || '!');
      END;
      INSERT INTO people (name) VALUES ('e')`);
    const [audit] = await c.query<mysql.RowDataPacket[]>('SELECT name FROM audit ORDER BY name');
    expect(audit.map((r) => r.name)).toEqual(['e', 'e!']);
    const err = await errorOf(
      c.query(
        "INSERT INTO people (name) VALUES ('f'); SELECT * FROM nope; INSERT INTO people (name) VALUES ('g')",
      ),
    );
    expect(err.errno).toBe(1146);
    const [fg] = await c.query<mysql.RowDataPacket[]>("SELECT name FROM people WHERE name IN ('f', 'g')");
    expect(fg).toEqual([{ name: 'f' }]);
  });

  it('refuses several statements when the client did not enable multi-statements', async () => {
    const single = await backend.connect();
    try {
      expect(await errorOf(single.query('SELECT 1; SELECT 2'))).toMatchObject({ errno: 1064 });
      const [rows] = await single.query<mysql.RowDataPacket[]>('SELECT 1 AS one;');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await single.end();
    }
  });
});

describe('prepared statements (execute)', () => {
  it('binds parameters of every kind and returns binary rows', async () => {
    const [rows, fields] = await c.execute<mysql.RowDataPacket[]>(
      'SELECT id, name, born, seen, score, photo, ? AS i, ? AS s, ? AS n, ? AS f, ? AS b FROM people WHERE id = ?',
      [9007199254740991, 'text', null, 2.5, Buffer.from('xy'), 1],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 1, score: 1.25, i: 9007199254740991, s: 'text', n: null, f: 2.5 });
    expect(rows[0]!.photo).toEqual(Buffer.from([0, 1, 255]));
    expect(rows[0]!.b).toEqual(Buffer.from('xy'));
    expect(rows[0]!.seen).toBeInstanceOf(Date);
    expect((rows[0]!.seen as Date).toISOString()).toBe(new Date(2024, 0, 2, 3, 4, 5).toISOString());
    // mysql2 sends numbers as DOUBLE parameters, so `? AS i` is a DOUBLE, as in MySQL.
    expect(fields.map((f) => f.columnType)).toEqual([8, 253, 10, 12, 5, 252, 5, 253, 6, 5, 252]);
  });

  it('executes DML with affected rows and insert id, re-executes, and reports errors', async () => {
    const [r] = await c.execute<mysql.ResultSetHeader>('INSERT INTO people (name, score) VALUES (?, ?)', [
      'p1',
      5,
    ]);
    expect(r.affectedRows).toBe(1);
    const [again] = await c.execute<mysql.ResultSetHeader>('INSERT INTO people (name, score) VALUES (?, ?)', [
      'p2',
      6,
    ]);
    expect(again.insertId).toBe(r.insertId + 1);
    expect(await errorOf(c.execute('INSERT INTO people (name) VALUES (?)', ['p1']))).toMatchObject({
      errno: 1062,
    });
    expect(await errorOf(c.execute('SELECT * FROM nope WHERE x = ?', [1]))).toMatchObject({ errno: 1146 });
    const [sum] = await c.execute<mysql.RowDataPacket[]>(
      'SELECT SUM(score) AS s FROM people WHERE name LIKE ?',
      ['p%'],
    );
    expect(sum[0]!.s).toBe(11);
  });

  it('prepares our own statements too (SHOW, SELECT @@var)', async () => {
    const [tables] = await c.execute<mysql.RowDataPacket[]>('SHOW TABLES');
    expect(tables.map((t) => t.Tables_in_main)).toEqual(['audit', 'child', 'parent', 'people']);
    const [v] = await c.execute<mysql.RowDataPacket[]>('SELECT @@session.auto_increment_increment AS inc');
    expect(v).toEqual([{ inc: 1 }]);
  });
});

describe('what clients and ORMs send', () => {
  it('answers the connect-time variables and functions', async () => {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT @@version, @@version_comment, @@max_allowed_packet, @@session.auto_increment_increment, DATABASE(), USER(), CONNECTION_ID() > 0 AS has_id',
    );
    expect(rows[0]).toEqual({
      '@@version': '8.0.36-scalestack-sqlite',
      '@@version_comment': expect.stringMatching(/^Scale Stack SQLite backend \(SQLite 3\.\d+\.\d+\)$/),
      '@@max_allowed_packet': 64 * 1024 * 1024,
      '@@session.auto_increment_increment': 1,
      'DATABASE()': 'main',
      'USER()': 'root@localhost',
      has_id: 1,
    });
    const [limited] = await c.query<mysql.RowDataPacket[]>('select @@version_comment limit 1');
    expect(Object.keys(limited[0]!)).toEqual(['@@version_comment']);
  });

  it('accepts SET in its forms and remembers session values', async () => {
    await c.query(
      "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, SESSION sql_mode = 'ANSI', @@session.wait_timeout = 600",
    );
    await c.query("SET @greeting = CONCAT('hi', ' ', 'there'), @n := 41 + 1, something_we_do_not_use = 'x'");
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT @@collation_connection AS col, @@sql_mode AS mode, @@wait_timeout AS wt, @@global.wait_timeout AS gwt, @greeting AS g, @n AS n, @unset AS u',
    );
    expect(rows[0]).toEqual({
      col: 'utf8mb4_unicode_ci',
      mode: 'ANSI',
      wt: 600,
      gwt: 28800,
      g: 'hi there',
      n: 42,
      u: null,
    });
    const [vars] = await c.query<mysql.RowDataPacket[]>("SHOW VARIABLES LIKE 'wait\\_timeout'");
    expect(vars).toEqual([{ Variable_name: 'wait_timeout', Value: '600' }]);
    await c.query('SET wait_timeout = DEFAULT');
    const [back] = await c.query<mysql.RowDataPacket[]>('SELECT @@wait_timeout AS wt');
    expect(back[0]!.wt).toBe(28800);
  });

  it('SET @@session.last_insert_id (what the proxy replays on another connection) is what LAST_INSERT_ID() reads', async () => {
    await c.query('SET @@session.last_insert_id = 42');
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT LAST_INSERT_ID() AS f, @@last_insert_id AS v, @@identity AS i',
    );
    expect(rows[0]).toEqual({ f: 42, v: 42, i: 42 });
    await c.query('SET last_insert_id = 7');
    const [seven] = await c.query<mysql.RowDataPacket[]>('SELECT LAST_INSERT_ID() AS f');
    expect(seven[0]!.f).toBe(7);
    await c.query('SET @@identity = 9007199254740993');
    const [big] = await c.query<mysql.RowDataPacket[]>('SELECT CAST(LAST_INSERT_ID() AS TEXT) AS f');
    expect(big[0]!.f).toBe('9007199254740993');
  });

  it('USE and COM_INIT_DB switch between main and attached databases; unknown ones are 1049', async () => {
    expect(await errorOf(c.query('USE nosuchdb'))).toMatchObject({ errno: 1049, sqlState: '42000' });
    expect(await errorOf(c.changeUser({ database: 'nosuchdb' }))).toMatchObject({ errno: 1049 });
    await c.query('CREATE DATABASE extra');
    const [dbs] = await c.query<mysql.RowDataPacket[]>('SHOW DATABASES');
    expect(dbs.map((d) => d.Database)).toEqual(['main', 'extra']);
    await c.query('USE extra; CREATE TABLE extra.things (x INT)');
    const [cur] = await c.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS d');
    expect(cur[0]!.d).toBe('extra');
    const [tables] = await c.query<mysql.RowDataPacket[]>('SHOW TABLES');
    expect(tables).toEqual([{ Tables_in_extra: 'things' }]);
    await c.query('USE main');
    const other = await backend.connect({ database: 'extra' });
    const [d2] = await other.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS d');
    expect(d2[0]!.d).toBe('extra');
    await other.end();
    expect(await errorOf(backend.connect({ database: 'nosuchdb' }))).toMatchObject({ errno: 1049 });
  });

  it('describes tables (SHOW COLUMNS / DESCRIBE / SHOW CREATE TABLE) and answers SHOW WARNINGS', async () => {
    const [cols] = await c.query<mysql.RowDataPacket[]>('DESCRIBE people');
    expect(cols.slice(0, 2)).toEqual([
      { Field: 'id', Type: 'int', Null: 'NO', Key: 'PRI', Default: null, Extra: 'auto_increment' },
      { Field: 'name', Type: 'varchar(20)', Null: 'NO', Key: 'UNI', Default: null, Extra: '' },
    ]);
    const [same] = await c.query<mysql.RowDataPacket[]>("SHOW COLUMNS FROM people LIKE 'na%'");
    expect(same).toEqual([cols[1]]);
    expect(await errorOf(c.query('DESCRIBE nope'))).toMatchObject({ errno: 1146 });
    const [create] = await c.query<mysql.RowDataPacket[]>('SHOW CREATE TABLE parent');
    expect(create[0]).toEqual({
      Table: 'parent',
      'Create Table':
        'CREATE TABLE `parent` (\n  `id` integer NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci',
    });
    const [warnings, fields] = await c.query<mysql.RowDataPacket[]>('SHOW WARNINGS');
    expect(warnings).toEqual([]);
    expect(fields.map((f) => f.name)).toEqual(['Level', 'Code', 'Message']);
  });

  it('pings, resets the connection and changes user', async () => {
    const other = await backend.connect();
    await other.ping();
    await other.query('SET @x = 1, autocommit = 0');
    await other.reset();
    const [rows] = await other.query<mysql.RowDataPacket[]>('SELECT @x AS x, @@autocommit AS ac');
    expect(rows[0]).toEqual({ x: null, ac: 1 });
    await other.query('SET @y = 2');
    await other.changeUser({ user: 'root', password: '' });
    const [after] = await other.query<mysql.RowDataPacket[]>('SELECT @y AS y, USER() AS u');
    expect(after[0]).toEqual({ y: null, u: 'root@localhost' });
    await other.end();
  });
});

describe('transactions', () => {
  it('reports IN_TRANS / AUTOCOMMIT in OK packets and commits or rolls back', async () => {
    const [begin] = await c.query<mysql.ResultSetHeader>('START TRANSACTION');
    expect(begin.serverStatus & 3).toBe(1 | 2);
    await c.query("INSERT INTO people (name) VALUES ('tx1')");
    const [rb] = await c.query<mysql.ResultSetHeader>('ROLLBACK');
    expect(rb.serverStatus & 3).toBe(2);
    await c.query("BEGIN; INSERT INTO people (name) VALUES ('tx2'); COMMIT");
    const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT name FROM people WHERE name LIKE 'tx%'");
    expect(rows).toEqual([{ name: 'tx2' }]);
  });

  it('autocommit=0 opens a transaction at the first write and keeps it until COMMIT', async () => {
    const [set] = await c.query<mysql.ResultSetHeader>('SET autocommit = 0');
    expect(set.serverStatus & 3).toBe(0);
    const [ins] = await c.query<mysql.ResultSetHeader>("INSERT INTO people (name) VALUES ('ac0')");
    expect(ins.serverStatus & 3).toBe(1);
    await c.query('ROLLBACK');
    const [gone] = await c.query<mysql.RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM people WHERE name = 'ac0'",
    );
    expect(gone[0]!.n).toBe(0);
    await c.query("INSERT INTO people (name) VALUES ('ac1')");
    // Turning autocommit back on commits, as in MySQL.
    const [on] = await c.query<mysql.ResultSetHeader>('SET autocommit = 1');
    expect(on.serverStatus & 3).toBe(2);
    const [kept] = await c.query<mysql.RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM people WHERE name = 'ac1'",
    );
    expect(kept[0]!.n).toBe(1);
  });

  it('serialises transactions: another session waits for COMMIT/ROLLBACK and never reads uncommitted rows', async () => {
    const other = await backend.connect();
    try {
      await c.query("BEGIN; INSERT INTO people (name) VALUES ('uncommitted')");
      const read = other.query<mysql.RowDataPacket[]>(
        "SELECT COUNT(*) AS n FROM people WHERE name = 'uncommitted'",
      );
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, { what: 'the read to queue' });
      await c.query('ROLLBACK');
      const [rows] = await read;
      expect(rows[0]!.n).toBe(0);
      expect(backend.metric('sqlite_backend_lock_waiters')).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('a session that disconnects mid-transaction is rolled back and frees the database', async () => {
    const other = await backend.connect({ multipleStatements: true });
    await other.query("BEGIN; INSERT INTO people (name) VALUES ('abandoned')");
    await other.end();
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM people WHERE name = 'abandoned'",
    );
    expect(rows[0]!.n).toBe(0);
  });

  it.each([
    ['COM_QUIT', () => encodeFrames(buildQuit(), 0)],
    ['a malformed packet', () => encodeFrames(buildPing(), 1)],
    ['KILL of itself', (query: (sql: string) => Buffer, id: number) => query(`KILL ${id}`)],
  ])(
    'a session that ends with %s mid-transaction is rolled back at once, though the client keeps its socket open',
    async (_, ending) => {
      const a = await login(backend.port, { allowHalfOpen: true });
      const b = await backend.connect();
      const query = (sql: string) =>
        encodeFrames(
          buildQuery(sql, { queryAttributes: (a.capabilities & CLIENT_QUERY_ATTRIBUTES) !== 0 }),
          0,
        );
      const fromA = replyStream(a.socket, a.decoder);
      const ended = once(a.socket, 'end');
      try {
        await b.query('CREATE TABLE IF NOT EXISTS quitter (who TEXT)');
        await b.query('DELETE FROM quitter');
        // A's client never closes its socket: were A still holding the database, B would get 1205.
        await b.query('SET innodb_lock_wait_timeout = 1');
        a.socket.write(Buffer.concat([query('BEGIN'), query("INSERT INTO quitter VALUES ('a')")]));
        expect((await fromA.next(2)).map((p) => p[0])).toEqual([0x00, 0x00]);
        a.socket.write(ending(query, a.connectionId));
        await ended;
        await b.query("INSERT INTO quitter VALUES ('b')");
        const [rows] = await b.query<mysql.RowDataPacket[]>('SELECT who FROM quitter');
        expect(rows.map((r) => r.who)).toEqual(['b']);
      } finally {
        a.socket.destroy();
        await b.end();
      }
    },
  );

  it("a transaction that ends mid-text does not let a waiting session's BEGIN capture the rest of the text", async () => {
    const a = await backend.connect({ multipleStatements: true });
    const b = await backend.connect({ multipleStatements: true });
    try {
      await a.query('CREATE TABLE handover (who TEXT)');
      await b.query('SET innodb_lock_wait_timeout = 1');
      await a.query("BEGIN; INSERT INTO handover VALUES ('a1')");
      const bBegin = b.query<mysql.ResultSetHeader>('BEGIN');
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, { what: 'B to queue' });
      const [results] = await a.query<mysql.ResultSetHeader[]>("COMMIT; INSERT INTO handover VALUES ('a2')");
      // a2 ran in autocommit, not inside B's transaction.
      expect(results[1]!.serverStatus & 1).toBe(0);
      const [begun] = await bBegin;
      expect(begun.serverStatus & 1).toBe(1);
      await b.query("INSERT INTO handover VALUES ('b1')");
      await b.query('ROLLBACK');
      const [rows] = await b.query<mysql.RowDataPacket[]>('SELECT who FROM handover ORDER BY who');
      expect(rows.map((r) => r.who)).toEqual(['a1', 'a2']);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('SELECT … FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE under autocommit=0 take the database, so no update is lost', async () => {
    const a = await backend.connect();
    const b = await backend.connect();
    try {
      await a.query('CREATE TABLE counter (id INT PRIMARY KEY, v INT)');
      await a.query('INSERT INTO counter VALUES (1, 0)');
      await a.query('SET autocommit = 0');
      let expected = 0;
      for (const lock of ['FOR UPDATE', 'FOR SHARE', 'LOCK IN SHARE MODE']) {
        const [[row]] = await a.query<mysql.RowDataPacket[]>(`SELECT v FROM counter WHERE id = 1 ${lock}`);
        const increment = b.query('UPDATE counter SET v = v + 10 WHERE id = 1');
        await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
          what: `B's UPDATE to wait for A's SELECT … ${lock}`,
        });
        await a.query('UPDATE counter SET v = ? WHERE id = 1', [row!.v + 1]);
        await a.query('COMMIT');
        await increment;
        expected += 11;
        const [[after]] = await b.query<mysql.RowDataPacket[]>('SELECT v FROM counter WHERE id = 1');
        expect(after!.v).toBe(expected);
      }
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('WITH … SELECT … FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE under autocommit=0 take the database too', async () => {
    const a = await backend.connect();
    const b = await backend.connect();
    try {
      await a.query('CREATE TABLE counter2 (id INT PRIMARY KEY, v INT)');
      await a.query('INSERT INTO counter2 VALUES (1, 0)');
      await a.query('SET autocommit = 0');
      let expected = 0;
      for (const lock of ['FOR UPDATE', 'FOR SHARE', 'LOCK IN SHARE MODE']) {
        const [[row]] = await a.query<mysql.RowDataPacket[]>(
          `WITH one AS (SELECT 1 AS id) SELECT v FROM counter2 JOIN one USING (id) ${lock}`,
        );
        const increment = b.query('UPDATE counter2 SET v = v + 10 WHERE id = 1');
        await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
          what: `B's UPDATE to wait for A's WITH … ${lock}`,
          timeout: 3000,
        });
        await a.query('UPDATE counter2 SET v = ? WHERE id = 1', [row!.v + 1]);
        await a.query('COMMIT');
        await increment;
        expected += 11;
        const [[after]] = await b.query<mysql.RowDataPacket[]>('SELECT v FROM counter2 WHERE id = 1');
        expect(after!.v).toBe(expected);
      }
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('a session that ends its transaction and pipelines a new BEGIN goes behind the session waiting for it', async () => {
    const a = await login(backend.port);
    const b = await backend.connect();
    const query = (sql: string) =>
      encodeFrames(buildQuery(sql, { queryAttributes: (a.capabilities & CLIENT_QUERY_ATTRIBUTES) !== 0 }), 0);
    const fromA = replyStream(a.socket, a.decoder);
    try {
      await b.query('CREATE TABLE fair (id INTEGER PRIMARY KEY, who TEXT)');
      await b.query('SET innodb_lock_wait_timeout = 2');
      a.socket.write(Buffer.concat([query('BEGIN'), query("INSERT INTO fair (who) VALUES ('a1')")]));
      expect((await fromA.next(2)).map((p) => p[0])).toEqual([0x00, 0x00]);
      const bBegin = b.query<mysql.ResultSetHeader>('BEGIN');
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, { what: 'B to queue' });
      // One write: the server has A's BEGIN in hand when its COMMIT frees the database.
      a.socket.write(
        Buffer.concat([query('COMMIT'), query('BEGIN'), query("INSERT INTO fair (who) VALUES ('a2')")]),
      );
      expect((await fromA.next(1))[0]![0]).toBe(0x00);
      const [begun] = await bBegin;
      expect(begun.serverStatus & 1).toBe(1);
      // A's BEGIN now waits for B's transaction.
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
        what: "A's BEGIN to queue",
      });
      await b.query("INSERT INTO fair (who) VALUES ('b1')");
      await b.query('COMMIT');
      const [aBegin, aInsert] = await fromA.next(2);
      expect([aBegin![0], aInsert![0]]).toEqual([0x00, 0x00]);
      a.socket.write(query('COMMIT'));
      expect((await fromA.next(1))[0]![0]).toBe(0x00);
      const [rows] = await b.query<mysql.RowDataPacket[]>('SELECT who FROM fair ORDER BY id');
      expect(rows.map((r) => r.who)).toEqual(['a1', 'b1', 'a2']);
    } finally {
      a.socket.destroy();
      await b.end();
    }
  });

  it('answers 1205 when the lock wait times out', async () => {
    const other = await backend.connect();
    try {
      await other.query('SET innodb_lock_wait_timeout = 1');
      await c.query("BEGIN; INSERT INTO people (name) VALUES ('long')");
      expect(await errorOf(other.query('SELECT 1'))).toMatchObject({ errno: 1205, sqlState: 'HY000' });
      await c.query('ROLLBACK');
      const [rows] = await other.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await other.end();
    }
  });
});

describe('OK packets', () => {
  it('report the first id of a multi-row INSERT, and 0 (LAST_INSERT_ID() unchanged) for a table without AUTO_INCREMENT', async () => {
    const conn = await backend.connect({ multipleStatements: true });
    try {
      await conn.query(
        'CREATE TABLE tagged (id INT AUTO_INCREMENT PRIMARY KEY, tag TEXT); CREATE TABLE plain (body TEXT); CREATE TABLE keyed (k INT PRIMARY KEY, body TEXT)',
      );
      const [many] = await conn.query<mysql.ResultSetHeader>(
        "INSERT INTO tagged (tag) VALUES ('a'), ('b'), ('c')",
      );
      expect(many).toMatchObject({ affectedRows: 3, insertId: 1 });
      const [more] = await conn.execute<mysql.ResultSetHeader>('INSERT INTO tagged (tag) VALUES (?), (?)', [
        'd',
        'e',
      ]);
      expect(more).toMatchObject({ affectedRows: 2, insertId: 4 });
      for (const table of ['plain (body)', 'keyed (k, body)']) {
        const values = table.startsWith('plain') ? "('x'), ('y')" : "(10, 'x'), (20, 'y')";
        const [noId] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO ${table} VALUES ${values}`);
        expect(noId).toMatchObject({ affectedRows: 2, insertId: 0 });
      }
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT LAST_INSERT_ID() AS id');
      expect(rows[0]!.id).toBe(4);
    } finally {
      await conn.end();
    }
  });

  it('report the last explicit id when every row gives its AUTO_INCREMENT value (LAST_INSERT_ID() unchanged), the first generated one otherwise', async () => {
    const conn = await backend.connect({ multipleStatements: true });
    try {
      await conn.query('CREATE TABLE explicit (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)');
      const lastInsertId = async () =>
        (await conn.query<mysql.RowDataPacket[]>('SELECT LAST_INSERT_ID() AS id'))[0][0]!.id;
      const insert = async (sql: string, params?: (string | number | null)[]) => {
        const [ok] =
          params === undefined
            ? await conn.query<mysql.ResultSetHeader>(sql)
            : await conn.execute<mysql.ResultSetHeader>(sql, params);
        return { affectedRows: ok.affectedRows, insertId: ok.insertId, lastInsertId: await lastInsertId() };
      };
      expect(await insert("INSERT INTO explicit (v) VALUES ('a')")).toEqual({
        affectedRows: 1,
        insertId: 1,
        lastInsertId: 1,
      });
      expect(await insert("INSERT INTO explicit (id, v) VALUES (10, 'b'), (5, 'c')")).toEqual({
        affectedRows: 2,
        insertId: 5,
        lastInsertId: 1,
      });
      expect(await insert("INSERT INTO explicit VALUES (20, 'd')")).toEqual({
        affectedRows: 1,
        insertId: 20,
        lastInsertId: 1,
      });
      expect(await insert('INSERT INTO explicit (id, v) VALUES (?, ?), (?, ?)', [30, 'e', 25, 'f'])).toEqual({
        affectedRows: 2,
        insertId: 25,
        lastInsertId: 1,
      });
      expect(await insert("INSERT INTO explicit (v) VALUES ('g'), ('h')")).toEqual({
        affectedRows: 2,
        insertId: 31,
        lastInsertId: 31,
      });
      expect(await insert("INSERT INTO explicit VALUES (NULL, 'i'), (null, 'j')")).toEqual({
        affectedRows: 2,
        insertId: 33,
        lastInsertId: 33,
      });
      expect(await insert('INSERT INTO explicit (id, v) VALUES (?, ?)', [null, 'k'])).toEqual({
        affectedRows: 1,
        insertId: 35,
        lastInsertId: 35,
      });
      expect(await insert('INSERT INTO explicit (id, v) VALUES (?, ?)', [40, 'l'])).toEqual({
        affectedRows: 1,
        insertId: 40,
        lastInsertId: 35,
      });
    } finally {
      await conn.end();
    }
  });

  it('follow the table when it is dropped and created again with or without a rowid key, also for prepared INSERTs and rolled-back DDL', async () => {
    const conn = await backend.connect({ multipleStatements: true });
    try {
      const viaQuery = async () =>
        (await conn.query<mysql.ResultSetHeader>("INSERT INTO reshaped (v) VALUES ('q')"))[0].insertId;
      const viaExecute = async () =>
        (await conn.execute<mysql.ResultSetHeader>('INSERT INTO reshaped (v) VALUES (?)', ['e']))[0].insertId;
      await conn.query('CREATE TABLE reshaped (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)');
      expect([await viaQuery(), await viaExecute()]).toEqual([1, 2]);
      await conn.query('DROP TABLE reshaped; CREATE TABLE reshaped (v TEXT)');
      expect([await viaQuery(), await viaExecute()]).toEqual([0, 0]);
      await conn.query(
        'DROP TABLE reshaped; CREATE TABLE reshaped (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)',
      );
      expect([await viaQuery(), await viaExecute()]).toEqual([1, 2]);
      // DDL rolled back: the table has its rowid key again.
      await conn.query('BEGIN; DROP TABLE reshaped; CREATE TABLE reshaped (v TEXT)');
      expect([await viaQuery(), await viaExecute()]).toEqual([0, 0]);
      await conn.query('ROLLBACK');
      expect([await viaQuery(), await viaExecute()]).toEqual([3, 4]);
    } finally {
      await conn.end();
    }
  });

  it('report ids above 2^53 exactly', async () => {
    const conn = await backend.connect({ supportBigNumbers: true, bigNumberStrings: true });
    try {
      await conn.query('CREATE TABLE huge (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
      await conn.query('INSERT INTO huge VALUES (9007199254740992, 0)');
      const [ok] = await conn.query<mysql.ResultSetHeader>('INSERT INTO huge (v) VALUES (1)');
      expect(String(ok.insertId)).toBe('9007199254740993');
    } finally {
      await conn.end();
    }
  });

  it('report 0 affected rows for statements that change no rows, whatever ran before', async () => {
    const conn = await backend.connect({ multipleStatements: true });
    try {
      await conn.query('CREATE TABLE churn (v INT)');
      const [results] = await conn.query<mysql.ResultSetHeader[]>(
        'INSERT INTO churn VALUES (1), (2), (3); CREATE TABLE churn2 (v INT); CREATE INDEX churn_v ON churn (v); ALTER TABLE churn2 ADD COLUMN w INT; DROP TABLE churn2',
      );
      expect(results.map((r) => r.affectedRows)).toEqual([3, 0, 0, 0, 0]);
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT ROW_COUNT() AS n');
      expect(rows[0]!.n).toBe(0);
    } finally {
      await conn.end();
    }
  });
});

describe('KILL', () => {
  it('KILL QUERY ends a wait for the database with 1317 without waiting itself; the victim carries on', async () => {
    const holder = await backend.connect({ multipleStatements: true });
    const victim = await backend.connect();
    const killer = await backend.connect();
    try {
      await killer.query('SET innodb_lock_wait_timeout = 1');
      await holder.query('CREATE TABLE kq (v INT)');
      await holder.query('BEGIN; INSERT INTO kq VALUES (1)');
      const waiting = errorOf(victim.query('SELECT COUNT(*) FROM kq'));
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
        what: 'the victim to queue',
      });
      await killer.query(`KILL QUERY ${victim.threadId}`);
      expect(await waiting).toMatchObject({ errno: 1317, sqlState: '70100' });
      expect(backend.metric('sqlite_backend_lock_waiters')).toBe(0);
      const after = victim.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM kq');
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
        what: 'the victim to queue again',
      });
      await holder.query('COMMIT');
      expect((await after)[0][0]!.n).toBe(1);
    } finally {
      await Promise.all([holder.end(), victim.end(), killer.end()]);
    }
  });

  it('KILL [CONNECTION] closes a connection and rolls back its open transaction; unknown ids are 1094', async () => {
    const holder = await backend.connect({ multipleStatements: true });
    const waiter = await backend.connect();
    const killer = await backend.connect();
    holder.on('error', () => {});
    waiter.on('error', () => {});
    try {
      await killer.query('SET innodb_lock_wait_timeout = 1');
      await holder.query('CREATE TABLE kc (v INT)');
      await holder.query('BEGIN; INSERT INTO kc VALUES (1)');
      const waiting = errorOf(waiter.query('SELECT 1'));
      await waitFor(() => backend.metric('sqlite_backend_lock_waiters') === 1, {
        what: 'the waiter to queue',
      });
      await killer.query(`KILL CONNECTION ${waiter.threadId}`);
      expect(await waiting).toMatchObject({ errno: undefined });
      await killer.query(`KILL ${holder.threadId}`);
      const [rows] = await killer.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM kc');
      expect(rows[0]!.n).toBe(0);
      expect(await errorOf(holder.query('SELECT 1'))).toMatchObject({ errno: undefined });
      expect(await errorOf(killer.query('KILL 999999'))).toMatchObject({
        errno: 1094,
        sqlState: 'HY000',
        message: 'Unknown thread id: 999999',
      });
    } finally {
      await killer.end();
    }
  });

  it("a KILL that fails while another session holds the database does not take over that session's transaction", async () => {
    const holder = await backend.connect({ multipleStatements: true });
    const killer = await backend.connect();
    try {
      await holder.query('SET innodb_lock_wait_timeout = 1');
      await killer.query('SET innodb_lock_wait_timeout = 5');
      await holder.query('CREATE TABLE kt (who TEXT)');
      await holder.query("BEGIN; INSERT INTO kt VALUES ('holder')");
      expect(await errorOf(killer.query('KILL 999999'))).toMatchObject({ errno: 1094 });
      expect(await errorOf(killer.query('KILL NULL'))).toMatchObject({ errno: 1094 });
      expect(await errorOf(killer.query('KILL nosuchcol'))).toMatchObject({ errno: 1054 });
      // The killer's INSERT waits for the holder's transaction instead of running inside it.
      const killerInsert = killer.query<mysql.ResultSetHeader>("INSERT INTO kt VALUES ('killer')");
      const [more] = await holder.query<mysql.ResultSetHeader>("INSERT INTO kt VALUES ('holder2')");
      expect(more.serverStatus & 1).toBe(1);
      const [rolledBack] = await holder.query<mysql.ResultSetHeader>('ROLLBACK');
      expect(rolledBack.serverStatus & 1).toBe(0);
      const [inserted] = await killerInsert;
      expect(inserted.serverStatus & 1).toBe(0);
      const [rows] = await holder.query<mysql.RowDataPacket[]>('SELECT who FROM kt');
      expect(rows.map((r) => r.who)).toEqual(['killer']);
    } finally {
      await Promise.all([holder.end(), killer.end()]);
    }
  });
});

describe('KILL of its own connection', () => {
  it('answers OK, then closes', async () => {
    const self = await backend.connect();
    const closed = new Promise<void>((resolve) =>
      (self as unknown as Mysql2Internals).connection.stream.once('close', () => resolve()),
    );
    self.on('error', () => {});
    const [ok] = await self.query<mysql.ResultSetHeader>(`KILL CONNECTION ${self.threadId}`);
    expect(ok.affectedRows).toBe(0);
    await closed;
  });
});

describe('FOUND_ROWS()', () => {
  it('after SELECT SQL_CALC_FOUND_ROWS … LIMIT counts the rows without the LIMIT; otherwise the rows sent', async () => {
    const conn = await backend.connect({ multipleStatements: true });
    try {
      await conn.query('CREATE TABLE found (v INT); INSERT INTO found VALUES (1), (2), (3), (4), (5)');
      const [calc] = await conn.query<mysql.RowDataPacket[][]>(
        'SELECT SQL_CALC_FOUND_ROWS v FROM found WHERE v > 1 ORDER BY v LIMIT 1, 2; SELECT FOUND_ROWS() AS n',
      );
      expect(calc[0]!.map((r) => r.v)).toEqual([3, 4]);
      expect(calc[1]).toEqual([{ n: 4 }]);
      const [plain] = await conn.query<mysql.RowDataPacket[][]>(
        'SELECT v FROM found LIMIT 2; SELECT FOUND_ROWS() AS n',
      );
      expect(plain[1]).toEqual([{ n: 2 }]);
      const [prepared] = await conn.execute<mysql.RowDataPacket[]>(
        'SELECT SQL_CALC_FOUND_ROWS v FROM found WHERE v > ? LIMIT ?',
        [2, '1'],
      );
      expect(prepared).toHaveLength(1);
      const [n] = await conn.query<mysql.RowDataPacket[]>('SELECT FOUND_ROWS() AS n');
      expect(n).toEqual([{ n: 3 }]);
    } finally {
      await conn.end();
    }
  });
});

describe('COM_CHANGE_USER', () => {
  it('closes the connection after a failed change (wrong password), as MySQL does', async () => {
    const conn = await backend.connect();
    conn.on('error', () => {});
    const closed = new Promise<void>((resolve) =>
      (conn as unknown as Mysql2Internals).connection.stream.once('close', () => resolve()),
    );
    await conn.query('SET @kept = 1');
    expect(await errorOf(conn.changeUser({ user: 'root', password: 'wrong' }))).toMatchObject({
      errno: 1045,
      sqlState: '28000',
    });
    expect(await errorOf(conn.query('SELECT @kept AS kept, USER() AS u'))).toMatchObject({
      errno: undefined,
    });
    await closed;
  });
});
