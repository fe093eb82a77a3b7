import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  timeout?: number;
  /** What is being waited for, used in the timeout message: `MariaDB on port 3306 to accept`. */
  what?: string;
  /** Milliseconds between polls (default 25). */
  interval?: number;
}

/**
 * Polls `predicate` until it returns (or resolves to) a truthy value and returns that value.
 * A predicate that throws counts as "not yet"; the last error is quoted in the timeout message.
 * This synchronises on a condition; it is not a sleep.
 *
 * @throws Error `timed out after <ms>ms waiting for <what>` when the condition never holds
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeout = 10_000, what = 'a condition', interval = 25 }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeout}ms waiting for ${what}${cause}`);
    }
    await delay(interval);
  }
}
