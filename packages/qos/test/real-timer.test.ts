import { describe, expect, it } from 'vitest';
import { type Lease, QosRefusedError, QosScheduler } from '../src/index.js';

describe('real timers', () => {
  it('refuses a waiter with queue_timeout on the system clock', async () => {
    const scheduler = new QosScheduler({ slots: 1, tenants: { t: { queue_timeout: '30ms' } } });
    const lease = await scheduler.acquireAsync('t');
    const refusal = await new Promise((resolve) => {
      scheduler.acquire('t', (granted, reason) => resolve(granted ?? reason));
    });
    expect(refusal).toBe('queue_timeout');
    await expect(scheduler.acquireAsync('t')).rejects.toBeInstanceOf(QosRefusedError);
    expect(scheduler.tenantMetrics('t')!.rejected.queue_timeout).toBe(2);
    lease.release();
    scheduler.close();
  });

  it('a queue_timeout longer than setTimeout takes (about 24.8 days) arms a timer Node accepts', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const scheduler = new QosScheduler({ slots: 1, tenants: { t: { queue_timeout: '700h' } } });
    try {
      const lease = await scheduler.acquireAsync('t');
      let outcome: Lease | string | undefined;
      scheduler.acquire('t', (granted, reason) => {
        outcome = granted ?? reason ?? undefined;
      });
      // Node reports an overlong delay on the next tick (and fires it after 1 ms).
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
      expect(scheduler.tenantMetrics('t')).toMatchObject({ queued: 1 });
      // Still waiting, not timed out: the slot goes to it.
      lease.release();
      expect(outcome).toMatchObject({ tenant: 't' });
      (outcome as Lease).release();
    } finally {
      process.off('warning', onWarning);
      scheduler.close();
    }
  });
});
