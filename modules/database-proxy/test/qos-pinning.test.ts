/**
 * Pinned sessions hold their tenant's slots: a client inside a transaction (or holding a user
 * variable) keeps its backend *and* its QoS slot, so with `max_in_flight: 1` the tenant's next
 * client waits (and times out) while other tenants are served from the same pool. Also the
 * per-tenant QoS metrics in the kernel's registry.
 */
import type { MetricFamily } from '@scalestack/kernel';
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
  { name: 'ua', password: 'ua', tenant: 'a' },
  { name: 'us', password: 'us', tenant: 'short' },
  { name: 'ub', password: 'ub', tenant: 'b' },
  { name: 'um', password: 'um', tenant: 'm' },
];
const TENANTS = [
  { name: 'a', max_in_flight: 1, queue_timeout: '30s' },
  { name: 'short', max_in_flight: 1, queue_timeout: '300ms' },
  { name: 'b', weight: 3 },
  { name: 'm', max_in_flight: 1, max_queued: 1, queue_timeout: '30s' },
];

const clients = trackedClients(() => fx);
const client = (user: string) => clients.client({ user, password: user === 'app' ? 'secret' : user });

beforeAll(async () => {
  // Results are held for a next statement long enough that no test races the hold's end.
  fx = await startProxyFixture({
    pool: POOL,
    options: { users: USERS, tenants: TENANTS, result_hold: '30s' },
  });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

describe('pinned sessions count against their tenant', () => {
  it("a transaction holds the tenant's only slot: its next client waits while another tenant runs", async () => {
    const a1 = await client('ua');
    const a2 = await client('ua');
    const b1 = await client('ub');
    const admittedBefore = tenantMetrics(fx, 'a').admitted;
    await a1.query('START TRANSACTION');
    await a1.query('SELECT 1'); // the transaction takes its slot with its first statement
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    expect(tenantMetrics(fx, 'a').inFlight).toBe(1);

    const second = watch(one(a2, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'a').queued === 1, { what: "a's second client to queue" });

    // The pool has free backends: tenant b is served at once, and the pinned client keeps
    // running on its own backend without asking for another slot.
    expect(await one(b1, 'SELECT 3 AS v')).toEqual({ v: 3 });
    expect(await one(a1, 'SELECT 4 AS v')).toEqual({ v: 4 });
    expect(second.state).toBe('pending');
    expect(tenantMetrics(fx, 'a')).toMatchObject({ inFlight: 1, queued: 1, admitted: admittedBefore + 1 });

    await a1.query('COMMIT');
    expect(await second.promise).toEqual({ v: 2 });
    expect(tenantMetrics(fx, 'a')).toMatchObject({ inFlight: 0, queued: 0, admitted: admittedBefore + 2 });
  });

  it('a user-variable pin holds the slot too: the next client times out (9001), then runs once it is gone', async () => {
    const s1 = await client('us');
    const s2 = await client('us');
    const b1 = await client('ub');
    await s1.query('SET @mine = 42');
    expect(fx.proxy.stats().pinnedNow.user_variable).toBe(1);
    expect(tenantMetrics(fx, 'short').inFlight).toBe(1);

    const waited = watch(s2.query('SELECT 1'));
    await waitFor(() => tenantMetrics(fx, 'short').queued === 1 || waited.state !== 'pending', {
      what: 'the second client to queue',
    });
    expect(await one(b1, 'SELECT 5 AS v')).toEqual({ v: 5 });
    const err = await failure(waited.promise);
    expect(err.errno).toBe(9001);
    expect(err.message).toBe('Proxy: no backend connection free within 300 ms (tenant short)');
    expect(await one(s1, 'SELECT @mine AS v')).toEqual({ v: 42 });

    await s1.end();
    clients.forget(s1);
    await waitFor(() => tenantMetrics(fx, 'short').inFlight === 0, { what: "the pinned client's slot back" });
    expect(await one(s2, 'SELECT 6 AS v')).toEqual({ v: 6 });
  });
});

describe('per-tenant QoS metrics in the kernel registry', () => {
  /** The sample of `family` whose labels include `labels`. */
  function sample(families: MetricFamily[], family: string, labels: Record<string, string>): number {
    const f = families.find((x) => x.name === family);
    if (f === undefined) throw new Error(`no metric family ${family}`);
    const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    if (s === undefined) throw new Error(`no sample of ${family} with ${JSON.stringify(labels)}`);
    return s.value;
  }

  it("results held for a client's next statement are not a pin: each autocommit write asks for a slot", async () => {
    // Every UPDATE leaves affected rows, which the proxy holds for a next statement that may
    // read them; one that does not goes through the scheduler again — and the tenant's second
    // client, queued behind max_in_flight 1, is served between two of them.
    await fx.mariadb.query('CREATE TABLE IF NOT EXISTS test.writes (id INT PRIMARY KEY, v INT)');
    await fx.mariadb.query('INSERT IGNORE INTO test.writes VALUES (1, 0)');
    const a1 = await client('ua');
    const a2 = await client('ua');
    const admittedBefore = tenantMetrics(fx, 'a').admitted;
    await a1.query('UPDATE writes SET v = v + 1 WHERE id = 1');
    expect(fx.proxy.stats().clients.find((c) => c.pinned.includes('previous_result'))).toBeDefined();
    const second = watch(one(a2, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'a').queued === 1, { what: "a's second client to queue" });
    for (let i = 0; i < 5; i++) await a1.query('UPDATE writes SET v = v + 1 WHERE id = 1');
    expect(await second.promise).toEqual({ v: 2 });
    expect(tenantMetrics(fx, 'a').admitted).toBe(admittedBefore + 7);
    // A statement that reads the held results still runs where they are, without a new slot.
    await a1.query('UPDATE writes SET v = v + 1 WHERE id = 1');
    const admitted = tenantMetrics(fx, 'a').admitted;
    expect(await one(a1, 'SELECT ROW_COUNT() AS n')).toEqual({ n: 1 });
    expect(tenantMetrics(fx, 'a').admitted).toBe(admitted);
  });

  it('in flight, queued, admitted, rejected by reason and the wait histogram, per tenant', async () => {
    const holder = await client('um');
    const waiting = await client('um');
    const refused = await client('um');
    const q = 'scalestack_dbproxy_qos';

    await holder.query('START TRANSACTION'); // admitted at once: a wait of 0
    await holder.query('SELECT 1'); // the transaction takes its slot with its first statement
    const second = watch(one(waiting, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'm').queued === 1, { what: 'the second statement to queue' });
    expect((await failure(refused.query('SELECT 3'))).errno).toBe(9002);

    let m = fx.kernel.metrics.collect();
    expect(sample(m, `${q}_in_flight`, { tenant: 'm' })).toBe(1);
    expect(sample(m, `${q}_queued`, { tenant: 'm' })).toBe(1);
    expect(sample(m, `${q}_connections`, { tenant: 'm' })).toBe(3);
    expect(sample(m, `${q}_admitted_total`, { tenant: 'm' })).toBe(1);
    expect(sample(m, `${q}_rejected_total`, { tenant: 'm', reason: 'queue_full' })).toBe(1);
    expect(sample(m, `${q}_rejected_total`, { tenant: 'm', reason: 'rate_limited' })).toBe(0);
    expect(m.find((f) => f.name === `${q}_wait_seconds`)?.type).toBe('histogram');

    await holder.query('COMMIT');
    expect(await second.promise).toEqual({ v: 2 });
    m = fx.kernel.metrics.collect();
    expect(sample(m, `${q}_in_flight`, { tenant: 'm' })).toBe(0);
    expect(sample(m, `${q}_queued`, { tenant: 'm' })).toBe(0);
    expect(sample(m, `${q}_admitted_total`, { tenant: 'm' })).toBe(2);
    // Two grants: one at once (the le="0" bucket), one after waiting for the COMMIT.
    const wait = m.find((f) => f.name === `${q}_wait_seconds`)!.samples;
    const of = (suffix: string, le?: string) =>
      wait.find(
        (s) => s.suffix === suffix && s.labels?.tenant === 'm' && (le === undefined || s.labels?.le === le),
      )?.value;
    expect(of('_count')).toBe(2);
    expect(of('_bucket', '0')).toBe(1);
    expect(of('_bucket', '+Inf')).toBe(2);
    expect(of('_sum')).toBeGreaterThan(0);
    // The slot time of the transaction was charged to the tenant.
    expect(sample(m, `${q}_slot_seconds_total`, { tenant: 'm' })).toBeGreaterThan(0);
    // Every configured tenant (and the default one) is reported, each under its own label.
    const reported = m.find((f) => f.name === `${q}_admitted_total`)!.samples.map((x) => x.labels?.tenant);
    expect(reported.sort()).toEqual(['a', 'b', 'default', 'm', 'short']);
  });
});
