import type { RejectionReason } from './refusal.js';
import type { TenantState } from './tenant-state.js';
import type { WaitHistogramSnapshot } from './wait-histogram.js';

/** One tenant's counters and gauges, as a plain object. */
export interface TenantMetrics {
  weight: number;
  priority: number;
  /** Effective `max_in_flight` in slots. */
  maxInFlight: number;
  inFlight: number;
  queued: number;
  connections: number;
  /** Slots granted (immediately or after waiting). */
  admitted: number;
  /** Requests refused by the scheduler, by reason. */
  rejected: Record<RejectionReason, number>;
  /** Requests that left the queue by `ticket.cancel()` or an aborted signal. */
  cancelled: number;
  /** Slot-milliseconds held by released leases. */
  slotTime: number;
  /** Time from request to grant. */
  wait: WaitHistogramSnapshot;
  /** Removed from the configuration, still draining. */
  retired: boolean;
}

/** A scheduler's state as a plain object. */
export interface SchedulerMetrics {
  slots: number;
  inFlight: number;
  queued: number;
  shedding: boolean;
  defaultTenant: string;
  tenants: Record<string, TenantMetrics>;
}

/** @internal */
export function tenantMetrics(state: TenantState): TenantMetrics {
  return {
    weight: state.weight,
    priority: state.priority,
    maxInFlight: state.cap,
    inFlight: state.inFlight,
    queued: state.queued,
    connections: state.connections,
    admitted: state.admitted,
    rejected: { ...state.rejected },
    cancelled: state.cancelled,
    slotTime: state.slotTime,
    wait: state.wait.snapshot(),
    retired: state.retired,
  };
}
