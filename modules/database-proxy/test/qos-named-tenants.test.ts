/**
 * Tenants named by users but not configured (`users: [{ …, tenant: acme }]` with no `tenants:`
 * entry, as issue #4's example configuration has it): each is a tenant of its own with the
 * default settings, so a flood from one cannot starve another — not one shared default queue,
 * where each tenant's share of a busy pool was its share of the connections.
 */
import { expect, it } from 'vitest';
import { failure } from './support/backends.js';
import { proxyTestFile } from './support/proxy-test-file.js';
import { servedWhileBacklogged, tenantMetrics } from './support/qos-helpers.js';

const FLOOD_CLIENTS = 4;
const STATEMENTS = 120;
const { fx, clients } = proxyTestFile({
  pool: 1,
  options: {
    users: [
      { name: 'flood', password: 'flood', tenant: 'acme' },
      { name: 'calm', password: 'calm', tenant: 'globex' },
    ],
    queue_timeout: '2s',
  },
});

it('each named tenant has a queue of its own: one client of one gets half a busy pool beside four of the other', async () => {
  const flood = await Promise.all(
    Array.from({ length: FLOOD_CLIENTS }, () => clients.client({ user: 'flood', password: 'flood' })),
  );
  const calm = await clients.client({ user: 'calm', password: 'calm' });
  const served = await servedWhileBacklogged({ acme: flood, globex: [calm] }, STATEMENTS);
  const why = JSON.stringify({
    served,
    slotTime: { acme: tenantMetrics(fx(), 'acme').slotTime, globex: tenantMetrics(fx(), 'globex').slotTime },
  });
  // Equal weights: about half each. In one shared queue the calm tenant's one client got a
  // fifth (one connection of five).
  expect(served.globex / (served.acme + served.globex), why).toBeGreaterThan(0.35);
});

it('a refusal names the tenant the user named', async () => {
  // A flood client in a transaction holds the one connection.
  const holder = await clients.client({ user: 'flood', password: 'flood' });
  await holder.query('BEGIN');
  await holder.query('DO SLEEP(0)');
  const calm = await clients.client({ user: 'calm', password: 'calm' });
  const refused = await failure(calm.query('DO SLEEP(0)'));
  expect(refused.errno).toBe(9001);
  expect(refused.message).toMatch(/\(tenant globex\)/);
  await holder.query('ROLLBACK');
});
