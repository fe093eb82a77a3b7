/**
 * A server that takes a request and never answers (frozen, partitioned, stuck behind a lock):
 * every exchange the proxy has with it on its own account — session set-up after login, the
 * idle ping, the check of its views — gives up after `connect_timeout` and closes that
 * connection, so no client waits for ever and no pool place stays taken. Each proxy reaches
 * MariaDB through a BackendRelay that holds back the bytes of the exchange under test.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { one } from './support/backends.js';
import { useOwnMariaDB } from './support/own-mariadb.js';
import type { ProxyFixture } from './support/proxy-fixture.js';

const mariadb = useOwnMariaDB();

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { errno?: number; message?: string }) => `${e.errno}: ${e.message}`,
  );

/** Runs `body` against its own relayed proxy; stops both afterwards, held bytes let go. */
async function withRelayedProxy(
  options: Record<string, unknown>,
  holdWhen: ((chunk: Buffer) => boolean) | undefined,
  body: (fx: ProxyFixture, relay: BackendRelay, clients: mysql.Connection[]) => Promise<void>,
): Promise<void> {
  const { fx, relay } = await startRelayedProxy(
    mariadb(),
    1,
    { connect_timeout: '1s', ...options },
    { holdWhen },
  );
  const clients: mysql.Connection[] = [];
  try {
    await body(fx, relay, clients);
  } finally {
    relay.holdWhen = undefined;
    relay.release();
    for (const c of clients) c.destroy();
    await fx.stop();
    await relay.stop();
  }
}

describe('a server that stops answering', () => {
  it('after login, during the session set-up: the statement gets ERR 9004 instead of waiting, the next one a new connection', () =>
    withRelayedProxy({}, undefined, async (fx, relay, clients) => {
      // A flavour with no connection yet; no login database, whose check would open one.
      const c = await fx.connect({ charset: 'LATIN1_SWEDISH_CI', database: undefined });
      clients.push(c);
      relay.holdWhen = (chunk) => chunk.toString('latin1').includes('session_track_system_variables');
      const first = outcome(one(c, 'SELECT 1 AS v'));
      await waitFor(() => relay.heldCount === 1, { what: 'the set-up query held' });
      // Given up after connect_timeout, with an error that says so; the next connection is fine
      // (the hold was one-off).
      expect(await first).toMatch(
        /^9004: .*connecting, login and session set-up timed out after 1000 ms \(connect_timeout\)/,
      );
      expect(await outcome(one(c, 'SELECT 2 AS v'))).toBe('ok');
    }));

  it('to an idle ping: the connection is closed and the pool opens another', () =>
    withRelayedProxy({ health_check_interval: '200ms' }, undefined, async (fx, relay, clients) => {
      const c = await fx.connect();
      clients.push(c);
      expect(await outcome(one(c, 'SELECT 1 AS v'))).toBe('ok');
      const PING = Buffer.from([1, 0, 0, 0, 0x0e]);
      relay.holdWhen = (chunk) => chunk.equals(PING);
      await waitFor(() => relay.heldCount === 1, { what: 'a ping held' });
      await waitFor(() => fx.proxy.stats().pools[0]!.open === 0, {
        what: 'the unanswered ping to close its connection',
      });
      expect(await outcome(one(c, 'SELECT 2 AS v'))).toBe('ok');
    }));

  it('to the check of its views at start: the proxy starts anyway, and serves', () =>
    withRelayedProxy(
      { view_check_interval: '1h' },
      (chunk) => chunk.toString('latin1').includes('information_schema.VIEWS'),
      async (fx, relay, clients) => {
        expect(relay.heldCount).toBe(1);
        const c = await fx.connect();
        clients.push(c);
        expect(await outcome(one(c, 'SELECT 1 AS v'))).toBe('ok');
      },
    ));
});
