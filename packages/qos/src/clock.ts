/** An opaque handle returned by {@link Clock.setTimer}. */
export type TimerHandle = unknown;

/**
 * Where the scheduler reads time and arms its single timer. Injected so tests (and simulations)
 * can run the scheduler on virtual time, deterministically.
 */
export interface Clock {
  /** Monotonic time in milliseconds. */
  now(): number;
  /** Calls `callback` once, after `delayMs` milliseconds. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer armed by {@link Clock.setTimer}; a fired or cleared handle is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The longest delay `setTimeout` takes: Node fires a longer one after 1 ms instead (with a
 * warning). A timer capped to it fires early, and the scheduler re-arms for what is left.
 */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Real time: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.min(delayMs, MAX_TIMER_DELAY)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
