import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QosScheduler, VirtualClock } from '../src/index.js';
import { type LoadSpec, prng, runClosedLoop, shareErrors } from './simulation.js';

// Work conservation: every tenant always has waiters here, so no slot may ever sit idle.
// (A plain check: expect() per event would dominate the run time.)
function expectAllSlotsBusy(scheduler: QosScheduler): void {
  if (scheduler.inFlight !== scheduler.slots) {
    throw new Error(`idle slot while tenants wait: ${scheduler.inFlight}/${scheduler.slots}`);
  }
}

const LONG_TIMEOUT = { queue_timeout: '1m', max_queued: 100_000 };

describe('weighted fair sharing of slot time (virtual time)', () => {
  it('gives 3:1 slot shares when both tenants saturate, even when the light tenant is 10x slower', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 8,
      clock,
      tenants: { heavy: { weight: 3, ...LONG_TIMEOUT }, light: { weight: 1, ...LONG_TIMEOUT } },
    });
    const random = prng(42);
    const load: LoadSpec[] = [
      { tenant: 'heavy', clients: 20, hold: () => 1 + random() * 2 },
      { tenant: 'light', clients: 20, hold: () => 10 + random() * 20 },
    ];
    const result = runClosedLoop(scheduler, clock, load, 1_000, 60_000, () => expectAllSlotsBusy(scheduler));
    const errors = shareErrors(result.slotTime, { heavy: 3, light: 1 });
    expect(Math.abs(errors.heavy!)).toBeLessThan(0.05);
    expect(Math.abs(errors.light!)).toBeLessThan(0.05);
    // Grant counts are far from 3:1: the light tenant's grants last ~13x longer.
    expect(result.grants.heavy! / result.grants.light!).toBeGreaterThan(20);
  });

  it('keeps every saturating tenant within ±5% of its weight share (random weights, holds, tenants)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(
          fc.record({ weight: fc.integer({ min: 1, max: 10 }), meanHold: fc.integer({ min: 1, max: 40 }) }),
          {
            minLength: 2,
            maxLength: 12,
          },
        ),
        fc.integer(),
        (slots, specs, seed) => {
          const clock = new VirtualClock();
          const tenants: Record<string, object> = {};
          const weights: Record<string, number> = {};
          specs.forEach((spec, i) => {
            tenants[`t${i}`] = { weight: spec.weight, ...LONG_TIMEOUT };
            weights[`t${i}`] = spec.weight;
          });
          const scheduler = new QosScheduler({ slots, clock, tenants });
          const random = prng(seed);
          const load: LoadSpec[] = specs.map((spec, i) => ({
            tenant: `t${i}`,
            clients: slots + 1,
            hold: () => spec.meanHold * (0.5 + random()),
          }));
          // Long enough for the lightest tenant to complete a few hundred holds in its share.
          const maxHold = Math.max(...specs.map((s) => s.meanHold));
          const weightSum = specs.reduce((sum, s) => sum + s.weight, 0);
          const minWeight = Math.min(...specs.map((s) => s.weight));
          const horizon = (200 * maxHold * weightSum) / minWeight / slots;
          const result = runClosedLoop(scheduler, clock, load, horizon / 10, horizon, () =>
            expectAllSlotsBusy(scheduler),
          );
          for (const [tenant, error] of Object.entries(shareErrors(result.slotTime, weights))) {
            expect(Math.abs(error), `${tenant} of ${JSON.stringify(specs)}`).toBeLessThan(0.05);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('shares by grant count when holds are equal and instant (minimum grant cost)', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 1,
      clock,
      tenants: { a: { weight: 2, ...LONG_TIMEOUT }, b: { weight: 1, ...LONG_TIMEOUT } },
    });
    const leases: string[] = [];
    // One slot held by a third party while both tenants queue up.
    let blocker: { release(): boolean } | null = null;
    scheduler.acquire(undefined, (lease) => {
      blocker = lease;
    });
    for (let i = 0; i < 30; i++) {
      scheduler.acquire('a', (lease) => {
        leases.push('a');
        lease!.release();
      });
      scheduler.acquire('b', (lease) => {
        leases.push('b');
        lease!.release();
      });
    }
    blocker!.release();
    const firstThirty = leases.slice(0, 30);
    expect(firstThirty.filter((t) => t === 'a').length).toBe(20);
    expect(leases.length).toBe(60);
  });

  it('serves each tenant in FIFO order', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 1, clock, tenants: { a: LONG_TIMEOUT, b: LONG_TIMEOUT } });
    const order: string[] = [];
    let held: { release(): boolean } | null = null;
    scheduler.acquire('a', (lease) => {
      held = lease;
    });
    for (let i = 0; i < 5; i++) {
      for (const tenant of ['a', 'b']) {
        scheduler.acquire(tenant, (lease) => {
          order.push(`${tenant}${i}`);
          held = lease;
        });
      }
    }
    for (let i = 0; i < 10; i++) {
      clock.advance(1);
      held!.release();
    }
    expect(order.filter((x) => x.startsWith('a'))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(order.filter((x) => x.startsWith('b'))).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('serves a higher priority class first', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 1,
      clock,
      tenants: { batch: { weight: 100, ...LONG_TIMEOUT }, urgent: { priority: 1, ...LONG_TIMEOUT } },
    });
    const order: string[] = [];
    let held: { release(): boolean } | null = null;
    scheduler.acquire('batch', (lease) => {
      held = lease;
    });
    for (let i = 0; i < 3; i++) {
      scheduler.acquire('batch', (lease) => {
        order.push('batch');
        held = lease;
      });
    }
    for (let i = 0; i < 3; i++) {
      scheduler.acquire('urgent', (lease) => {
        order.push('urgent');
        held = lease;
      });
    }
    for (let i = 0; i < 6; i++) {
      clock.advance(1);
      held!.release();
    }
    expect(order).toEqual(['urgent', 'urgent', 'urgent', 'batch', 'batch', 'batch']);
  });
});

