import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackendServer } from '../src/index.js';
import { type Running, startBackend } from './support/start.js';

async function errorOf(p: Promise<unknown>): Promise<{ errno: number; sqlState: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { errno: number; sqlState: string; message: string };
    return { errno: e.errno, sqlState: e.sqlState, message: e.message };
  }
  throw new Error('expected the statement to fail');
}

function firstColumn(rows: mysql.RowDataPacket[]): unknown[] {
  return rows.map((r) => Object.values(r)[0]);
}

describe('USE x: unqualified names are x’s tables', () => {
  let backend: Running;
  let c: mysql.Connection;
  beforeAll(async () => {
    backend = await startBackend();
    c = await backend.connect();
  });
  afterAll(async () => {
    await c?.end();
    await backend?.stop();
  });

  it('CREATE TABLE after USE creates the table there: SHOW TABLES, SHOW CREATE TABLE and DESCRIBE find it', async () => {
    const s = await backend.connect();
    try {
      await s.query('CREATE DATABASE shop');
      await s.query('USE shop');
      await s.query('CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, total DECIMAL(10,2))');
      const [tables] = await s.query<mysql.RowDataPacket[]>('SHOW TABLES');
      expect(firstColumn(tables)).toEqual(['orders']);
      const [create] = await s.query<mysql.RowDataPacket[]>('SHOW CREATE TABLE orders');
      expect(create[0]!.Table).toBe('orders');
      const [described] = await s.query<mysql.RowDataPacket[]>('DESCRIBE orders');
      expect(firstColumn(described)).toEqual(['id', 'total']);
      const [inMain] = await s.query<mysql.RowDataPacket[]>('SHOW TABLES FROM main');
      expect(firstColumn(inMain)).not.toContain('orders');
    } finally {
      await s.end();
    }
  });

  it('reads and writes the session schema’s table when main has one of the same name', async () => {
    await c.query('CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))');
    await c.query("INSERT INTO items (v) VALUES ('in main')");
    const s = await backend.connect();
    try {
      await s.query('CREATE DATABASE store');
      await s.query('USE store');
      await s.query(
        'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) AUTO_INCREMENT=50',
      );
      const [ok] = await s.query<mysql.ResultSetHeader>("INSERT INTO items (v) VALUES ('in store')");
      expect(ok.insertId).toBe(50);
      await s.query("UPDATE items SET v = 'changed' WHERE id = 50");
      const [rows] = await s.query<mysql.RowDataPacket[]>(
        'SELECT i.v, (SELECT COUNT(*) FROM items) AS n FROM items i JOIN main.items m ON m.id = 1',
      );
      expect(rows).toEqual([{ v: 'changed', n: 1 }]);
      const [prepared] = await s.execute<mysql.RowDataPacket[]>('SELECT v FROM items WHERE id = ?', [50]);
      expect(prepared).toEqual([{ v: 'changed' }]);
      await s.query('DELETE FROM items');
      await s.query('CREATE VIEW recent AS SELECT id FROM items');
      await s.query('CREATE INDEX by_v ON items (v)');
      expect(firstColumn((await s.query<mysql.RowDataPacket[]>('SHOW TABLES'))[0])).toEqual([
        'items',
        'recent',
      ]);
      const [main] = await c.query<mysql.RowDataPacket[]>('SELECT v FROM items');
      expect(main).toEqual([{ v: 'in main' }]);
    } finally {
      await s.end();
    }
  });

  it('a temporary table still hides the schema’s table of its name, as in MySQL', async () => {
    const s = await backend.connect();
    try {
      await s.query('USE shop');
      await s.query('CREATE TEMPORARY TABLE orders (note VARCHAR(10))');
      await s.query("INSERT INTO orders VALUES ('temp')");
      const [rows] = await s.query<mysql.RowDataPacket[]>('SELECT * FROM orders');
      expect(rows).toEqual([{ note: 'temp' }]);
    } finally {
      await s.end();
    }
  });

  it('DROP TABLE of an unknown table is 1051/42S02 naming the session’s schema', async () => {
    expect(await errorOf(c.query('DROP TABLE no_such_table'))).toMatchObject({
      errno: 1051,
      sqlState: '42S02',
      message: "Unknown table 'main.no_such_table'",
    });
    const s = await backend.connect({ database: 'shop' });
    try {
      expect(await errorOf(s.query('DROP TABLE no_such_table'))).toMatchObject({
        errno: 1051,
        message: "Unknown table 'shop.no_such_table'",
      });
    } finally {
      await s.end();
    }
  });
});

