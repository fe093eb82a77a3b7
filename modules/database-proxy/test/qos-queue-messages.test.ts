/**
 * Statements queued for a tenant's slot, and each way out of the queue other than a grant: a
 * queue timeout, a reload that changes or removes the tenant meanwhile, a KILL QUERY, the client
 * leaving. The client is told the truth (the 9001 text names the timeout the statement waited
 * under, not the one configured since), and nothing is left behind: not in the tenant's queue,
 * not in `stats().waiting`, not in `queries`, not as a held queue place or slot.
 */
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { fixtureConfig, tenantMetrics, watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 3;
const SLOW_TIMEOUT_MS = 400;
/** The queue_timeout a reload sets while a statement waits under SLOW_TIMEOUT_MS. */
const RELOADED_TIMEOUT_MS = 20_000;
let fx: ProxyFixture;

const USERS = [
  { name: 'app', password: 'secret', tenant: 'default' },
  { name: 'qt', password: 'qt', tenant: 'slow' },
  { name: 'qf', password: 'qf', tenant: 'qfull' },
];
const SLOW = { name: 'slow', max_in_flight: 1, queue_timeout: `${SLOW_TIMEOUT_MS}ms` };
const TENANTS = [SLOW, { name: 'qfull', max_in_flight: 1, max_queued: 1, queue_timeout: '30s' }];
const BASE = { users: USERS, tenants: TENANTS };

const clients = trackedClients(() => fx);
const client = (user: string) => clients.client({ user, password: user });
const reload = (options: Record<string, unknown>) =>
  fx.kernel.reload({ config: fixtureConfig(fx, POOL, options) });

/** A client of `user` inside a transaction: it holds its tenant's only slot until it ends. */
async function slotHolder(user: string) {
  const holder = await client(user);
  await holder.query('START TRANSACTION');
  await holder.query('SELECT 1'); // the transaction takes its slot with its first statement
  return holder;
}

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL, options: BASE });
});

afterEach(async () => {
  await clients.closeAll();
  await reload(BASE);
});

afterAll(async () => {
  await fx?.stop();
});

describe('a queue timeout', () => {
  it('is no query, leaves nothing waiting, and takes nothing from the slot holder', async () => {
    const holder = await slotHolder('qt');
    const c = await client('qt');
    const before = fx.proxy.stats().counters;
    expect((await failure(c.query('SELECT 1 AS v'))).errno).toBe(9001);
    const s = fx.proxy.stats();
    expect(s.counters.queueTimeouts).toBe(before.queueTimeouts + 1);
    expect(s.counters.queries).toBe(before.queries);
    expect(s.waiting).toBe(0);
    expect(s.clients.map((x) => x.state)).toEqual(['idle', 'idle']);
    expect(tenantMetrics(fx, 'slow')).toMatchObject({ queued: 0, inFlight: 1 });
    await holder.query('ROLLBACK');
    await waitFor(() => tenantMetrics(fx, 'slow').inFlight === 0, { what: "the holder's slot back" });
    expect(await one(c, 'SELECT 2 AS v')).toEqual({ v: 2 });
  });
});

describe('a reload while a statement is queued', () => {
  const timedOut = `Proxy: no backend connection free within ${SLOW_TIMEOUT_MS} ms (tenant slow)`;
  // Waiting requests keep their deadlines (packages/qos README): it ends long before the new timeout.
  const endsOnItsOldDeadline = (queued: { readonly state: string }) =>
    waitFor(() => queued.state !== 'pending', {
      what: 'the queued statement to end on the deadline it queued with',
      timeout: RELOADED_TIMEOUT_MS / 2,
    });

  it('that removes its tenant: it keeps its deadline, and the 9001 names the timeout it waited', async () => {
    await slotHolder('qt');
    const c = await client('qt');
    const queued = watch(c.query('SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'slow').queued === 1, { what: 'the statement to queue' });
    // The global queue_timeout now governs users of the removed tenant (no longer named by its
    // users either: a tenant a user names is one of its own, with the defaults).
    await reload({
      users: USERS.map((u) => (u.tenant === SLOW.name ? { ...u, tenant: undefined } : u)),
      tenants: TENANTS.filter((t) => t !== SLOW),
      queue_timeout: `${RELOADED_TIMEOUT_MS}ms`,
    });
    await endsOnItsOldDeadline(queued);
    expect(queued.error?.errno).toBe(9001);
    expect(queued.error?.message).toBe(timedOut);
  });

  it('that lengthens its queue_timeout: it keeps its deadline, and the 9001 names the timeout it waited', async () => {
    await slotHolder('qt');
    const c = await client('qt');
    const queued = watch(c.query('SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'slow').queued === 1, { what: 'the statement to queue' });
    await reload({
      users: USERS,
      tenants: [{ ...SLOW, queue_timeout: `${RELOADED_TIMEOUT_MS}ms` }, TENANTS[1]],
    });
    await endsOnItsOldDeadline(queued);
    expect(queued.error?.errno).toBe(9001);
    expect(queued.error?.message).toBe(timedOut);
  });
});

describe('leaving the queue before a grant', () => {
  it('KILL QUERY of a queued statement: 1317, counted in errors, and gone from the queue and waiting', async () => {
    await slotHolder('qt');
    const c = await client('qt');
    const killer = await client('qt');
    const before = fx.proxy.stats().counters;
    const queued = watch(c.query('SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'slow').queued === 1, { what: 'the statement to queue' });
    await killer.query(`KILL QUERY ${c.threadId}`);
    await waitFor(() => queued.state !== 'pending', { what: 'the KILL to be answered' });
    expect(queued.error?.errno).toBe(1317);
    const s = fx.proxy.stats();
    expect(s.counters.errors).toBe(before.errors + 1);
    expect(s.waiting).toBe(0);
    expect(tenantMetrics(fx, 'slow')).toMatchObject({ queued: 0, inFlight: 1 });
  });

  it('a client that disconnects while queued gives back its queue place (max_queued) and its waiting count', async () => {
    const holder = await slotHolder('qf');
    const leaving = await client('qf');
    void leaving.query('SELECT 2').catch(() => {});
    await waitFor(() => tenantMetrics(fx, 'qfull').queued === 1, { what: 'the statement to queue' });
    expect(fx.proxy.stats().waiting).toBe(1);
    clients.forget(leaving);
    leaving.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'the queued client gone' });
    expect(tenantMetrics(fx, 'qfull')).toMatchObject({ queued: 0, inFlight: 1 });
    expect(fx.proxy.stats().waiting).toBe(0);
    // The only queue place is free again: the next statement queues instead of 9002.
    const next = await client('qf');
    const queued = watch(one(next, 'SELECT 3 AS v'));
    await waitFor(() => tenantMetrics(fx, 'qfull').queued === 1 || queued.state !== 'pending', {
      what: 'the next statement to queue',
    });
    expect(queued.error?.message).toBeUndefined();
    await holder.query('COMMIT');
    expect(await queued.promise).toEqual({ v: 3 });
  });
});