describe('long-running virtual time', () => {
  it('keeps strict alternation of equal tenants across rebases', () => {
    const clock = new VirtualClock();
    // Each 100 ms grant moves a tag by 1e11, so tags are rebased every dozen grants. Both tenants
    // stay in the ready heap while granted (cap 2), so stale heap keys would break the order.
    const tenant = { weight: 1e-9, max_in_flight: 2, ...LONG_TIMEOUT };
    const scheduler = new QosScheduler({ slots: 2, clock, tenants: { a: tenant, b: tenant } });
    const order: string[] = [];
    let held: { release(): boolean } | null = null;
    scheduler.acquire('a', (lease) => {
      held = lease;
    });
    for (let i = 0; i < 100; i++) {
      for (const name of ['a', 'b']) {
        scheduler.acquire(name, (lease) => {
          order.push(name);
          held = lease;
        });
      }
    }
    for (let i = 0; i < 198; i++) {
      clock.advance(100);
      held!.release();
    }
    for (let i = 0; i < 198; i += 2)
      expect([order[i], order[i + 1]].sort(), `grants ${i}-${i + 1}`).toEqual(['a', 'b']);
  });

  it('rebases tags when virtual time grows huge, keeping the shares', () => {
    const clock = new VirtualClock();
    // Tiny weights make virtual time grow ~1e9x faster than the clock: it passes the rebase
    // threshold (2^40) after about 20 minutes of simulated holds.
    const scheduler = new QosScheduler({
      slots: 2,
      clock,
      tenants: { a: { weight: 3e-9, ...LONG_TIMEOUT }, b: { weight: 1e-9, ...LONG_TIMEOUT } },
    });
    const load = ['a', 'b'].map((tenant) => ({ tenant, clients: 4, hold: () => 100 }));
    const result = runClosedLoop(scheduler, clock, load, 600_000, 6_000_000, () =>
      expectAllSlotsBusy(scheduler),
    );
    const errors = shareErrors(result.slotTime, { a: 3, b: 1 });
    expect(Math.abs(errors.a!)).toBeLessThan(0.05);
    expect(Math.abs(errors.b!)).toBeLessThan(0.05);
  });
});
