import { describe, expect, it } from 'vitest';
import { type Lease, QosRefusedError, QosScheduler, type RefusalReason, VirtualClock } from '../src/index.js';

function setup(tenants: Record<string, object> = {}, slots = 1) {
  const clock = new VirtualClock();
  const scheduler = new QosScheduler({ slots, clock, tenants });
  const results: { tenant: string; lease: Lease | null; refusal: RefusalReason | null; at: number }[] = [];
  const ask = (tenant: string | undefined, options?: { signal?: AbortSignal; wait?: boolean }) =>
    scheduler.acquire(
      tenant,
      (lease, refusal) =>
        results.push({ tenant: lease?.tenant ?? tenant ?? '?', lease, refusal, at: clock.now() }),
      options,
    );
  return { clock, scheduler, results, ask };
}

describe('admission: immediate answers', () => {
  it('grants a free slot synchronously and returns null; queues otherwise and returns a ticket', () => {
    const { scheduler, results, ask } = setup();
    expect(ask('x')).toBeNull();
    expect(results).toHaveLength(1);
    expect(results[0]!.lease?.tenant).toBe('default');
    const ticket = ask('x');
    expect(ticket).not.toBeNull();
    expect(ticket!.tenant).toBe('default');
    expect(results).toHaveLength(1);
    results[0]!.lease!.release();
    expect(results).toHaveLength(2);
    expect(results[1]!.lease).not.toBeNull();
    expect(scheduler.inFlight).toBe(1);
  });

  it('refuses at once with queue_full when max_queued requests already wait', () => {
    const { results, ask } = setup({ t: { max_queued: 2 } });
    ask('t');
    ask('t');
    ask('t');
    expect(ask('t')).toBeNull();
    expect(results.map((r) => r.refusal)).toEqual([null, 'queue_full']);
  });

  it('refuses with no_capacity when the caller will not wait, and with shedding while shedding', () => {
    const { scheduler, results, ask } = setup();
    ask(undefined, { wait: false });
    ask(undefined, { wait: false });
    scheduler.setShedding(true);
    ask(undefined);
    expect(results.map((r) => r.refusal)).toEqual([null, 'no_capacity', 'shedding']);
    // Shedding refuses only what would wait.
    results[0]!.lease!.release();
    ask(undefined);
    expect(results.at(-1)!.lease).not.toBeNull();
    const counts = scheduler.tenantMetrics('default')!.rejected;
    expect(counts.no_capacity).toBe(1);
    expect(counts.shedding).toBe(1);
  });

  it('times out a waiter exactly at its queue_timeout with one timer for all waiters', () => {
    const { clock, results, ask } = setup({ t: { queue_timeout: '50ms' }, u: { queue_timeout: 20 } });
    ask('t');
    ask('t');
    clock.advance(10);
    ask('t');
    ask('u');
    expect(clock.pendingTimers).toBe(1);
    clock.advance(19);
    expect(results).toHaveLength(1);
    clock.advance(1);
    expect(results.slice(1).map((r) => [r.tenant, r.refusal, r.at])).toEqual([['u', 'queue_timeout', 30]]);
    clock.advance(20);
    expect(results.slice(2).map((r) => [r.tenant, r.refusal, r.at])).toEqual([['t', 'queue_timeout', 50]]);
    clock.advance(10);
    expect(results.slice(3).map((r) => [r.tenant, r.refusal, r.at])).toEqual([['t', 'queue_timeout', 60]]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses rather than grants a waiter whose timer is late', () => {
    // A clock whose timer has not fired yet although its deadline has passed.
    let now = 0;
    const clock = { now: () => now, setTimer: () => 0, clearTimer: () => {} };
    const scheduler = new QosScheduler({ slots: 1, clock, tenants: { t: { queue_timeout: 10 } } });
    const results: (string | null)[] = [];
    let held: { release(): boolean } | null = null;
    const ask = () =>
      scheduler.acquire('t', (lease, refusal) => {
        results.push(lease ? 'granted' : refusal);
        if (lease) held = lease;
      });
    ask();
    ask();
    now = 5;
    ask();
    now = 11;
    held!.release();
    expect(results).toEqual(['granted', 'queue_timeout', 'granted']);
    expect(scheduler.tenantMetrics('t')!.rejected.queue_timeout).toBe(1);
  });

  it('counts wait time into the histogram', () => {
    const { clock, scheduler, results, ask } = setup();
    ask(undefined);
    ask(undefined);
    clock.advance(7);
    results[0]!.lease!.release();
    const wait = scheduler.tenantMetrics('default')!.wait;
    expect(wait.count).toBe(2);
    expect(wait.sum).toBe(7);
    expect(wait.counts[0]).toBe(1); // no wait
    expect(wait.counts[wait.bounds.indexOf(10)]).toBe(1); // 5 < 7 <= 10
  });
});

describe('cancellation', () => {
  it('takes a cancelled waiter out at once; it never gets a slot and its callback does not run', () => {
    const { scheduler, results, ask } = setup();
    ask('a');
    const ticket = ask('a')!;
    ask('a');
    expect(ticket.cancel()).toBe(true);
    expect(ticket.cancel()).toBe(false);
    expect(scheduler.queued).toBe(1);
    results[0]!.lease!.release();
    expect(results).toHaveLength(2);
    expect(scheduler.tenantMetrics('default')!.cancelled).toBe(1);
  });

  it('an aborted signal removes the waiter and reports cancelled; an already-aborted one is refused', () => {
    const { clock, scheduler, results, ask } = setup();
    ask(undefined);
    const controller = new AbortController();
    ask(undefined, { signal: controller.signal });
    controller.abort();
    expect(results.map((r) => r.refusal)).toEqual([null, 'cancelled']);
    expect(scheduler.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    ask(undefined, { signal: AbortSignal.abort() });
    expect(results.at(-1)!.refusal).toBe('cancelled');
    expect(scheduler.tenantMetrics('default')!.cancelled).toBe(2);
  });

  it('a granted waiter stops listening to its signal', () => {
    const { results, ask } = setup();
    ask(undefined);
    const controller = new AbortController();
    ask(undefined, { signal: controller.signal });
    results[0]!.lease!.release();
    controller.abort();
    expect(results.map((r) => r.refusal)).toEqual([null, null]);
  });
});

describe('promise API', () => {
  it('resolves with a lease and rejects with a QosRefusedError naming tenant and reason', async () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 1, clock, tenants: { t: { max_queued: 0 } } });
    const lease = await scheduler.acquireAsync('t');
    const refused = scheduler.acquireAsync('t');
    await expect(refused).rejects.toBeInstanceOf(QosRefusedError);
    await expect(refused).rejects.toMatchObject({
      reason: 'queue_full',
      tenant: 't',
      code: 'QOS_QUEUE_FULL',
    });
    lease.release();
  });

  it('rejects with the signal reason when aborted', async () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 0, clock });
    const controller = new AbortController();
    const pending = scheduler.acquireAsync(undefined, { signal: controller.signal });
    controller.abort(new Error('client went away'));
    await expect(pending).rejects.toThrow('client went away');
  });
});

