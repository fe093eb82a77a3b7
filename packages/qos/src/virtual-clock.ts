import type { Clock, TimerHandle } from './clock.js';

interface VirtualTimer {
  at: number;
  seq: number;
  callback: () => void;
  armed: boolean;
}

/**
 * Simulated time for tests and simulations: time moves only when {@link VirtualClock.advance} is
 * called, and due timers run in deadline order (ties in the order they were armed).
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  // Sorted latest-first so the next due timer is popped from the end.
  #timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: VirtualTimer = {
      at: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      callback,
      armed: true,
    };
    const timers = this.#timers;
    let lo = 0;
    let hi = timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = timers[mid]!;
      // Later deadlines (and, on ties, later-armed timers) sit nearer the front.
      if (t.at > timer.at || (t.at === timer.at && t.seq > timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    timers.splice(lo, 0, timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as VirtualTimer;
    if (!timer?.armed) return;
    timer.armed = false;
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time`, running every timer due at or before it. */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.#timers.at(-1);
      if (next === undefined || next.at > time) break;
      this.#timers.pop();
      next.armed = false;
      if (next.at > this.#now) this.#now = next.at;
      next.callback();
    }
    if (time > this.#now) this.#now = time;
  }

  /** Runs timers until none is left or `limit` time is reached; returns false if timers remain. */
  runUntilIdle(limit = Number.POSITIVE_INFINITY): boolean {
    for (;;) {
      const next = this.#timers.at(-1);
      if (next === undefined) return true;
      if (next.at > limit) return false;
      this.advanceTo(next.at);
    }
  }

  /** When the next timer falls due, or `undefined` when none is armed. */
  get nextTimerAt(): number | undefined {
    return this.#timers.at(-1)?.at;
  }

  /** How many timers are armed. */
  get pendingTimers(): number {
    return this.#timers.length;
  }
}
