import type { SchedulerMetrics } from './metrics.js';
import { REJECTION_REASONS } from './refusal.js';

/**
 * The kernel's metric shape (packages/kernel/src/contract.ts), repeated here so this package
 * has no dependency on the kernel; the two are structurally identical.
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { labels?: Record<string, string>; value: number; suffix?: string }[];
}

type Sample = MetricFamily['samples'][number];

/** Maps a metrics snapshot to Prometheus-shaped families (times in seconds, as is customary). */
export function toMetricFamilies(metrics: SchedulerMetrics, prefix = 'scalestack_qos'): MetricFamily[] {
  const tenants = Object.entries(metrics.tenants);
  const perTenant = (pick: (m: (typeof tenants)[number][1]) => number): Sample[] =>
    tenants.map(([tenant, m]) => ({ labels: { tenant }, value: pick(m) }));

  const rejected: Sample[] = [];
  const waits: Sample[] = [];
  for (const [tenant, m] of tenants) {
    for (const reason of REJECTION_REASONS)
      rejected.push({ labels: { tenant, reason }, value: m.rejected[reason] });
    let cumulative = 0;
    m.wait.bounds.forEach((bound, i) => {
      cumulative += m.wait.counts[i]!;
      waits.push({ suffix: '_bucket', labels: { tenant, le: String(bound / 1000) }, value: cumulative });
    });
    waits.push({ suffix: '_bucket', labels: { tenant, le: '+Inf' }, value: m.wait.count });
    waits.push({ suffix: '_sum', labels: { tenant }, value: m.wait.sum / 1000 });
    waits.push({ suffix: '_count', labels: { tenant }, value: m.wait.count });
  }

  return [
    {
      name: `${prefix}_slots`,
      help: 'Slots in the pool',
      type: 'gauge',
      samples: [{ value: metrics.slots }],
    },
    {
      name: `${prefix}_slots_in_use`,
      help: 'Slots granted',
      type: 'gauge',
      samples: [{ value: metrics.inFlight }],
    },
    {
      name: `${prefix}_in_flight`,
      help: 'Slots held by the tenant',
      type: 'gauge',
      samples: perTenant((m) => m.inFlight),
    },
    {
      name: `${prefix}_queued`,
      help: 'Requests waiting for a slot',
      type: 'gauge',
      samples: perTenant((m) => m.queued),
    },
    {
      name: `${prefix}_connections`,
      help: 'Client connections',
      type: 'gauge',
      samples: perTenant((m) => m.connections),
    },
    {
      name: `${prefix}_admitted_total`,
      help: 'Slots granted',
      type: 'counter',
      samples: perTenant((m) => m.admitted),
    },
    {
      name: `${prefix}_rejected_total`,
      help: 'Requests refused, by reason',
      type: 'counter',
      samples: rejected,
    },
    {
      name: `${prefix}_cancelled_total`,
      help: 'Requests cancelled while waiting',
      type: 'counter',
      samples: perTenant((m) => m.cancelled),
    },
    {
      name: `${prefix}_slot_seconds_total`,
      help: 'Slot time used by released leases',
      type: 'counter',
      samples: perTenant((m) => m.slotTime / 1000),
    },
    { name: `${prefix}_wait_seconds`, help: 'Time from request to grant', type: 'histogram', samples: waits },
  ];
}
