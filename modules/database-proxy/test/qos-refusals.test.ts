/**
 * Every QoS refusal through the proxy, with mysql2 against real MariaDB: the client gets the
 * documented ERR (code, SQL state, message) at once, and the same connection then runs
 * statements as before. Slots are held by clients inside transactions, which is deterministic:
 * a pinned session keeps its tenant's slot until the transaction ends.
 */
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics, watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 4;
let fx: ProxyFixture;

const USERS = [
  { name: 'app', password: 'secret', tenant: 'default' },
  { name: 'qf', password: 'qf', tenant: 'qfull' },
  { name: 'rl', password: 'rl', tenant: 'rated' },
  { name: 'qt', password: 'qt', tenant: 'slow' },
  { name: 'capu', password: 'capu', max_connections: 1 },
  { name: 'cu', password: 'cu', max_connections: 2 },
  { name: 'tc1', password: 'tc1', tenant: 'capped' },
  { name: 'tc2', password: 'tc2', tenant: 'capped' },
];
const TENANTS = [
  { name: 'qfull', max_in_flight: 1, max_queued: 1, queue_timeout: '30s' },
  // One token every 2 s, two at once: a third statement in quick succession is refused.
  { name: 'rated', rate: { per_second: 0.5, burst: 2 } },
  { name: 'slow', max_in_flight: 1, queue_timeout: '300ms' },
  { name: 'capped', max_connections: 2 },
];

const clients = trackedClients(() => fx);
const client = (user: string) => clients.client({ user, password: user === 'app' ? 'secret' : user });

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL, options: { users: USERS, tenants: TENANTS } });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

