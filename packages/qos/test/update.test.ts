import { describe, expect, it } from 'vitest';
import { type Lease, QosConfigError, QosScheduler, VirtualClock } from '../src/index.js';
import { prng, runClosedLoop, shareErrors } from './simulation.js';

const LONG = { queue_timeout: '1m', max_queued: 10_000 };

describe('runtime update', () => {
  it('applies new weights to the next decisions', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 4, clock, tenants: { a: LONG, b: LONG } });
    const random = prng(7);
    const load = ['a', 'b'].map((tenant) => ({ tenant, clients: 6, hold: () => 1 + random() * 9 }));
    const first = runClosedLoop(scheduler, clock, load, 0, 20_000);
    expect(Math.abs(shareErrors(first.slotTime, { a: 1, b: 1 }).a!)).toBeLessThan(0.05);
    scheduler.update({ a: { weight: 3, ...LONG }, b: LONG });
    const second = runClosedLoop(scheduler, clock, load, 21_000, 40_000);
    const errors = shareErrors(second.slotTime, { a: 3, b: 1 });
    expect(Math.abs(errors.a!)).toBeLessThan(0.05);
    expect(Math.abs(errors.b!)).toBeLessThan(0.05);
  });

  it('a weight raised while a lease is held: that lease is charged at what the grant added, no penalty', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 4, clock, tenants: { a: LONG, b: LONG } });
    // a's holds have been long (10 s): grants charge that estimate up front, at weight 1.
    for (let i = 0; i < 20; i++) {
      let lease: Lease | null = null;
      scheduler.acquire('a', (l) => {
        lease = l;
      });
      clock.advanceTo(clock.now() + 10_000);
      (lease as Lease | null)!.release();
    }
    let held: Lease | null = null;
    scheduler.acquire('a', (l) => {
      held = l;
    });
    // While both tenants queue, a comes to weigh 100 times b, then its lease (granted at the old
    // weight) ends early: the release must take back the 10 s it was charged, not a hundredth.
    const from = clock.now();
    clock.setTimer(() => scheduler.update({ a: { weight: 100, ...LONG }, b: LONG }), 5);
    clock.setTimer(() => (held as Lease | null)!.release(), 6);
    const random = prng(3);
    const load = ['a', 'b'].map((tenant) => ({ tenant, clients: 8, hold: () => 5 + random() * 10 }));
    const result = runClosedLoop(scheduler, clock, load, from, from + 20_000);
    // b's small share shows it: with the 10 s charge taken back at a hundredth, a stays behind
    // and b takes that time.
    const errors = shareErrors(result.slotTime, { a: 100, b: 1 });
    expect(Math.abs(errors.a!)).toBeLessThan(0.02);
    expect(Math.abs(errors.b!)).toBeLessThan(0.05);
  });

  it('a lowered max_in_flight stops new grants until the tenant is under it; nothing is taken back', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 4, clock, tenants: { a: { max_in_flight: 4 } } });
    const leases: Lease[] = [];
    for (let i = 0; i < 6; i++) scheduler.acquire('a', (lease) => lease && leases.push(lease));
    expect(leases).toHaveLength(4);
    scheduler.update({ a: { max_in_flight: 2 } });
    expect(scheduler.tenantMetrics('a')).toMatchObject({ inFlight: 4, queued: 2, maxInFlight: 2 });
    leases.shift()!.release();
    leases.shift()!.release();
    expect(leases).toHaveLength(2);
    leases.shift()!.release();
    expect(leases).toHaveLength(2);
    expect(scheduler.tenantMetrics('a')).toMatchObject({ inFlight: 2, queued: 1 });
  });

  it('a removed tenant keeps serving its queue and leases; new requests go to the default tenant', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 1, clock, tenants: { gone: LONG } });
    const got: string[] = [];
    let held: Lease | null = null;
    const ask = (tenant: string) =>
      scheduler.acquire(tenant, (lease) => {
        got.push(lease!.tenant);
        held = lease;
      });
    ask('gone');
    ask('gone');
    scheduler.update({});
    expect(scheduler.tenantMetrics('gone')).toMatchObject({ retired: true, inFlight: 1, queued: 1 });
    expect(scheduler.resolveTenant('gone')).toBe('default');
    ask('gone');
    held!.release();
    held!.release();
    // The retired tenant's waiter is still served, in fair-share order: 'gone' was charged for
    // its first grant, so the default tenant (fresh) goes first.
    expect(got).toEqual(['gone', 'default', 'gone']);
    expect(scheduler.tenantMetrics('gone')).toMatchObject({ retired: true, inFlight: 1, queued: 0 });
    held!.release();
    // Drained: the retired tenant is forgotten.
    expect(scheduler.tenantMetrics('gone')).toBeUndefined();
    expect(scheduler.inFlight).toBe(0);
  });

  it('a tenant removed and re-added keeps its counts exact', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 2, clock, tenants: { t: { max_connections: 1 } } });
    const session = scheduler.connect('t');
    scheduler.update({});
    scheduler.update({ t: { max_connections: 1 } });
    expect(scheduler.connect('t')).toBe('connection_limit');
    if (typeof session === 'string') throw new Error(session);
    session.close();
    expect(typeof scheduler.connect('t')).toBe('object');
  });

  it('validates everything before changing anything', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 2, clock, tenants: { a: { weight: 2 } } });
    expect(() => scheduler.update({ a: { weight: 5 }, b: { weight: -1 } })).toThrow(QosConfigError);
    expect(scheduler.tenantMetrics('a')!.weight).toBe(2);
    expect(scheduler.tenantMetrics('b')).toBeUndefined();
  });

  it('resizes the pool: growing serves waiters at once, shrinking pauses grants; shares follow the pool', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 2, clock, tenants: { a: { max_in_flight: '50%' } } });
    expect(scheduler.tenantMetrics('a')!.maxInFlight).toBe(1);
    const leases: Lease[] = [];
    for (let i = 0; i < 8; i++) scheduler.acquire(undefined, (lease) => lease && leases.push(lease));
    expect(leases).toHaveLength(2);
    scheduler.resize(5);
    expect(leases).toHaveLength(5);
    expect(scheduler.tenantMetrics('a')!.maxInFlight).toBe(2);
    scheduler.resize(3);
    leases.shift()!.release();
    leases.shift()!.release();
    expect(scheduler.inFlight).toBe(3);
    expect(leases).toHaveLength(3);
    leases.shift()!.release();
    expect(leases).toHaveLength(3);
    expect(scheduler.inFlight).toBe(3);
    expect(() => scheduler.resize(-1)).toThrow(/slots: got -1, expected a whole number/);
  });
});
