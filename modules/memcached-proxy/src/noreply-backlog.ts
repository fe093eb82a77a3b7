import { MAX_BACKLOG_BYTES } from './backend.js';
import type { ReplySink } from './reply-queue.js';

/** What a request costs beside its key and value: ioredis's command object and its queue entry. */
const PER_REQUEST_BYTES = 256;

/**
 * The noreply requests a server has taken and not answered yet, in bytes. A backend whose
 * server answers every command (Redis) gives each noreply request a sink from {@link track}
 * that drops the answer and counts it off; {@link backlogged} pauses the client once more than
 * {@link MAX_BACKLOG_BYTES} are outstanding, and lets it go on at half that.
 */
export class NoreplyBacklog {
  private bytes = 0;
  private waiters: (() => void)[] = [];
  /** A request was tracked since the last {@link backlogged}: the client asking now sent it. */
  private tracked = false;

  /** Bytes outstanding now. */
  get outstanding(): number {
    return this.bytes;
  }

  /** A sink for one noreply request of about `size` bytes: its answer is dropped. */
  track(size: number): ReplySink {
    const cost = size + PER_REQUEST_BYTES;
    this.bytes += cost;
    this.tracked = true;
    let open = true;
    return {
      done: () => {
        if (!open) return;
        open = false;
        this.bytes -= cost;
        if (this.waiters.length > 0 && this.bytes <= MAX_BACKLOG_BYTES / 2) this.relieve();
      },
    };
  }

  /**
   * Whether the client whose read just went out must wait: only one that sent noreply requests
   * in it, while too many are outstanding (a client waiting for its replies is bounded by them).
   */
  backlogged(onRelief: () => void): boolean {
    const sent = this.tracked;
    this.tracked = false;
    if (!sent || this.bytes <= MAX_BACKLOG_BYTES) return false;
    this.waiters.push(onRelief);
    return true;
  }

  private relieve(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const fn of waiters) fn();
  }
}
