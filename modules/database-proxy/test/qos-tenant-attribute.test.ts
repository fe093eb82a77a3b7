/**
 * Choosing the tenant: the user's configured tenant, overridden by a connection attribute only
 * when the operator names one in `tenant_attribute`. Clients send the attribute with mysql2's
 * `connectAttributes`; the proxy's own client list and the scheduler show where each landed.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics, watch } from './support/qos-helpers.js';

const USERS = [{ name: 'u', password: 'pw', tenant: 'a' }];
const TENANTS = [{ name: 'a' }, { name: 'b', max_in_flight: 1, queue_timeout: '30s' }];

let mariadb: MariaDB;
let allowed: ProxyFixture;
let ignored: ProxyFixture;
const open: mysql.Connection[] = [];

async function client(fx: ProxyFixture, attributes?: Record<string, string>): Promise<mysql.Connection> {
  const c = await fx.connect({ user: 'u', password: 'pw', connectAttributes: attributes });
  c.on('error', () => {});
  open.push(c);
  return c;
}

/** The tenant of every client connected to the proxy, in connection order. */
function tenantOfClient(fx: ProxyFixture): string[] {
  return fx.proxy.stats().clients.map((c) => c.tenant);
}

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 200 });
  [allowed, ignored] = await Promise.all([
    startProxyFixture({
      pool: 2,
      mariadb,
      options: { users: USERS, tenants: TENANTS, tenant_attribute: 'tenant' },
    }),
    startProxyFixture({ pool: 2, mariadb, options: { users: USERS, tenants: TENANTS } }),
  ]);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => c.destroy())));
  await waitFor(() => allowed.proxy.stats().clients.length + ignored.proxy.stats().clients.length === 0, {
    what: 'every client to leave both proxies',
  });
});

afterAll(async () => {
  await allowed?.stop();
  await ignored?.stop();
  await mariadb?.stop();
});

describe('tenant from a connection attribute', () => {
  it('with tenant_attribute set, the attribute chooses the tenant and its limits apply', async () => {
    const admitted = tenantMetrics(allowed, 'b').admitted;
    const b1 = await client(allowed, { tenant: 'b' });
    expect(tenantOfClient(allowed)).toEqual(['b']);
    expect(tenantMetrics(allowed, 'b').connections).toBe(1);
    expect(tenantMetrics(allowed, 'a').connections).toBe(0);

    // b's cap of one slot now governs this user's statements.
    await b1.query('START TRANSACTION');
    await b1.query('SELECT 1'); // the transaction takes its slot with its first statement
    const b2 = await client(allowed, { tenant: 'b' });
    const waiting = watch(one(b2, 'SELECT 1 AS v'));
    await waitFor(() => tenantMetrics(allowed, 'b').queued === 1, { what: "b's second statement to queue" });
    const plain = await client(allowed);
    expect(await one(plain, 'SELECT 2 AS v')).toEqual({ v: 2 });
    expect(waiting.state).toBe('pending');
    await b1.query('COMMIT');
    expect(await waiting.promise).toEqual({ v: 1 });
    expect(tenantMetrics(allowed, 'b').admitted).toBe(admitted + 2);
  });

  it("without the attribute the user's tenant applies", async () => {
    await client(allowed);
    await client(allowed, { other: 'b' });
    expect(tenantOfClient(allowed)).toEqual(['a', 'a']);
  });

  it('an attribute naming no configured tenant lands in the default tenant', async () => {
    await client(allowed, { tenant: 'nobody' });
    expect(tenantOfClient(allowed)).toEqual(['default']);
  });

  it('without tenant_attribute the attribute is ignored', async () => {
    const c = await client(ignored, { tenant: 'b' });
    expect(tenantOfClient(ignored)).toEqual(['a']);
    expect(tenantMetrics(ignored, 'b').connections).toBe(0);
    expect(tenantMetrics(ignored, 'a').connections).toBe(1);
    expect(await one(c, 'SELECT 3 AS v')).toEqual({ v: 3 });
  });
});
