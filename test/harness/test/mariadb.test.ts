import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDB, startMariaDB, waitFor } from '../src/index.js';

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

  it('shows the end of its log at stop when the server exited by itself, and not after kill()', async () => {
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const crashed = await startMariaDB();
      const pid = crashed.pid;
      process.kill(pid, 'SIGKILL');
      await waitFor(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        { what: 'the killed server to be gone' },
      );
      await crashed.stop();
      const killed = await startMariaDB();
      await killed.kill();
      await killed.stop();
      const shown = writes.filter((w) => w.includes('exited by itself'));
      expect(shown).toHaveLength(1);
      expect(shown[0]).toContain(`MariaDB on port ${crashed.port} exited by itself`);
      // The log's own lines follow: the server's startup at least.
      expect(shown[0]).toMatch(/ready for connections/);
    } finally {
      process.stderr.write = write;
    }
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
