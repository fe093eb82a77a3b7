import { createToken } from '@scalestack/kernel';
import type { LoopHealth } from './loop-monitor.js';

/**
 * What the `event` module tells the other modules of a kernel about the loop they run on:
 * which worker this is, how many there are, this worker's share of a global limit, and the
 * loop's health. In a single-threaded kernel it is worker 0 of 1 and `share(n)` is `n`.
 */
export interface EventLoopInfo {
  /** 0-based index of this worker. */
  readonly workerIndex: number;
  /** How many workers run the same modules (listeners use `reusePort` when more than 1). */
  readonly workerCount: number;
  /** This worker's part of a global limit: the parts over all workers add up to `total`. */
  share(total: number): number;
  /** This loop's health over the last window. */
  health(): LoopHealth;
  /** Called after every health window; returns a function that removes the listener. */
  onHealth(fn: (health: LoopHealth) => void): () => void;
  /**
   * Asks worker `index` of this group on `topic` and resolves with what its handler returned
   * (structured-cloned). Rejects when there is no such worker, it is not running, it has no
   * handler for the topic, its handler threw, or no answer came within `timeout` ms (default
   * 5 s). For rare requests between threads (a KILL aimed at another thread's client), not for
   * the data path.
   */
  ask(index: number, topic: string, message: unknown, timeout?: number): Promise<unknown>;
  /**
   * Answers the other workers' asks on `topic` (one handler per topic); `from` is the asking
   * worker's index. Returns a function that removes the handler.
   */
  answer(topic: string, handler: (message: unknown, from: number) => unknown): () => void;
}

/** The token of {@link EventLoopInfo}: `Symbol.for('scalestack:event')`. */
export const EVENT_LOOP = createToken<EventLoopInfo>('event');
