/**
 * A backend server whose connects keep failing is taken out of service for
 * `server_retry_timeout`: statements get ERR 9004 at once instead of each trying to connect.
 * After that time one statement tries again; a failure puts the server out for as long again, a
 * success brings it back. The clock is the only thing faked (Date, which the pool reads): the
 * connects, refusals and statements are real.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { createBackendUser } from './support/proxy-fixture.js';

const RETRY_MS = 10_000;
let mariadb: MariaDB;

beforeAll(async () => {
  mariadb = await startMariaDB();
  await createBackendUser(mariadb);
});

afterAll(async () => {
  await mariadb?.stop();
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => ({ errno: 0, message: 'ok' }),
    (e: { errno?: number; message: string }) => ({ errno: e.errno, message: e.message }),
  );

it('out after server_failure_limit failed connects, out again when the retry fails, back in once reachable', async () => {
  let proxy: Awaited<ReturnType<typeof startRelayedProxy>> | undefined;
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    // The proxy's start tries the server once: that is the first failure of three.
    proxy = await startRelayedProxy(
      mariadb,
      2,
      { server_failure_limit: 3, server_retry_timeout: `${RETRY_MS}ms` },
      { refuse: true },
    );
    const { fx, relay } = proxy;
    const inService = () => fx.proxy.stats().pools[0]!.healthy;
    const c: mysql.Connection = await fx.connect();
    c.on('error', () => {});
    expect(relay.accepted).toBe(1);
    for (const n of [2, 3]) {
      expect((await failureOf(c.query('SELECT 1'))).errno).toBe(9004);
      expect(relay.accepted).toBe(n);
    }
    expect(inService()).toBe(false);
    // Out of service: answered at once, nothing tries the server.
    const out = await failureOf(c.query('SELECT 1'));
    expect(out).toEqual({ errno: 9004, message: expect.stringMatching(/no backend server in service/) });
    expect(relay.accepted).toBe(3);

    // Past the retry timeout one statement tries; it fails, and the server is out again.
    vi.setSystemTime(Date.now() + RETRY_MS + 1);
    expect(inService()).toBe(true);
    expect((await failureOf(c.query('SELECT 1'))).errno).toBe(9004);
    expect(relay.accepted).toBe(4);
    expect(inService()).toBe(false);
    expect((await failureOf(c.query('SELECT 1'))).message).toMatch(/no backend server in service/);
    expect(relay.accepted).toBe(4);

    // Reachable again: the first statement after the timeout brings it back.
    relay.refuse = false;
    vi.setSystemTime(Date.now() + RETRY_MS + 1);
    expect((await c.query<mysql.RowDataPacket[]>('SELECT 2 AS two'))[0]).toEqual([{ two: 2 }]);
    expect(inService()).toBe(true);
    expect(relay.accepted).toBe(5);
    const other = await fx.connect();
    other.on('error', () => {});
    expect((await other.query<mysql.RowDataPacket[]>('SELECT 3 AS three'))[0]).toEqual([{ three: 3 }]);
    other.destroy();
    c.destroy();
    vi.useRealTimers(); // waitFor's deadline runs on Date
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the clients to be gone' });
  } finally {
    vi.useRealTimers();
    await proxy?.fx.stop();
    await proxy?.relay.stop();
  }
});
