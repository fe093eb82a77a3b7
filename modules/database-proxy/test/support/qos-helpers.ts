/**
 * Helpers for the QoS tests: the scheduler's per-tenant view behind a fixture, the full module
 * configuration a reload needs, and a way to watch a statement that is still waiting.
 */
import type { TenantMetrics } from '@scalestack/qos';
import type mysql from 'mysql2/promise';
import type { DatabaseProxy } from '../../src/index.js';
import { APP_USER, BACKEND_USER, type ProxyFixture } from './proxy-fixture.js';

/** The scheduler's counters for one tenant (throws when the proxy does not know it). */
export function tenantMetrics(fx: ProxyFixture, tenant: string): TenantMetrics {
  const m = (fx.proxy as DatabaseProxy).scheduler.tenantMetrics(tenant);
  if (m === undefined) throw new Error(`the proxy has no tenant '${tenant}'`);
  return m;
}

/**
 * The whole `database-proxy` configuration the fixture started with (same listener, backend and
 * pool) with `options` merged over it: what `kernel.reload({ config })` needs, since a reload
 * replaces the configuration rather than patching it.
 */
export function fixtureConfig(
  fx: ProxyFixture,
  pool: number,
  options: Record<string, unknown>,
): { modules: Record<string, Record<string, unknown>> } {
  return {
    modules: {
      'database-proxy': {
        listen: '127.0.0.1:0',
        users: [
          { name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 5000 },
        ],
        backends: [
          {
            name: 'db1',
            address: `127.0.0.1:${fx.mariadb.port}`,
            user: BACKEND_USER.name,
            password: BACKEND_USER.password,
            pool,
          },
        ],
        ...options,
      },
    },
  };
}

/** A promise whose outcome can be read without awaiting it. */
export interface Watched<T> {
  readonly promise: Promise<T>;
  /** `pending` until the promise settles. */
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  readonly value: T | undefined;
  readonly error: (Error & { errno?: number; sqlState?: string }) | undefined;
}

/** Watches a statement in flight (its rejection is recorded, never unhandled). */
export function watch<T>(promise: Promise<T>): Watched<T> {
  const w: {
    promise: Promise<T>;
    state: Watched<T>['state'];
    value: T | undefined;
    error: Watched<T>['error'];
  } = { promise, state: 'pending', value: undefined, error: undefined };
  promise.then(
    (v) => {
      w.state = 'fulfilled';
      w.value = v;
    },
    (e: Error) => {
      w.state = 'rejected';
      w.error = e;
    },
  );
  return w;
}

/**
 * Keeps every group's clients backlogged — each sends its next statement as soon as its last is
 * answered, so every group always has statements queued while the others' run — until `total`
 * statements are answered; returns how many each group got.
 */
export async function servedWhileBacklogged<G extends string>(
  groups: Record<G, mysql.Connection[]>,
  total: number,
  sql = 'SELECT SLEEP(0.01)',
): Promise<Record<G, number>> {
  const served = Object.fromEntries(Object.keys(groups).map((g) => [g, 0])) as Record<G, number>;
  let answered = 0;
  const backlog = async (group: G, c: mysql.Connection) => {
    while (answered < total) {
      await c.query(sql);
      if (answered >= total) break;
      served[group]++;
      answered++;
    }
  };
  const entries = Object.entries(groups) as [G, mysql.Connection[]][];
  await Promise.all(entries.flatMap(([g, conns]) => conns.map((c) => backlog(g, c))));
  return served;
}
