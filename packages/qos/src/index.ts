export type { AcquireOptions } from './acquire-options.js';
export { type Clock, systemClock, type TimerHandle } from './clock.js';
export { QosConfigError } from './config-error.js';
export { parseDurationMs } from './duration.js';
export type { Lease } from './lease.js';
export { type MetricFamily, toMetricFamilies } from './metric-families.js';
export type { SchedulerMetrics, TenantMetrics } from './metrics.js';
export {
  QosRefusedError,
  REJECTION_REASONS,
  type RefusalReason,
  type RejectionReason,
  refusalMessage,
} from './refusal.js';
export { QosScheduler, type SchedulerOptions } from './scheduler.js';
export type { TenantSession } from './session.js';
export {
  type InFlightLimit,
  parseTenantConfig,
  type RateConfig,
  slotCap,
  TENANT_DEFAULTS,
  type TenantConfig,
  type TenantSettings,
} from './tenant-config.js';
export { TokenBucket } from './token-bucket.js';
export { VirtualClock } from './virtual-clock.js';
export { WAIT_BUCKETS_MS, type WaitHistogramSnapshot } from './wait-histogram.js';
export type { AcquireCallback, Ticket } from './waiter.js';
