/** Per-request options of `QosScheduler.acquire`. */
export interface AcquireOptions {
  /** Aborting it takes the request out of the queue; the callback gets `'cancelled'`. */
  signal?: AbortSignal;
  /** `false`: refuse with `'no_capacity'` instead of queueing when no slot is free. */
  wait?: boolean;
}