describe('databases of a file-backed server', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-backend-schemas-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('DROP DATABASE deletes its file: CREATE DATABASE of the name again starts empty', async () => {
    const server = await startBackend({ database: join(dir, 'drop.db') });
    const s = await server.connect();
    try {
      await s.query('CREATE DATABASE app');
      await s.query('USE app');
      await s.query('CREATE TABLE t (x INT)');
      expect(existsSync(join(dir, 'app.sqlite'))).toBe(true);
      await s.query('DROP DATABASE app');
      expect(existsSync(join(dir, 'app.sqlite'))).toBe(false);
      const [db] = await s.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS db');
      expect(db).toEqual([{ db: null }]);
      await s.query('CREATE DATABASE app');
      const [rows] = await s.query<mysql.RowDataPacket[]>('SHOW TABLES FROM app');
      expect(rows).toEqual([]);
    } finally {
      await s.end();
      await server.stop();
    }
  });

  it('a database made with CREATE DATABASE is there again after a restart', async () => {
    const database = join(dir, 'restart.db');
    const first = await startBackend({ database });
    const s1 = await first.connect();
    await s1.query('CREATE DATABASE kept');
    await s1.query('CREATE TABLE kept.t (x INT)');
    await s1.query('INSERT INTO kept.t VALUES (1)');
    await s1.end();
    await first.stop();

    // Not a database: skipped (and logged), not a reason to refuse to start.
    writeFileSync(join(dir, 'junk.sqlite'), 'not a database, just text that is long enough to have a header');
    const second = await startBackend({ database });
    const s2 = await second.connect({ database: 'kept' });
    try {
      const [dbs] = await s2.query<mysql.RowDataPacket[]>('SHOW DATABASES');
      expect(firstColumn(dbs)).toContain('kept');
      expect(firstColumn(dbs)).not.toContain('junk');
      const [rows] = await s2.query<mysql.RowDataPacket[]>('SELECT x FROM t');
      expect(rows).toEqual([{ x: 1 }]);
    } finally {
      await s2.end();
      await second.stop();
    }
  });
});

