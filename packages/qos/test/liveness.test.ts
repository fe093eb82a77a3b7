import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Lease,
  QosScheduler,
  type RefusalReason,
  type TenantConfig,
  type TenantSession,
  type Ticket,
  VirtualClock,
} from '../src/index.js';

// Random workloads against a model: every request is settled exactly once (or cancelled by its
// owner), caps and queue limits hold at every grant and enqueue, no slot idles while an eligible
// tenant waits, waits never exceed the queue timeout, and the counters add up exactly.

const NAMES = ['a', 'b', 'c'] as const;

const tenantConfig = fc.record({
  weight: fc.integer({ min: 1, max: 5 }),
  max_in_flight: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom('50%', 0.25, '100%')),
  max_queued: fc.integer({ min: 0, max: 5 }),
  queue_timeout: fc.integer({ min: 1, max: 50 }),
  rate: fc.option(
    fc.record({ per_second: fc.integer({ min: 50, max: 2000 }), burst: fc.integer({ min: 1, max: 5 }) }),
    {
      nil: undefined,
    },
  ),
  priority: fc.integer({ min: 0, max: 1 }),
  max_connections: fc.integer({ min: 0, max: 3 }),
});
const configs = fc.record({ a: tenantConfig, b: tenantConfig, c: tenantConfig });

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('acquire' as const),
      tenant: fc.integer({ min: 0, max: 3 }),
      abortable: fc.boolean(),
      wait: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat(), viaSignal: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('update' as const), tenants: configs }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('resize' as const), slots: fc.integer({ min: 0, max: 6 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('connect' as const), tenant: fc.integer({ min: 0, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disconnect' as const), pick: fc.nat() }) },
);

interface Request {
  tenant: string;
  at: number;
  timeout: number;
  outcome: 'pending' | 'granted' | 'cancelled' | RefusalReason;
  ticket: Ticket | null;
  controller: AbortController | null;
}

function checkWorkConserving(scheduler: QosScheduler): void {
  if (scheduler.inFlight >= scheduler.slots) return;
  for (const [name, t] of Object.entries(scheduler.metrics().tenants)) {
    if (t.queued > 0 && t.inFlight < t.maxInFlight) {
      throw new Error(`slot idle (${scheduler.inFlight}/${scheduler.slots}) while ${name} waits`);
    }
  }
}

describe('liveness, caps and cancellation under random workloads (virtual time)', () => {
  it('settles every request once, within its timeout, never exceeding a cap (slots, queue, connections)', () => {
    fc.assert(
      fc.property(
        configs,
        fc.integer({ min: 0, max: 6 }),
        fc.array(op, { maxLength: 200 }),
        (initial, slots, ops) => {
          const clock = new VirtualClock();
          const scheduler = new QosScheduler({ slots, clock, tenants: initial, defaultTenant: 'a' });
          let current: Record<string, TenantConfig> = initial;
          const requests: Request[] = [];
          const held: Lease[] = [];
          const sessions: TenantSession[] = [];
          const connectRefusals: Record<string, number> = { a: 0, b: 0, c: 0 };

          const acquire = (name: string | undefined, abortable: boolean, wait: boolean) => {
            const tenant = name ?? 'a';
            const timeout = current[tenant]!.queue_timeout as number;
            const request: Request = {
              tenant,
              at: clock.now(),
              timeout,
              outcome: 'pending',
              ticket: null,
              controller: abortable ? new AbortController() : null,
            };
            requests.push(request);
            const queuedBefore = scheduler.tenantMetrics(tenant)!.queued;
            request.ticket = scheduler.acquire(
              name,
              (lease, refusal) => {
                if (request.outcome !== 'pending') throw new Error(`settled twice: ${request.outcome}`);
                const now = clock.now();
                if (lease !== null) {
                  request.outcome = 'granted';
                  held.push(lease);
                  const t = scheduler.tenantMetrics(tenant)!;
                  if (t.inFlight > t.maxInFlight) throw new Error(`${tenant} over max_in_flight`);
                  if (scheduler.inFlight > scheduler.slots) throw new Error('pool over its size');
                  if (now - request.at > request.timeout) throw new Error('granted after its timeout');
                } else {
                  request.outcome = refusal!;
                  if (refusal === 'queue_timeout' && now - request.at !== request.timeout) {
                    throw new Error(`timed out after ${now - request.at}, timeout ${request.timeout}`);
                  }
                }
              },
              { signal: request.controller?.signal, wait },
            );
            if (request.ticket !== null) {
              const max = current[tenant]!.max_queued!;
              if (queuedBefore + 1 > max) throw new Error(`${tenant} queued past max_queued ${max}`);
            }
          };

          for (const step of ops) {
            switch (step.op) {
              case 'acquire':
                acquire(NAMES[step.tenant], step.abortable, step.wait);
                break;
              case 'release':
                if (held.length > 0) held.splice(step.pick % held.length, 1)[0]!.release();
                break;
              case 'cancel': {
                const pending = requests.filter((r) => r.outcome === 'pending' && r.ticket !== null);
                if (pending.length === 0) break;
                const request = pending[step.pick % pending.length]!;
                if (step.viaSignal && request.controller !== null) {
                  request.controller.abort();
                  expect(request.outcome).toBe('cancelled');
                } else {
                  expect(request.ticket!.cancel()).toBe(true);
                  expect(request.outcome).toBe('pending');
                  request.outcome = 'cancelled';
                  expect(request.ticket!.cancel()).toBe(false);
                }
                break;
              }
              case 'advance':
                clock.advance(step.ms);
                break;
              case 'update':
                scheduler.update(step.tenants, 'a');
                current = step.tenants;
                break;
              case 'resize':
                scheduler.resize(step.slots);
                break;
              case 'connect': {
                const tenant = NAMES[step.tenant] ?? 'a';
                const before = scheduler.tenantMetrics(tenant)!.connections;
                const session = scheduler.connect(NAMES[step.tenant]);
                const max = current[tenant]!.max_connections!;
                if (typeof session === 'string') {
                  expect(session).toBe('connection_limit');
                  expect(before).toBeGreaterThanOrEqual(max);
                  connectRefusals[tenant]!++;
                } else {
                  expect(before).toBeLessThan(max);
                  sessions.push(session);
                }
                break;
              }
              case 'disconnect':
                if (sessions.length > 0)
                  expect(sessions.splice(step.pick % sessions.length, 1)[0]!.close()).toBe(true);
                break;
            }
            checkWorkConserving(scheduler);
          }

          // Past every deadline nobody may still be waiting.
          clock.advance(100);
          expect(requests.filter((r) => r.outcome === 'pending')).toEqual([]);
          expect(scheduler.queued).toBe(0);
          expect(clock.pendingTimers).toBe(0);
          for (const lease of held) expect(lease.release()).toBe(true);
          for (const lease of held) expect(lease.release()).toBe(false);
          expect(scheduler.inFlight).toBe(0);

          const metrics = scheduler.metrics().tenants;
          for (const name of NAMES) {
            const mine = requests.filter((r) => r.tenant === name);
            const t = metrics[name]!;
            expect(t.admitted).toBe(mine.filter((r) => r.outcome === 'granted').length);
            expect(t.cancelled).toBe(mine.filter((r) => r.outcome === 'cancelled').length);
            for (const [reason, count] of Object.entries(t.rejected)) {
              if (reason === 'connection_limit') continue;
              expect(count, `${name} ${reason}`).toBe(mine.filter((r) => r.outcome === reason).length);
            }
            expect(t.rejected.connection_limit).toBe(connectRefusals[name]);
            expect(t.connections).toBe(sessions.filter((session) => session.tenant === name).length);
            expect(t.wait.count).toBe(t.admitted);
            expect(t.inFlight).toBe(0);
            expect(t.queued).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses everyone with "closed" on close, and later requests too', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 1, clock });
    const outcomes: (RefusalReason | null)[] = [];
    scheduler.acquire(undefined, () => {});
    for (let i = 0; i < 3; i++) scheduler.acquire(undefined, (_lease, refusal) => outcomes.push(refusal));
    expect(clock.pendingTimers).toBe(1);
    scheduler.close();
    expect(outcomes).toEqual(['closed', 'closed', 'closed']);
    expect(clock.pendingTimers).toBe(0);
    scheduler.acquire(undefined, (_lease, refusal) => outcomes.push(refusal));
    expect(outcomes.at(-1)).toBe('closed');
    expect(scheduler.connect(undefined)).toBe('closed');
  });
});
