// Handing the database from one transaction to the sessions waiting for it. The server runs in a
// worker thread: a server stuck in a synchronous loop would otherwise block this thread too, and
// the test would hang instead of failing.
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { type BackendThread, startBackendThread } from './support/thread.js';

/** `p`, or a rejection naming `what` once `ms` passed without it settling. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms}ms: the server froze`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

it('a woken session that runs a whole transaction at once hands the database on to the next one', async () => {
  const backend: BackendThread = await startBackendThread();
  const clients: mysql.Connection[] = [];
  try {
    const [a, b, c] = await Promise.all([
      backend.connect({ multipleStatements: true }),
      backend.connect({ multipleStatements: true }),
      backend.connect(),
    ]);
    clients.push(a!, b!, c!);
    await a!.query('CREATE TABLE counter (id INT PRIMARY KEY, v INT); INSERT INTO counter VALUES (1, 0)');
    await a!.query('BEGIN; UPDATE counter SET v = v + 1 WHERE id = 1');
    const bDone = b!.query('BEGIN; UPDATE counter SET v = v + 10 WHERE id = 1; COMMIT');
    await waitFor(async () => (await backend.metric('sqlite_backend_lock_waiters')) === 1, {
      what: 'B to queue',
    });
    const cDone = c!.query('UPDATE counter SET v = v + 100 WHERE id = 1');
    await waitFor(async () => (await backend.metric('sqlite_backend_lock_waiters')) === 2, {
      what: 'C to queue',
    });
    // B's COMMIT frees the database while C still waits.
    await a!.query('COMMIT');
    await within(Promise.all([bDone, cDone]), 10_000, "B's and C's statements");
    const [rows] = await a!.query<mysql.RowDataPacket[]>('SELECT v FROM counter WHERE id = 1');
    expect(rows).toEqual([{ v: 111 }]);
  } finally {
    for (const client of clients) client.destroy();
    await backend.stop();
  }
});
