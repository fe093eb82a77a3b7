import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDB, startMariaDB } from '../src/index.js';

describe('startMariaDB', () => {
  let db: MariaDB;
  beforeAll(async () => {
    db = await startMariaDB({ maxConnections: 50, maxPreparedStmtCount: 100 });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('accepts a real mysql2 client with the root password on the test database', async () => {
    const conn = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    const [rows] = await conn.query(
      'SELECT DATABASE() AS db, @@max_connections AS mc, @@max_prepared_stmt_count AS mp',
    );
    await conn.end();
    expect(rows).toEqual([{ db: 'test', mc: 50, mp: 100 }]);
  });

  it('refuses a wrong password', async () => {
    await expect(
      mysql.createConnection({ host: db.host, port: db.port, user: 'root', password: 'wrong' }),
    ).rejects.toThrow(/Access denied/);
  });

  it('runs queries with parameters through query()', async () => {
    await db.query('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))');
    await db.query('INSERT INTO t VALUES (?, ?), (?, ?)', [1, 'one', 2, 'two']);
    expect(await db.query('SELECT name FROM t WHERE id = ?', [2])).toEqual([{ name: 'two' }]);
  });

  it('survives kill() and restart() with committed data', async () => {
    const before = db.pid;
    await db.kill();
    await expect(db.query('SELECT 1')).rejects.toThrow();
    await db.restart();
    expect(db.pid).not.toBe(before);
    expect(await db.query('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 2 }]);
  });

  it('removes its files on stop', async () => {
    const other = await startMariaDB();
    expect(existsSync(other.dataDir)).toBe(true);
    await other.stop();
    expect(existsSync(other.dataDir)).toBe(false);
    await expect(
      mysql.createConnection({ host: other.host, port: other.port, user: 'root' }),
    ).rejects.toThrow();
  });
});
