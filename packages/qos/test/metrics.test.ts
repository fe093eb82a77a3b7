import { describe, expect, it } from 'vitest';
import { QosScheduler, VirtualClock } from '../src/index.js';

describe('metric families', () => {
  it('maps tenants to Prometheus-shaped gauges, counters and a cumulative wait histogram', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({ slots: 1, clock, tenants: { t: { max_queued: 1 } } });
    let first: { release(): boolean } | null = null;
    scheduler.acquire('t', (lease) => {
      first = lease;
    });
    scheduler.acquire('t', () => {});
    scheduler.acquire('t', () => {});
    clock.advance(3);
    first!.release();
    const families = scheduler.toMetricFamilies('q');
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('q_slots')!.samples).toEqual([{ value: 1 }]);
    expect(byName.get('q_in_flight')!.samples).toContainEqual({ labels: { tenant: 't' }, value: 1 });
    expect(byName.get('q_admitted_total')!.samples).toContainEqual({ labels: { tenant: 't' }, value: 2 });
    expect(byName.get('q_rejected_total')!.samples).toContainEqual({
      labels: { tenant: 't', reason: 'queue_full' },
      value: 1,
    });
    const wait = byName.get('q_wait_seconds')!;
    expect(wait.type).toBe('histogram');
    const buckets = wait.samples.filter((s) => s.suffix === '_bucket' && s.labels!.tenant === 't');
    expect(buckets[0]).toEqual({ suffix: '_bucket', labels: { tenant: 't', le: '0' }, value: 1 });
    expect(buckets.find((s) => s.labels!.le === '0.005')!.value).toBe(2);
    expect(buckets.at(-1)).toEqual({ suffix: '_bucket', labels: { tenant: 't', le: '+Inf' }, value: 2 });
    expect(wait.samples).toContainEqual({ suffix: '_sum', labels: { tenant: 't' }, value: 0.003 });
    for (const family of families) expect(family.name).toMatch(/^q_[a-z_]+$/);
  });
});
