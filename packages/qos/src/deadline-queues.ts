import type { Waiter } from './waiter.js';

/** Waiters that share one queue timeout, oldest first: their deadlines are in order too. */
interface TimeoutClass {
  head: Waiter | null;
  tail: Waiter | null;
}

/**
 * Every waiter, grouped by queue timeout. Within a group, arrival order is deadline order (time
 * only moves forward), so adding and removing a waiter are O(1) linked-list operations and the
 * earliest deadline is the earliest group head: O(groups), and groups are the handful of
 * distinct `queue_timeout` values configured.
 */
export class DeadlineQueues {
  readonly #classes = new Map<number, TimeoutClass>();

  add(waiter: Waiter, timeoutMs: number): void {
    let group = this.#classes.get(timeoutMs);
    if (group === undefined) {
      group = { head: null, tail: null };
      this.#classes.set(timeoutMs, group);
    }
    waiter.timeoutClass = group;
    waiter.deadlinePrev = group.tail;
    if (group.tail === null) group.head = waiter;
    else group.tail.deadlineNext = waiter;
    group.tail = waiter;
  }

  remove(waiter: Waiter): void {
    const group = waiter.timeoutClass as TimeoutClass | null;
    if (group === null) return;
    if (waiter.deadlinePrev === null) group.head = waiter.deadlineNext;
    else waiter.deadlinePrev.deadlineNext = waiter.deadlineNext;
    if (waiter.deadlineNext === null) group.tail = waiter.deadlinePrev;
    else waiter.deadlineNext.deadlinePrev = waiter.deadlinePrev;
    waiter.deadlinePrev = null;
    waiter.deadlineNext = null;
    waiter.timeoutClass = null;
  }

  /** The waiter with the earliest deadline (ties: the older one), or `undefined`. */
  earliest(): Waiter | undefined {
    let best: Waiter | undefined;
    for (const [timeout, group] of this.#classes) {
      const head = group.head;
      // Groups of timeouts no longer in use are dropped when found empty.
      if (head === null) this.#classes.delete(timeout);
      else if (
        best === undefined ||
        head.deadline < best.deadline ||
        (head.deadline === best.deadline && head.seq < best.seq)
      ) {
        best = head;
      }
    }
    return best;
  }
}
