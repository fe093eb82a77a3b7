import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let backend: Running;

beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.stop();
});

it('a session innodb_lock_wait_timeout above 24.8 days still waits (MySQL allows up to 1073741824 s)', async () => {
  const holder: mysql.Connection = await backend.connect({ multipleStatements: true });
  const other = await backend.connect();
  try {
    await other.query('SET SESSION innodb_lock_wait_timeout = 3000000');
    await holder.query('CREATE TABLE lw (x INT)');
    await holder.query('BEGIN; INSERT INTO lw VALUES (1)');
    let settled: unknown;
    const write = other.query('INSERT INTO lw VALUES (2)').then(
      () => {
        settled = 'ok';
      },
      (e: { errno: number }) => {
        settled = e.errno;
      },
    );
    // Queued behind the transaction; before the fix it was refused with 1205 at once (setTimeout
    // fires after 1 ms when given more than 2^31-1).
    await waitFor(() => settled !== undefined || backend.metric('sqlite_backend_lock_waiters') === 1, {
      what: 'the write to queue or be answered',
    });
    await holder.query('COMMIT');
    await write;
    expect(settled).toBe('ok');
  } finally {
    await holder.end();
    await other.end();
  }
});
