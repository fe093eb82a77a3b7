/**
 * Why a request was not given a slot. Each is decided at once (or, for `queue_timeout`, exactly
 * when the wait runs out) and reported through the acquire callback.
 */
export type RefusalReason =
  /** The tenant already has `max_queued` requests waiting. */
  | 'queue_full'
  /** The tenant's token bucket (`rate`) is empty. */
  | 'rate_limited'
  /** The request waited `queue_timeout` without getting a slot. */
  | 'queue_timeout'
  /** The tenant already has `max_connections` connections (from `connect`). */
  | 'connection_limit'
  /** No slot was free and the caller asked not to wait (`wait: false`). */
  | 'no_capacity'
  /** No slot was free and the scheduler is shedding load (`setShedding(true)`). */
  | 'shedding'
  /** The caller's AbortSignal fired (before or while waiting). */
  | 'cancelled'
  /** The scheduler was closed. */
  | 'closed';

/** Refusals decided by the scheduler (a cancellation is the caller's decision, counted apart). */
export type RejectionReason = Exclude<RefusalReason, 'cancelled'>;

/** Every rejection reason, in a stable order (metrics use it). */
export const REJECTION_REASONS: readonly RejectionReason[] = [
  'queue_full',
  'rate_limited',
  'queue_timeout',
  'connection_limit',
  'no_capacity',
  'shedding',
  'closed',
];

const MESSAGES: Record<RefusalReason, string> = {
  queue_full: 'too many requests are already queued',
  rate_limited: 'request rate limit exceeded',
  queue_timeout: 'timed out waiting for a free slot',
  connection_limit: 'too many connections',
  no_capacity: 'no free slot and the caller asked not to wait',
  shedding: 'server is shedding load',
  cancelled: 'request was cancelled',
  closed: 'scheduler is closed',
};

/** A human-readable message for a refusal, e.g. for a protocol error packet. */
export function refusalMessage(reason: RefusalReason, tenant: string): string {
  return `tenant '${tenant}': ${MESSAGES[reason]}`;
}

/** The error the Promise API rejects with (the callback API passes the bare reason instead). */
export class QosRefusedError extends Error {
  /** `QOS_QUEUE_FULL`, `QOS_RATE_LIMITED`, … */
  readonly code: string;

  constructor(
    readonly reason: RefusalReason,
    readonly tenant: string,
  ) {
    super(refusalMessage(reason, tenant));
    this.name = 'QosRefusedError';
    this.code = `QOS_${reason.toUpperCase()}`;
  }
}
