import type { Lease } from './lease.js';
import type { RefusalReason } from './refusal.js';
import type { TenantState } from './tenant-state.js';

/**
 * Called exactly once per request: with a lease when a slot is granted, or with a reason when
 * the request is refused. Not called after the caller's own {@link Ticket.cancel}.
 */
export type AcquireCallback = (lease: Lease | null, refusal: RefusalReason | null) => void;

/** A queued request's handle: the caller uses it to leave the queue (e.g. on disconnect). */
export interface Ticket {
  /** The tenant the request is queued under. */
  readonly tenant: string;
  /**
   * How long it may wait, in milliseconds: its tenant's queue timeout when it queued (a reload
   * since does not change it).
   */
  readonly timeout: number;
  /**
   * Leaves the queue at once, without calling the callback. Returns false when the request was
   * already granted, refused or cancelled (then the callback has run, or will not run).
   */
  cancel(): boolean;
}

/** @internal What a waiter needs from its scheduler. */
export interface WaiterOwner {
  cancelWaiter(waiter: Waiter, notify: boolean): boolean;
}

/**
 * @internal A queued request: a node in its tenant's FIFO and in its timeout group's FIFO (both
 * doubly linked for O(1) removal). Also the AbortSignal listener (no closure per wait).
 */
export class Waiter implements Ticket {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  deadlinePrev: Waiter | null = null;
  deadlineNext: Waiter | null = null;
  /** The DeadlineQueues group holding this waiter, or null once out. */
  timeoutClass: unknown = null;
  settled = false;

  constructor(
    readonly owner: WaiterOwner,
    readonly state: TenantState,
    readonly callback: AcquireCallback,
    readonly enqueuedAt: number,
    readonly timeout: number,
    readonly deadline: number,
    readonly seq: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  get tenant(): string {
    return this.state.name;
  }

  cancel(): boolean {
    return this.owner.cancelWaiter(this, false);
  }

  /** AbortSignal listener. */
  handleEvent(): void {
    this.owner.cancelWaiter(this, true);
  }
}