describe('QoS refusals through the proxy', () => {
  it('queue full: ERR 9002 at once, and the connection works afterwards', async () => {
    const holder = await client('qf');
    const waiting = await client('qf');
    const refused = await client('qf');
    await holder.query('START TRANSACTION');
    await holder.query('SELECT 1'); // the transaction takes its slot with its first statement
    expect(tenantMetrics(fx, 'qfull').inFlight).toBe(1);

    const queued = watch(one(waiting, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'qfull').queued === 1, { what: 'the second statement to queue' });

    const err = await failure(refused.query('SELECT 3 AS v'));
    expect(err.errno).toBe(9002);
    expect(err.sqlState).toBe('HY000');
    expect(err.message).toBe('Proxy: too many requests waiting for a backend (tenant qfull, limit 1)');
    expect(tenantMetrics(fx, 'qfull').rejected.queue_full).toBe(1);
    // The refusal took nothing from the statement that was already waiting.
    expect(queued.state).toBe('pending');

    await holder.query('COMMIT');
    expect(await queued.promise).toEqual({ v: 2 });
    expect(await one(refused, 'SELECT 3 AS v')).toEqual({ v: 3 });
    expect(await one(holder, 'SELECT 4 AS v')).toEqual({ v: 4 });
  });

  it('rate limited: ERR 9003 when the bucket is empty, and the connection works once it refills', async () => {
    const c = await client('rl');
    expect(await one(c, 'SELECT 1 AS v')).toEqual({ v: 1 });
    expect(await one(c, 'SELECT 2 AS v')).toEqual({ v: 2 });
    const err = await failure(c.query('SELECT 3 AS v'));
    expect(err.errno).toBe(9003);
    expect(err.sqlState).toBe('HY000');
    expect(err.message).toBe('Proxy: rate limit exceeded for tenant rated');
    expect(tenantMetrics(fx, 'rated').rejected.rate_limited).toBeGreaterThanOrEqual(1);

    // A token comes back within 2 s; refusals spend none, so polling does not starve itself.
    const row = await waitFor(() => one(c, 'SELECT 4 AS v'), {
      what: 'the rate limit to admit again',
      timeout: 10_000,
      interval: 250,
    });
    expect(row).toEqual({ v: 4 });
    expect(tenantMetrics(fx, 'rated').admitted).toBe(3);
  });

  it('queue timeout: ERR 9001 after queue_timeout, and the connection works afterwards', async () => {
    const holder = await client('qt');
    const c = await client('qt');
    await holder.query('START TRANSACTION');
    await holder.query('SELECT 1'); // the transaction takes its slot with its first statement
    const before = tenantMetrics(fx, 'slow').rejected.queue_timeout;
    const timeoutsBefore = fx.proxy.stats().counters.queueTimeouts;

    const err = await failure(c.query('SELECT 1 AS v'));
    expect(err.errno).toBe(9001);
    expect(err.sqlState).toBe('HY000');
    expect(err.message).toBe('Proxy: no backend connection free within 300 ms (tenant slow)');
    expect(tenantMetrics(fx, 'slow').rejected.queue_timeout).toBe(before + 1);
    expect(fx.proxy.stats().counters.queueTimeouts).toBe(timeoutsBefore + 1);
    expect(tenantMetrics(fx, 'slow').queued).toBe(0);

    await holder.query('ROLLBACK');
    expect(await one(c, 'SELECT 2 AS v')).toEqual({ v: 2 });
  });

  it("user's max_connections: ERR 1040 at login; the user's open connection keeps working", async () => {
    const first = await client('capu');
    const err = await failure(client('capu'));
    expect(err.errno).toBe(1040);
    expect(err.sqlState).toBe('08004');
    expect(err.message).toBe('Too many connections for user capu (limit 1)');
    expect(await one(first, 'SELECT 1 AS v')).toEqual({ v: 1 });

    await first.end();
    clients.forget(first);
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.user === 'capu'), {
      what: "capu's connection to close",
    });
    const again = await client('capu');
    expect(await one(again, 'SELECT 2 AS v')).toEqual({ v: 2 });
  });

  it("tenant's max_connections: ERR 1040 at login for any user of the tenant", async () => {
    const a = await client('tc1');
    const b = await client('tc2');
    expect(tenantMetrics(fx, 'capped').connections).toBe(2);
    const err = await failure(client('tc1'));
    expect(err.errno).toBe(1040);
    expect(err.sqlState).toBe('08004');
    expect(err.message).toBe('Too many connections for user tc1 (tenant capped) (limit 2)');
    expect(tenantMetrics(fx, 'capped').rejected.connection_limit).toBe(1);
    // The refused login left no count behind.
    expect(tenantMetrics(fx, 'capped').connections).toBe(2);
    expect(await one(a, 'SELECT 1 AS v')).toEqual({ v: 1 });
    expect(await one(b, 'SELECT 2 AS v')).toEqual({ v: 2 });

    await b.end();
    clients.forget(b);
    await waitFor(() => tenantMetrics(fx, 'capped').connections === 1, { what: "tc2's connection to close" });
    const c = await client('tc1');
    expect(await one(c, 'SELECT 3 AS v')).toEqual({ v: 3 });
  });

  it('COM_CHANGE_USER refused by a tenant cap closes that connection and frees exactly its count', async () => {
    const first = await client('cu');
    const second = await client('cu');
    await client('tc1');
    await client('tc2');
    const err = await failure(second.changeUser({ user: 'tc1', password: 'tc1' }));
    expect(err.errno).toBe(1040);
    expect(err.message).toBe('Too many connections for user tc1 (tenant capped) (limit 2)');
    await waitFor(() => fx.proxy.stats().clients.filter((c) => c.user === 'cu').length === 1, {
      what: 'the refused connection to close',
    });
    expect(await one(first, 'SELECT 1 AS v')).toEqual({ v: 1 });
    // cu holds one connection and may open one more: not two.
    await client('cu');
    const over = await failure(client('cu'));
    expect(over.errno).toBe(1040);
    expect(over.message).toBe('Too many connections for user cu (limit 2)');
  });
});
