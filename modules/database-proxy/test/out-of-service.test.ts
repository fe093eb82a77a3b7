/**
 * A backend server whose connects keep failing is taken out of service for
 * `server_retry_timeout`: no statement tries to connect to it meanwhile. With no connection open
 * to it, statements get ERR 9004 at once; after that time one tries again, a failure puts the
 * server out for as long again, a success brings it back. A server that refuses only *more*
 * connections (at its max_user_connections) keeps serving on those it gave. The clock is the only
 * thing faked (Date, which the pool reads): connects, refusals and statements are real.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { expect, it, vi } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { failure, hold } from './support/backends.js';
import { useOwnMariaDB } from './support/own-mariadb.js';
import { startProxyFixture } from './support/proxy-fixture.js';

const RETRY_MS = 10_000;
const mariadb = useOwnMariaDB();

it('out after server_failure_limit failed connects, out again when the retry fails, back in once reachable', async () => {
  let proxy: Awaited<ReturnType<typeof startRelayedProxy>> | undefined;
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    // The proxy's start tries the server once: that is the first failure of three.
    proxy = await startRelayedProxy(
      mariadb(),
      2,
      { server_failure_limit: 3, server_retry_timeout: `${RETRY_MS}ms` },
      { refuse: true },
    );
    const { fx, relay } = proxy;
    const inService = () => fx.proxy.stats().pools[0]!.healthy;
    // No login database, whose check would be one more connect.
    const c: mysql.Connection = await fx.connect({ database: undefined });
    c.on('error', () => {});
    expect(relay.accepted).toBe(1);
    for (const n of [2, 3]) {
      expect((await failure(c.query('SELECT 1'))).errno).toBe(9004);
      expect(relay.accepted).toBe(n);
    }
    expect(inService()).toBe(false);
    // Out of service: answered at once, nothing tries the server.
    const out = await failure(c.query('SELECT 1'));
    expect(out.errno).toBe(9004);
    expect(out.message).toMatch(/no backend server in service/);
    expect(relay.accepted).toBe(3);
    // A health check's COM_PING (mariadb-admin ping) is not told the server is alive.
    const ping = await failure(c.ping());
    expect([ping.errno, ping.sqlState]).toEqual([9004, '08S01']);
    expect(ping.message).toMatch(/every backend server is out of service/);
    expect(relay.accepted).toBe(3);

    // Past the retry timeout one statement tries; it fails, and the server is out again.
    vi.setSystemTime(Date.now() + RETRY_MS + 1);
    expect(inService()).toBe(true);
    expect((await failure(c.query('SELECT 1'))).errno).toBe(9004);
    expect(relay.accepted).toBe(4);
    expect(inService()).toBe(false);
    const stillOut = await failure(c.query('SELECT 1'));
    expect(stillOut.errno).toBe(9004);
    expect(stillOut.message).toMatch(/no backend server in service/);
    expect(relay.accepted).toBe(4);

    // Reachable again: the first statement after the timeout brings it back.
    relay.refuse = false;
    vi.setSystemTime(Date.now() + RETRY_MS + 1);
    expect((await c.query<mysql.RowDataPacket[]>('SELECT 2 AS two'))[0]).toEqual([{ two: 2 }]);
    expect(inService()).toBe(true);
    await c.ping();
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

it('a server that takes no more connections (max_user_connections below N): statements wait for the ones it gave, none fails', async () => {
  await mariadb().query("CREATE USER 'capped'@'%' IDENTIFIED BY 'cappedpw' WITH MAX_USER_CONNECTIONS 2");
  await mariadb().query("GRANT ALL ON *.* TO 'capped'@'%'");
  const fx = await startProxyFixture({
    pool: 4,
    mariadb: mariadb(),
    createBackendUser: false,
    options: {
      backends: [
        {
          name: 'capped',
          address: `127.0.0.1:${mariadb().port}`,
          user: 'capped',
          password: 'cappedpw',
          pool: 4,
        },
      ],
      server_failure_limit: 1,
      server_retry_timeout: '1h',
    },
  });
  const settled = (p: Promise<[unknown, unknown]>) =>
    p.then(
      ([rows]) => rows,
      (e: { errno?: number; message: string }) => `${e.errno} ${e.message}`,
    );
  try {
    // The start's connection (its flavour is no client's) and one for h1: all the server gives
    // this user. h2's connect is refused; the idle start connection is closed to make room.
    const h1 = await hold(fx);
    const h2 = await hold(fx);
    expect(fx.proxy.stats().pools[0]).toMatchObject({ open: 2, idle: 0 });
    const c3 = await fx.connect();
    const third = settled(c3.query('SELECT 3 AS v'));
    // Its connect is refused (ER 1226): out of service for new connects...
    await waitFor(() => !fx.proxy.stats().pools[0]!.healthy, { what: 'the refused connect' });
    // ...while the statements wait for the connections the server did give.
    const c4 = await fx.connect();
    c4.on('error', () => {});
    void settled(c4.query('SELECT 4 AS v')); // never answered: c4 goes away first
    await waitFor(() => fx.proxy.stats().clients.filter((c) => c.state === 'waiting').length === 2, {
      what: 'both statements waiting',
    });
    // c4 gives up while it waits: the connection it is owed later goes back to the pool, once.
    c4.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === 3, { what: 'c4 to be gone' });
    await h1.release();
    expect(await third).toEqual([{ v: 3 }]);
    await h2.release();
    // Out of service for connects, in service on what is open; nothing held by anyone.
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'both connections back' });
    expect(fx.proxy.stats().pools[0]).toMatchObject({ healthy: false, open: 2, idle: 2 });
    const later = await fx.connect();
    expect((await later.query('SELECT 5 AS v'))[0]).toEqual([{ v: 5 }]);
    for (const c of [c3, later]) c.destroy();
  } finally {
    await fx.stop();
    await mariadb().query("DROP USER 'capped'@'%'");
  }
});

it('a statement waiting for a connection of a server out of service fails as soon as the last one is gone', async () => {
  const { fx, relay } = await startRelayedProxy(mariadb(), 2, {
    server_failure_limit: 1,
    server_retry_timeout: '1h',
  });
  try {
    const h = await hold(fx); // the start's connection is of another flavour: two are open now
    relay.refuse = true;
    const c = await fx.connect();
    c.on('error', () => {});
    const waiting = failure(c.query('SELECT 1'));
    await waitFor(() => !fx.proxy.stats().pools[0]!.healthy, { what: 'the refused connect' });
    await waitFor(() => fx.proxy.stats().clients.some((s) => s.state === 'waiting'), {
      what: 'the statement waiting for a connection',
    });
    // The server goes away with everything open to it: nothing is left to wait for.
    for (const s of relay.downs) s.destroy();
    const gone = await waiting;
    expect(gone.errno).toBe(9004);
    expect(gone.message).toMatch(/no backend server in service/);
    h.conn.destroy();
  } finally {
    await fx.stop();
    await relay.stop();
  }
});

it("one backend account's refused logins do not put the server out for everyone else", async () => {
  const { APP_USER, BACKEND_USER } = await import('./support/proxy-fixture.js');
  const fx = await startProxyFixture({
    pool: 2,
    mariadb: mariadb(),
    createBackendUser: false,
    options: {
      server_failure_limit: 2,
      connect_timeout: '500ms',
      users: [
        { name: APP_USER.name, password: APP_USER.password, max_connections: 50 },
        // A rotated password not yet in the proxy's configuration: the server refuses it.
        {
          name: 'stale',
          password: 'stale-pw',
          max_connections: 50,
          backend_user: BACKEND_USER.name,
          backend_password: 'not-the-password',
        },
      ],
    },
  });
  try {
    const stale = await fx.connect({ user: 'stale', password: 'stale-pw' });
    for (let i = 0; i < 4; i++) {
      const err = await failure(stale.query('SELECT 1'));
      expect(err.errno).toBe(9004);
      // The server's words name the backend account and the proxy's host: for the log only.
      expect(err.message).toMatch(
        /^Proxy: no backend server available: backend \S+ refused the proxy's login: 1045 \(the server's message is in the proxy's log\)$/,
      );
      expect(err.message).not.toContain(`'${BACKEND_USER.name}'@`);
    }
    expect(fx.proxy.stats().pools[0]!.healthy).toBe(true);
    // The other account's statements still get new connections: one holds a transaction, the
    // next needs a second connection.
    const holder = await hold(fx);
    const app = await fx.connect();
    const [rows] = await app.query('SELECT 2 AS two');
    expect(rows).toEqual([{ two: 2 }]);
    await holder.release();
    app.destroy();
    stale.destroy();
  } finally {
    await fx.stop();
  }
});

it('a client that leaves while its connection is still being opened keeps its slot until that connect ends', async () => {
  const { tenantMetrics } = await import('./support/qos-helpers.js');
  const { fx, relay } = await startRelayedProxy(mariadb(), 2, {});
  try {
    const holder = await hold(fx);
    const slots = () => tenantMetrics(fx, 'default');
    // The next connection's login (sequence id 1) is held: c1's statement waits for it.
    relay.holdWhen = (chunk) => chunk.length > 4 && chunk[3] === 1;
    const c1 = await fx.connect();
    c1.on('error', () => {});
    void c1.query('SELECT 1').catch(() => {});
    await waitFor(() => relay.heldCount === 1, { what: "c1's connection to send its login" });
    expect(slots().inFlight).toBe(2);
    const clients = fx.proxy.stats().clients.length;
    c1.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === clients - 1, { what: 'c1 to be gone' });
    // The connect it asked for is still under way and will be handed to it (then given back):
    // its slot is not free for a statement that would have no connection behind it.
    expect(slots().inFlight).toBe(2);
    const c2 = await fx.connect();
    const answer = c2.query('SELECT 2 AS two');
    await waitFor(() => slots().queued === 1, { what: "c2's statement to queue for a slot" });
    relay.release();
    expect((await answer)[0]).toEqual([{ two: 2 }]);
    await waitFor(() => slots().inFlight === 1, { what: 'only the holder to hold a slot' });
    await holder.release();
    c2.destroy();
  } finally {
    relay.release();
    await fx.stop();
    await relay.stop();
  }
});
