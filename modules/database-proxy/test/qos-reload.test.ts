/**
 * Live reconfiguration through the embedder's API, `kernel.reload({ config })`: new weights,
 * caps and users apply to the next decision without dropping a connection; a configuration that
 * does not validate is refused whole and the proxy behaves exactly as before.
 */
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { fixtureConfig, tenantMetrics, watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 4;
let fx: ProxyFixture;

const USERS = [
  { name: 'app', password: 'secret', tenant: 'default' },
  { name: 'ua', password: 'ua', tenant: 'a' },
  { name: 'ub', password: 'ub', tenant: 'b' },
];
const TENANTS = [
  { name: 'a', weight: 1, max_in_flight: 1, queue_timeout: '30s' },
  { name: 'b', weight: 3 },
];
const BASE = { users: USERS, tenants: TENANTS };

const clients = trackedClients(() => fx);
const client = (user: string, password = user) => clients.client({ user, password });

function reload(options: Record<string, unknown>) {
  return fx.kernel.reload({ config: fixtureConfig(fx, POOL, options) });
}

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL, options: BASE });
});

beforeEach(async () => {
  await reload(BASE);
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

describe('kernel.reload of tenants and users', () => {
  it('raising a cap serves the waiting statement at once; new weights apply; nobody is dropped', async () => {
    const a1 = await client('ua');
    const a2 = await client('ua');
    const b1 = await client('ub');
    await a1.query('START TRANSACTION');
    await a1.query('SELECT 1'); // the transaction takes its slot with its first statement
    const second = watch(one(a2, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'a').queued === 1, { what: "a's second statement to queue" });
    expect(tenantMetrics(fx, 'a')).toMatchObject({ weight: 1, maxInFlight: 1 });
    expect(tenantMetrics(fx, 'b').weight).toBe(3);

    const report = await reload({
      users: USERS,
      tenants: [
        { name: 'a', weight: 2, max_in_flight: 2, queue_timeout: '30s' },
        { name: 'b', weight: 5 },
      ],
    });
    expect(report.applied).toEqual(['database-proxy']);
    // The transaction still holds a's first slot; the second one is now allowed.
    expect(await second.promise).toEqual({ v: 2 });
    expect(tenantMetrics(fx, 'a')).toMatchObject({ weight: 2, maxInFlight: 2, inFlight: 1, queued: 0 });
    expect(tenantMetrics(fx, 'b').weight).toBe(5);

    // Every connection survived, the transaction included.
    expect(await one(a1, 'SELECT 3 AS v')).toEqual({ v: 3 });
    await a1.query('COMMIT');
    expect(await one(b1, 'SELECT 4 AS v')).toEqual({ v: 4 });
  });

  it('lowering a cap takes nothing back but holds the next statement', async () => {
    await reload({
      users: USERS,
      tenants: [{ name: 'a', max_in_flight: 2, queue_timeout: '30s' }, TENANTS[1]],
    });
    const a1 = await client('ua');
    const a2 = await client('ua');
    const a3 = await client('ua');
    await a1.query('START TRANSACTION');
    await a1.query('SELECT 1'); // the transaction takes its slot with its first statement
    await a2.query('START TRANSACTION');
    await a2.query('SELECT 1'); // the transaction takes its slot with its first statement
    expect(tenantMetrics(fx, 'a').inFlight).toBe(2);

    await reload(BASE);
    expect(tenantMetrics(fx, 'a')).toMatchObject({ maxInFlight: 1, inFlight: 2 });
    const third = watch(one(a3, 'SELECT 3 AS v'));
    await waitFor(() => tenantMetrics(fx, 'a').queued === 1, { what: "a's third statement to queue" });
    await a1.query('COMMIT');
    // Still at the new cap of one (a2 holds it): the third keeps waiting.
    expect(tenantMetrics(fx, 'a')).toMatchObject({ inFlight: 1, queued: 1 });
    expect(third.state).toBe('pending');
    await a2.query('COMMIT');
    expect(await third.promise).toEqual({ v: 3 });
  });

  it('users: added ones log in, moved ones land in their new tenant, removed ones keep their connection', async () => {
    const stay = await client('ua');
    const gone = await client('ub');
    await failure(client('late', 'late-pw')).then((err) => expect(err.errno).toBe(1045));

    await reload({
      users: [
        USERS[0],
        { name: 'ua', password: 'ua', tenant: 'b' },
        { name: 'late', password: 'late-pw', tenant: 'a' },
      ],
      tenants: TENANTS,
    });
    const late = await client('late', 'late-pw');
    const moved = await client('ua');
    const tenants = new Map(fx.proxy.stats().clients.map((c) => [c.id, c.tenant]));
    expect([...tenants.values()]).toEqual(['a', 'b', 'a', 'b']); // stay, gone, late, moved
    expect(await one(late, 'SELECT 1 AS v')).toEqual({ v: 1 });
    expect(await one(moved, 'SELECT 2 AS v')).toEqual({ v: 2 });
    expect(await one(stay, 'SELECT 3 AS v')).toEqual({ v: 3 });
    // ub is no longer configured: its open connection carries on, a new login is refused.
    expect(await one(gone, 'SELECT 4 AS v')).toEqual({ v: 4 });
    const err = await failure(client('ub'));
    expect(err.errno).toBe(1045);
  });

  it('a configuration that does not validate is refused whole; settings and behaviour stay', async () => {
    const a1 = await client('ua');
    const a2 = await client('ua');
    const before = { a: tenantMetrics(fx, 'a'), b: tenantMetrics(fx, 'b') };

    const bad = reload({
      users: [...USERS, { name: 'late', password: 'late-pw', tenant: 'a' }],
      tenants: [
        { name: 'a', weight: 5, max_in_flight: 'lots', queue_timeout: '30s' },
        { name: 'b', weight: 1 },
      ],
    });
    await expect(bad).rejects.toThrow(/module "database-proxy", option "tenants\[0\]"/);
    await expect(bad).rejects.toThrow(/qos: tenant 'a': max_in_flight: got "lots", expected a whole number/);

    expect(tenantMetrics(fx, 'a')).toMatchObject({
      weight: before.a.weight,
      maxInFlight: before.a.maxInFlight,
    });
    expect(tenantMetrics(fx, 'b').weight).toBe(before.b.weight);
    // The valid half (a new user) was not applied either.
    expect((await failure(client('late', 'late-pw'))).errno).toBe(1045);
    // And the old cap still governs: a's second statement waits behind the transaction.
    await a1.query('START TRANSACTION');
    await a1.query('SELECT 1'); // the transaction takes its slot with its first statement
    const second = watch(one(a2, 'SELECT 2 AS v'));
    await waitFor(() => tenantMetrics(fx, 'a').queued === 1, { what: "a's second statement to queue" });
    await a1.query('COMMIT');
    expect(await second.promise).toEqual({ v: 2 });
  });

  it('users that give one backend_user two passwords are refused, with no password in the message', async () => {
    const bad = reload({
      ...BASE,
      users: [
        ...USERS,
        { name: 'x1', password: 'p1', backend_user: 'svc', backend_password: 'svc-pw-1' },
        { name: 'x2', password: 'p2', backend_user: 'svc', backend_password: 'svc-pw-2' },
      ],
    });
    await expect(bad).rejects.toThrow(
      /users "x1" and "x2" share backend_user "svc" with different backend_password/,
    );
    await expect(bad).rejects.not.toThrow(/svc-pw|"p1"|"p2"/);
    expect((await failure(client('x1', 'p1'))).errno).toBe(1045);
  });

  it('a tenant setting the scheduler refuses (negative weight) is rejected with the reason', async () => {
    const bad = reload({ users: USERS, tenants: [{ name: 'a', weight: -1 }, TENANTS[1]] });
    await expect(bad).rejects.toThrow(/database-proxy/);
    await expect(bad).rejects.toThrow(/weight/);
    expect(tenantMetrics(fx, 'a')).toMatchObject({ weight: 1, maxInFlight: 1 });
  });

  it('options that need a restart are named and keep their values; the queue settings apply, in the errors too', async () => {
    const report = await reload({ ...BASE, pipeline_depth: 4, queue_timeout: '300ms' });
    expect(report).toEqual({ applied: ['database-proxy'], restartNeeded: ['database-proxy'], failed: [] });
    expect(fx.kernel.optionsOf('database-proxy')).toMatchObject({ pipeline_depth: 32, queue_timeout: 300 });
    // Every connection taken by default-tenant transactions: the next statement waits the new
    // queue_timeout, and its error says so.
    const holders = await Promise.all(Array.from({ length: POOL }, () => client('app', 'secret')));
    for (const h of holders) {
      await h.query('START TRANSACTION');
      await h.query('SELECT 1'); // the transaction takes its slot with its first statement
    }
    const err = await failure(one(await client('app', 'secret'), 'SELECT 2'));
    expect(err.errno).toBe(9001);
    expect(err.message).toBe('Proxy: no backend connection free within 300 ms (tenant default)');
    for (const h of holders) await h.query('COMMIT');
  });

  it('a queue_timeout of 0 or a max_packet_size under 1 KiB is refused before anything changes', async () => {
    await expect(reload({ ...BASE, queue_timeout: 0 })).rejects.toThrow(
      /module "database-proxy", option "queue_timeout": got 0, expected .*>= 1ms/,
    );
    await expect(reload({ ...BASE, max_packet_size: 100 })).rejects.toThrow(
      /module "database-proxy", option "max_packet_size": got 100, expected .*>= 1024 bytes/,
    );
  });
});
