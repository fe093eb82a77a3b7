/**
 * The QoS slots follow the backend servers in service. With one of two servers out, its slots
 * go with it: a statement queues fairly, up to its queue_timeout, for the server still in
 * service, rather than take a slot no connection can back and fail with 9004 after
 * connect_timeout. With every server out the slots stay, so statements fail at once (9004)
 * rather than wait out their queue_timeout; once the server is back everything works and no
 * count was left behind.
 *
 * This file owns its MariaDB (the fixture's) and kills it: that test runs last.
 */
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendRelay } from './support/backend-relay.js';
import { failure, one } from './support/backends.js';
import { backendAt, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics, watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;

const USERS = [
  { name: 'app', password: 'secret', tenant: 'default' },
  { name: 'capped', password: 'capped', tenant: 'capped' },
];
const TENANTS = [{ name: 'capped', max_in_flight: 1, queue_timeout: '30s' }];

const clients = trackedClients(() => fx);
const client = (user = 'app') => clients.client({ user, password: user === 'app' ? 'secret' : user });

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: 2,
    options: {
      users: USERS,
      tenants: TENANTS,
      server_failure_limit: 1,
      server_retry_timeout: '300ms',
      connect_timeout: '2s',
    },
  });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

describe('one of two servers out of service', () => {
  it('its slots go with it: a statement queues for the other server instead of failing with 9004', async () => {
    const backend = (name: string, port: number) => backendAt(name, `127.0.0.1:${port}`, 1);
    // db2 takes no connections: out of service from the proxy's start.
    const refusing = new BackendRelay(fx.mariadb.port);
    refusing.refuse = true;
    await refusing.start();
    const two = await startProxyFixture({
      mariadb: fx.mariadb,
      options: {
        backends: [backend('db1', fx.mariadb.port), backend('db2', refusing.port)],
        server_failure_limit: 1,
        server_retry_timeout: '1h',
        connect_timeout: '500ms',
        queue_timeout: '10s',
      },
    });
    const twoClients = trackedClients(() => two);
    try {
      const holder = await twoClients.client();
      const next = await twoClients.client();
      await holder.query('START TRANSACTION');
      await holder.query('SELECT 1'); // the transaction takes db1's only connection and a slot
      await waitFor(() => two.proxy.stats().pools[1]!.healthy === false, { what: 'db2 out of service' });
      const queued = watch(one(next, 'SELECT 2 AS v'));
      await waitFor(() => queued.state !== 'pending' || tenantMetrics(two, 'default').queued === 1, {
        what: 'the statement to queue for a slot (or fail)',
      });
      // Granted db2's slot instead, it would wait for a connection and fail after connect_timeout.
      expect(queued.error?.message).toBeUndefined();
      expect(two.proxy.stats().waiting).toBe(1);
      await holder.query('COMMIT');
      expect(await queued.promise).toEqual({ v: 2 });
    } finally {
      await twoClients.closeAll();
      await two.stop();
      await refusing.stop();
    }
  });
});

describe('every server out of service (the server killed)', () => {
  it('the slots stay: a queued statement fails at once with 9004, nothing is left counted, all works once back', async () => {
    const holder = await client('capped');
    const next = await client('capped');
    const idle = await client();
    await one(idle, 'SELECT 1 AS warm');
    await holder.query('START TRANSACTION');
    await holder.query('SELECT 1'); // the transaction takes the tenant's only slot
    const before = fx.proxy.stats().counters;
    const queued = watch(next.query('SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'capped').queued === 1, { what: 'the statement to queue' });

    await fx.mariadb.kill();
    // The holder's transaction is lost and it is closed; the queued statement gets the slot,
    // and no connection: answered well within its 30 s queue_timeout.
    await waitFor(() => queued.state !== 'pending', {
      what: 'the queued statement answered',
      timeout: 10_000,
    });
    expect(queued.error?.errno).toBe(9004);
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === holder.threadId), {
      what: 'the holder closed',
    });
    clients.forget(holder);
    const s = fx.proxy.stats();
    expect(tenantMetrics(fx, 'capped')).toMatchObject({ queued: 0, inFlight: 0 });
    expect(tenantMetrics(fx, 'default')).toMatchObject({ queued: 0, inFlight: 0 });
    expect(s.waiting).toBe(0);
    expect(s.pools[0]).toMatchObject({ busy: 0, open: 0 });
    expect(s.clients.map((c) => c.state)).toEqual(['idle', 'idle']);
    expect(s.pinnedNow.transaction).toBe(0);
    // Neither statement reached a server.
    expect(s.counters.queries).toBe(before.queries);
    expect((await failure(idle.query('SELECT 3'))).errno).toBe(9004);

    await fx.mariadb.restart();
    const row = await waitFor(() => one(idle, 'SELECT 4 AS v').catch(() => undefined), {
      what: 'the server back in service',
      timeout: 15_000,
    });
    expect(row).toEqual({ v: 4 });
    expect(await one(next, 'SELECT 5 AS v')).toEqual({ v: 5 });
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 0, { what: 'every connection back in the pool' });
    expect(tenantMetrics(fx, 'capped').inFlight).toBe(0);
  });
});
