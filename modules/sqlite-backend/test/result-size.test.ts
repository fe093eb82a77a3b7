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
    const err = await c.query(RANGE(100_000)).catch((e: { errno: number; message: string }) => e);
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
  const repo = join(import.meta.dirname, '../../..');
  const port = await freePort();
  const child = spawn(
    join(repo, 'node_modules/.bin/node'),
    [
      '--max-old-space-size=64',
      join(repo, 'packages/cli/dist/bin.js'),
      'run',
      'sqlite-backend',
      `--sqlite-backend.listen=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('started 2 modules') ? resolve() : undefined);
    child.stdout!.on('data', (d) => {
      out += d;
      check();
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    child.on('close', () => reject(new Error(`exited early: ${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await started;
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', rowsAsArray: true });
    try {
      const err = await c
        .query(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000) SELECT x FROM c',
        )
        .catch((e: { errno: number }) => e);
      expect(err).toMatchObject({ errno: 1104 });
      const [rows] = await c.query('SELECT 1');
      expect(rows).toEqual([[1]]);
    } finally {
      c.destroy();
    }
    expect(out).not.toMatch(/heap out of memory/);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});
