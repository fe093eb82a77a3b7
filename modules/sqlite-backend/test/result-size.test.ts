import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

const RANGE = (n: number) =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ${n}) SELECT x, 'row ' || x AS label FROM c`;

let backend: Running;

beforeAll(async () => {
  backend = await startBackend({ max_result_size: '64KiB' });
});
afterAll(async () => {
  await backend?.stop();
});

it('refuses a result larger than max_result_size with ERR 1104, and the session carries on', async () => {
  const c = await backend.connect();
  try {
    const err = await c.query(RANGE(100_000)).catch((e: Error & { errno: number }) => e);
    expect(err).toMatchObject({ errno: 1104, sqlState: '42000' });
    expect((err as Error).message).toMatch(/max_result_size \(65536 bytes\)/);
    const [rows] = await c.query<mysql.RowDataPacket[]>(RANGE(3));
    expect(rows.map((r) => r.label)).toEqual(['row 1', 'row 2', 'row 3']);
    const prepared = await c.execute(`${RANGE(100_000)} WHERE x > ?`, [0]).then(
      () => 'rows',
      (e: { errno: number }) => e.errno,
    );
    expect(prepared).toBe(1104);
  } finally {
    await c.end();
  }
});

it('caps user variables: one at the value SQLite may make (1301), all sessions’ together at max_result_size (1041)', async () => {
  const c = await backend.connect();
  const d = await backend.connect();
  try {
    // 64 KiB: a value may take half of it.
    await expect(c.query("SET @big = printf('%.*c', 40000, 'x')")).rejects.toMatchObject({ errno: 1301 });
    await expect(c.query("DO length(printf('%.*c', 40000, 'x'))")).rejects.toMatchObject({ errno: 1301 });
    await c.query("SET @a = printf('%.*c', 12000, 'x'), @b = printf('%.*c', 12000, 'x')");
    await expect(d.query("SET @c = printf('%.*c', 12000, 'x')")).rejects.toMatchObject({ errno: 1041 });
    // Setting one again counts its new value instead of the old one.
    await c.query("SET @a = 'short'");
    await d.query("SET @c = printf('%.*c', 12000, 'x')");
    const [rows] = await d.query<mysql.RowDataPacket[]>('SELECT length(@c) AS n');
    expect(rows).toEqual([{ n: 12000 }]);
    // So is an assignment inside a statement.
    await expect(d.query("SELECT @f := printf('%.*c', 12000, 'x')")).rejects.toMatchObject({ errno: 1041 });
  } finally {
    await c.end();
  }
  // The ended session's variables are given back.
  try {
    await d.query("SET @e = printf('%.*c', 12000, 'x')");
  } finally {
    await d.end();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// Runs the CLI from packages/cli/dist, hence this module's dist/: `npm test` builds first.
it('by default a result larger than the heap is refused: the process does not abort', {
  timeout: 60_000,
}, async () => {
  // A 64 MB heap makes 2 million rows enough to show what 60 million rows do at the default heap
  // ("FATAL ERROR: Reached heap limit" in StatementSync.all: every client of the server, and of
  // the proxy beside it, lost its connection).
  const r = await survives(64, [
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000) SELECT x FROM c',
    'SELECT 1',
  ]);
  expect(r, r.log).toMatchObject({ alive: true, answers: [1104, [[1]]] });
  expect(r.log).not.toMatch(/heap out of memory/);
});

/**
 * The CLI running sqlite-backend alone with a `heapMb` heap; runs `statements` on one connection
 * (each answer: its rows, or its error number), then tells whether it still answers.
 */
async function survives(
  heapMb: number,
  statements: string[],
): Promise<{ alive: boolean; answers: unknown[]; log: string }> {
  const repo = join(import.meta.dirname, '../../..');
  const port = await freePort();
  const child = spawn(
    join(repo, 'node_modules/.bin/node'),
    [
      `--max-old-space-size=${heapMb}`,
      join(repo, 'packages/cli/dist/bin.js'),
      'run',
      'sqlite-backend',
      `--sqlite-backend.listen=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('started 2 modules')) resolve();
      });
      child.stderr!.on('data', (d) => {
        out += d;
      });
      child.on('close', () => reject(new Error(`exited early: ${out}`)));
    });
    const answers: unknown[] = [];
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', rowsAsArray: true });
    c.on('error', () => undefined);
    for (const sql of statements) {
      answers.push(
        await c.query(sql).then(
          ([rows]) => rows,
          (e: { errno?: number; code?: string }) => e.errno ?? e.code,
        ),
      );
    }
    c.destroy();
    const alive = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' }).then(
      async (x) => {
        await x.query('SELECT 1');
        x.destroy();
        return true;
      },
      () => false,
    );
    return { alive, answers, log: out.slice(-3000) };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const BIG = (n: number) => `printf('%.*c', ${n}, 'x')`;

// A 256 MiB heap: max_result_size 64 MiB. Each case aborted the process ("Reached heap limit").
it('one row of several large values is refused with 1104 before it is made', {
  timeout: 60_000,
}, async () => {
  const columns = Array.from({ length: 6 }, (_, k) => `${BIG(50_000_000)} AS c${k}`).join(', ');
  const r = await survives(256, [`SELECT ${columns}`]);
  expect(r, r.log).toMatchObject({ alive: true, answers: [1104] });
});

it('user variables holding large values are refused (1301), not kept until the heap is gone', {
  timeout: 60_000,
}, async () => {
  const r = await survives(
    256,
    Array.from({ length: 8 }, (_, k) => `SET @v${k} = ${BIG(50_000_000)}`),
  );
  expect(r, r.log).toMatchObject({ alive: true, answers: Array(8).fill(1301) });
});

it('a DECIMAL scale of 100 million is refused at CREATE (1425), not padded onto every value read', {
  timeout: 60_000,
}, async () => {
  const r = await survives(256, [
    'CREATE TABLE d (x DECIMAL(10,100000000))',
    'INSERT INTO d VALUES (1), (2), (3), (4), (5)',
    'SELECT x FROM d',
  ]);
  expect(r, r.log).toMatchObject({ alive: true, answers: [1425, 1146, 1146] });
});
