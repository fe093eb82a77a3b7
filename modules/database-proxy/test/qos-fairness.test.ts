/**
 * Tenant weights through the proxy, end to end: two tenants keep a one-connection pool
 * saturated with statements of equal cost, and the heavier one gets its weight's share of the
 * statements served. The scheduler's own fairness is tested in packages/qos on a simulated
 * clock; this checks the proxy hands slots out through it (and releases them) so that the
 * shares survive real connections.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { servedWhileBacklogged, tenantMetrics } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const WEIGHT = { a: 1, b: 3 };
const CLIENTS_PER_TENANT = 4;
const STATEMENTS = 120;
let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: 1,
    options: {
      users: [
        { name: 'ua', password: 'ua', tenant: 'a' },
        { name: 'ub', password: 'ub', tenant: 'b' },
      ],
      tenants: [
        { name: 'a', weight: WEIGHT.a, queue_timeout: '30s' },
        { name: 'b', weight: WEIGHT.b, queue_timeout: '30s' },
      ],
    },
  });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

it(`weights ${WEIGHT.a}:${WEIGHT.b}, both tenants backlogged: statements are served in about that ratio`, async () => {
  const open = (tenant: 'a' | 'b') =>
    Promise.all(
      Array.from({ length: CLIENTS_PER_TENANT }, () =>
        clients.client({ user: `u${tenant}`, password: `u${tenant}` }),
      ),
    );
  const served = await servedWhileBacklogged({ a: await open('a'), b: await open('b') }, STATEMENTS);
  const expected = WEIGHT.b / WEIGHT.a;
  const ratio = served.b / Math.max(1, served.a);
  const why = JSON.stringify({
    served,
    slotTime: { a: tenantMetrics(fx, 'a').slotTime, b: tenantMetrics(fx, 'b').slotTime },
  });
  // Wide bounds: the start (both tenants filling their queues) and the tail are not fair shares.
  expect(ratio, why).toBeGreaterThan(expected * 0.66);
  expect(ratio, why).toBeLessThan(expected * 1.5);
});
