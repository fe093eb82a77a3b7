/**
 * mysql2 clients through the proxy that a test file opens and the next afterEach closes: each is
 * watched for protocol warnings, and the proxy must be left without clients between tests.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { expect } from 'vitest';
import { takeProtocolWarnings, watchProtocol } from './protocol-warnings.js';
import type { ProxyFixture } from './proxy-fixture.js';

export interface TrackedClients {
  /** A new client through the proxy (its socket errors are swallowed: tests destroy some). */
  client(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  /** Stops tracking a client the test closed itself. */
  forget(conn: mysql.Connection): void;
  /** Ends every tracked client now (for a test that needs them gone before it goes on). */
  endAll(): Promise<void>;
  /** For afterEach: ends every client, waits until the proxy has none, checks the warnings. */
  closeAll(): Promise<void>;
}

/** @param fixture the file's fixture, read when a client is made (it starts in beforeAll) */
export function trackedClients(fixture: () => ProxyFixture): TrackedClients {
  const open: mysql.Connection[] = [];
  return {
    async client(options) {
      const c = await fixture().connect(options);
      watchProtocol(c);
      c.on('error', () => {});
      open.push(c);
      return c;
    },
    forget(conn) {
      const i = open.indexOf(conn);
      if (i >= 0) open.splice(i, 1);
    },
    async endAll() {
      await Promise.all(open.splice(0).map((c) => c.end()));
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((c) => c.end().catch(() => c.destroy())));
      await waitFor(() => fixture().proxy.stats().clients.length === 0, {
        what: 'every client to leave the proxy',
      });
      expect(takeProtocolWarnings(), 'mysql2 protocol warnings').toEqual([]);
    },
  };
}