describe('connection cap', () => {
  it('refuses connections past max_connections and frees the place on close', () => {
    const { scheduler, results } = setup({ t: { max_connections: 2 } });
    const one = scheduler.connect('t');
    const two = scheduler.connect('t');
    expect(typeof one).toBe('object');
    expect(typeof two).toBe('object');
    expect(scheduler.connect('t')).toBe('connection_limit');
    if (typeof one === 'string') throw new Error('unreachable');
    expect(one.close()).toBe(true);
    expect(one.close()).toBe(false);
    const three = scheduler.connect('t');
    expect(typeof three).toBe('object');
    if (typeof three === 'string') throw new Error('unreachable');
    three.acquire((lease) => results.push({ tenant: three.tenant, lease, refusal: null, at: 0 }));
    expect(results[0]!.lease!.tenant).toBe('t');
    const metrics = scheduler.tenantMetrics('t')!;
    expect(metrics.connections).toBe(2);
    expect(metrics.rejected.connection_limit).toBe(1);
  });

  it('routes unnamed and unknown tenants to the default tenant', () => {
    const { scheduler } = setup({ t: {} });
    expect(scheduler.resolveTenant(undefined)).toBe('default');
    expect(scheduler.resolveTenant('nobody')).toBe('default');
    expect(scheduler.resolveTenant('t')).toBe('t');
  });
});

describe('callbacks that throw', () => {
  it('do not strand other free slots', () => {
    const { scheduler, results, ask } = setup({}, 2);
    ask(undefined);
    ask(undefined);
    scheduler.acquire(undefined, () => {
      throw new Error('boom');
    });
    ask(undefined);
    // Both waiters are served; the throwing callback's error is rethrown after the loop.
    expect(() => scheduler.resize(4)).toThrow('boom');
    expect(results).toHaveLength(3);
    expect(scheduler.inFlight).toBe(4);
  });
});