describe('DROP DATABASE deletes only a file CREATE DATABASE made', () => {
  let dir: string;
  let outside: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-backend-files-'));
    outside = mkdtempSync(join(tmpdir(), 'sqlite-backend-outside-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('ATTACH, DETACH and VACUUM INTO from a client are 1235, and touch no file', async () => {
    const server = await startBackend({ database: join(dir, 'refuse.db') });
    const s = await server.connect();
    try {
      const victim = join(outside, 'precious.txt');
      writeFileSync(victim, 'not a database');
      for (const sql of [
        `ATTACH DATABASE '${victim}' AS v`,
        `ATTACH '${join(outside, 'new.sqlite')}' AS w`,
        `/*!40101 ATTACH '${join(outside, 'new.sqlite')}' AS w */`,
        'DETACH DATABASE main',
        `VACUUM INTO '${join(outside, 'copy.sqlite')}'`,
        `VACUUM main INTO '${join(outside, 'copy.sqlite')}'`,
      ]) {
        expect(await errorOf(s.query(sql)), sql).toMatchObject({ errno: 1235, sqlState: '42000' });
      }
      await s.query('DROP DATABASE IF EXISTS v');
      expect(existsSync(victim)).toBe(true);
      expect(existsSync(join(outside, 'new.sqlite'))).toBe(false);
      expect(existsSync(join(outside, 'copy.sqlite'))).toBe(false);
      await expect(s.execute('DETACH DATABASE main')).rejects.toMatchObject({ errno: 1235 });
    } finally {
      await s.end();
      await server.stop();
    }
  });

  it('a schema attached from any other file is only detached: not a file outside, not the main file, not in :memory:', async () => {
    const main = join(dir, 'attached.db');
    const victim = join(outside, 'victim.sqlite');
    new DatabaseSync(victim).exec('CREATE TABLE x (a INT)');
    for (const database of [main, ':memory:']) {
      // Attached by the server's own connection, as a client no longer can: what DROP DATABASE
      // deletes must not depend on how a schema got there.
      const server = await SqliteBackendServer.start({ listen: '127.0.0.1:0', database });
      const { address } = server;
      if (address.kind !== 'tcp') throw new Error('expected a TCP listener');
      const s = await mysql.createConnection({ host: '127.0.0.1', port: address.port, user: 'root' });
      try {
        server.database.db.exec(`ATTACH '${victim}' AS v`);
        if (database !== ':memory:') server.database.db.exec(`ATTACH '${main}' AS m2`);
        server.database.schemaChanged();
        await s.query('DROP DATABASE v');
        if (database !== ':memory:') await s.query('DROP DATABASE m2');
        const [dbs] = await s.query<mysql.RowDataPacket[]>('SHOW DATABASES');
        expect(firstColumn(dbs)).toEqual(['main']);
      } finally {
        await s.end();
        await server.close();
      }
      expect(existsSync(victim)).toBe(true);
      expect(existsSync(main)).toBe(true);
    }
  });

  it('another program’s <name>.sqlite beside the main file is not attached, dropped nor taken over by CREATE DATABASE', async () => {
    const other = new DatabaseSync(join(dir, 'app.sqlite'));
    other.exec('CREATE TABLE users (id INTEGER)');
    other.close();
    const server = await startBackend({ database: join(dir, 'dev.db') });
    const s = await server.connect();
    try {
      const [dbs] = await s.query<mysql.RowDataPacket[]>('SHOW DATABASES');
      expect(firstColumn(dbs)).toEqual(['main']);
      expect(await errorOf(s.query('DROP DATABASE app'))).toMatchObject({ errno: 1008 });
      expect(await errorOf(s.query('CREATE DATABASE app'))).toMatchObject({ errno: 1007 });
    } finally {
      await s.end();
      await server.stop();
    }
    const check = new DatabaseSync(join(dir, 'app.sqlite'));
    try {
      expect(check.prepare('PRAGMA application_id').get()).toEqual({ application_id: 0 });
      expect(check.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
    } finally {
      check.close();
    }
  });
});

describe('indexes an older build left under a renamed table’s old name', () => {
  it('CREATE TABLE … LIKE refuses a copy whose index name is taken, rather than leave its UNIQUE key out', async () => {
    const server = await SqliteBackendServer.start({ listen: '127.0.0.1:0', database: ':memory:' });
    const { address } = server;
    if (address.kind !== 'tcp') throw new Error('expected a TCP listener');
    const s = await mysql.createConnection({
      host: '127.0.0.1',
      port: address.port,
      user: 'root',
      database: 'main',
    });
    try {
      // An older build renamed `copied` (UNIQUE KEY u) to `kept` and left the index's name as it was.
      server.database.db.exec('CREATE TABLE kept (id INT)');
      server.database.db.exec('CREATE UNIQUE INDEX "copied.u" ON kept (id)');
      server.database.schemaChanged();
      await s.query('CREATE TABLE source (id INT, UNIQUE KEY u (id))');
      expect(await errorOf(s.query('CREATE TABLE copied LIKE source'))).toMatchObject({ errno: 1061 });
      const [tables] = await s.query<mysql.RowDataPacket[]>("SHOW TABLES LIKE 'copied'");
      expect(tables).toEqual([]);
    } finally {
      await s.end();
      await server.close();
    }
  });
});
