import { REJECTION_REASONS, type RejectionReason } from './refusal.js';
import { slotCap, type TenantSettings } from './tenant-config.js';
import { TokenBucket } from './token-bucket.js';
import { WaitHistogram } from './wait-histogram.js';
import type { Waiter } from './waiter.js';

/** @internal A tenant's live state: its queue, counters and place in the fair-share order. */
export class TenantState {
  settings!: TenantSettings;
  weight = 1;
  priority = 0;
  /** Effective `max_in_flight` in slots for the current pool size. */
  cap = 0;
  bucket: TokenBucket | null = null;
  /** Removed from the configuration: serves what it holds and queues, takes nothing new. */
  retired = false;

  inFlight = 0;
  queued = 0;
  connections = 0;
  head: Waiter | null = null;
  tail: Waiter | null = null;

  /**
   * Virtual time at which this tenant's next request starts (SFQ start tag of its head): every
   * grant advances it by cost / weight.
   */
  tag = 0;
  /** Ready-heap position (-1: not waiting, or waiting but at its cap). */
  heapIndex = -1;
  /** Order in which tenants became ready; breaks ties between equal tags. */
  readySeq = 0;
  /** Exponentially weighted mean hold time (ms), used as the cost charged at grant time. */
  holdEstimate = -1;

  admitted = 0;
  cancelled = 0;
  readonly rejected: Record<RejectionReason, number>;
  /** Total slot-milliseconds held by released leases. */
  slotTime = 0;
  readonly wait = new WaitHistogram();

  constructor(readonly name: string) {
    const rejected = {} as Record<RejectionReason, number>;
    for (const reason of REJECTION_REASONS) rejected[reason] = 0;
    this.rejected = rejected;
  }

  /** Applies (new) settings; the token bucket keeps the tokens it has, up to the new burst. */
  configure(settings: TenantSettings, poolSlots: number, now: number): void {
    this.settings = settings;
    this.weight = settings.weight;
    this.priority = settings.priority;
    this.cap = slotCap(settings.maxInFlight, poolSlots);
    const rate = settings.rate;
    if (rate === null) this.bucket = null;
    else if (this.bucket === null) this.bucket = new TokenBucket(rate.perSecond, rate.burst, now);
    else this.bucket.reconfigure(rate.perSecond, rate.burst, now);
  }

  /** Nothing queued, held or connected: a retired tenant in this state can be forgotten. */
  get idle(): boolean {
    return this.inFlight === 0 && this.queued === 0 && this.connections === 0;
  }

  push(waiter: Waiter): void {
    waiter.prev = this.tail;
    if (this.tail === null) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.queued++;
  }

  unlink(waiter: Waiter): void {
    if (waiter.prev === null) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = null;
    waiter.next = null;
    this.queued--;
  }
}
