import { describe, expect, it } from 'vitest';
import { QosRefusedError, QosScheduler } from '../src/index.js';

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
});
