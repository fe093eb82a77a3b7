/**
 * Backend failure paths found wanting in review: each test failed on the code before its fix.
 * Real MariaDB behind a relay that refuses or cuts connections.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { hold } from './support/backends.js';
import { useOwnMariaDB } from './support/own-mariadb.js';

const mariadb = useOwnMariaDB();

it('a statement waiting for a connection while its server is out of service is served once the retry time has come', async () => {
  // connect_timeout (also the longest wait for a busy connection) far beyond the retry time: the
  // statement must not wait for it, nor end with ERR 9004, while the server is back in service.
  const { fx, relay } = await startRelayedProxy(mariadb(), 2, {
    server_failure_limit: 1,
    server_retry_timeout: '300ms',
    connect_timeout: '20s',
  });
  try {
    const h = await hold(fx); // the start's connection is of another flavour: two are open now
    relay.refuse = true;
    const c = await fx.connect();
    c.on('error', () => {});
    // Its connect (after closing the idle connection of the other flavour) is refused: the server
    // is out of service, and the statement waits for the one connection open there, held by h.
    const started = Date.now();
    const answer = c.query<mysql.RowDataPacket[]>('SELECT 7 AS v').then(
      ([rows]) => rows,
      (e: { errno?: number; message: string }) => `${e.errno} ${e.message}`,
    );
    await waitFor(() => !fx.proxy.stats().pools[0]!.healthy, { what: 'the refused connect' });
    await waitFor(() => fx.proxy.stats().clients.some((s) => s.state === 'waiting'), {
      what: 'the statement waiting for a connection',
    });
    // The server takes connections again; at its retry time the waiting statement tries one.
    relay.refuse = false;
    expect(await answer).toEqual([{ v: 7 }]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fx.proxy.stats().pools[0]).toMatchObject({ healthy: true });
    await h.release();
    c.destroy();
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'every connection back' });
  } finally {
    await fx.stop();
    await relay.stop();
  }
});

it('a statement waiting for a busy connection gives up at connect_timeout, however often its server is retried meanwhile', async () => {
  // Each retry of the server (every 200 ms) fails again: the waiting statement's connect_timeout
  // counts from when it began to wait, not again from each failed retry.
  const { fx, relay } = await startRelayedProxy(mariadb(), 2, {
    server_failure_limit: 1,
    server_retry_timeout: '200ms',
    connect_timeout: '1500ms',
  });
  try {
    const h = await hold(fx);
    relay.refuse = true;
    const c = await fx.connect();
    c.on('error', () => {});
    const started = performance.now();
    const answer = c.query('SELECT 8 AS v').then(
      () => 'answered',
      (e: { errno?: number; message: string }) => e,
    );
    await waitFor(() => !fx.proxy.stats().pools[0]!.healthy, { what: 'the refused connect' });
    const accepted = relay.accepted;
    const outcome = await answer;
    const waited = performance.now() - started;
    expect(outcome).toMatchObject({ errno: 9004 });
    // The server was tried again meanwhile (by the waiting statement), and refused it each time.
    expect(relay.accepted).toBeGreaterThan(accepted);
    expect(waited).toBeLessThan(3000);
    await h.release();
    relay.refuse = false;
    c.destroy();
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'every connection back' });
  } finally {
    await fx.stop();
    await relay.stop();
  }
});
