/**
 * Upper bounds (milliseconds) of the wait-time buckets. The first bucket, 0, counts admissions
 * that did not wait at all; the last, implicit, bucket is +Inf.
 */
export const WAIT_BUCKETS_MS: readonly number[] = [
  0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
];

/** A plain snapshot of a {@link WaitHistogram}. */
export interface WaitHistogramSnapshot {
  /** Bucket upper bounds in milliseconds, as {@link WAIT_BUCKETS_MS}; the +Inf bucket is implied. */
  bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; one more than `bounds` (the last is +Inf). */
  counts: number[];
  /** Sum of all observed waits, milliseconds. */
  sum: number;
  count: number;
}

/** A fixed-bucket histogram of wait times: one array write per observation. */
export class WaitHistogram {
  readonly #counts = new Float64Array(WAIT_BUCKETS_MS.length + 1);
  #sum = 0;
  #count = 0;

  observe(ms: number): void {
    let i = 0;
    const n = WAIT_BUCKETS_MS.length;
    while (i < n && ms > WAIT_BUCKETS_MS[i]!) i++;
    this.#counts[i]!++;
    this.#sum += ms;
    this.#count++;
  }

  snapshot(): WaitHistogramSnapshot {
    return { bounds: WAIT_BUCKETS_MS, counts: Array.from(this.#counts), sum: this.#sum, count: this.#count };
  }
}
