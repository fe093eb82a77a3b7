/**
 * The pure reads a client ran on shared connections since its last other statement. Others'
 * statements have run on those connections since, so a statement that asks about them (SHOW
 * WARNINGS, FOUND_ROWS()) finds their answers gone: the proxy runs them again first, on a
 * connection the client holds (see ClientSession.replay). A ring of reused slots, so that
 * remembering a read — once per shared read, the hot path — allocates nothing.
 */
import type { ClientStatement } from './client-statements.js';

/** Pure reads kept, at most: those before them are not run again. */
export const MAX_REPLAYED_READS = 8;
/** Larger reads are not kept for running again (memory). */
export const MAX_REPLAYED_READ_SIZE = 16 * 1024;

/** A pure read that ran on a shared connection. */
export interface PreviousRead {
  /** The command as the client sent it (an execute's statement id is written back on replay). */
  payload: Buffer;
  /** The client's statement, for an execute: kept for the replay even if the client closed it since. */
  statement: ClientStatement | undefined;
}

export class ReadHistory {
  private readonly slots: PreviousRead[] = [];
  private start = 0;
  private count = 0;

  /** Reads kept, oldest first from {@link at}(0). */
  get length(): number {
    return this.count;
  }

  /** The `i`-th read kept, 0 the oldest. */
  at(i: number): PreviousRead {
    return this.slots[(this.start + i) % MAX_REPLAYED_READS]!;
  }

  /** Forgets every read: a statement that is not a pure read starts the server's "previous statement" afresh. */
  clear(): void {
    this.count = 0;
  }

  /**
   * Keeps a read that just ran on a shared connection; the oldest goes when the ring is full. One
   * over {@link MAX_REPLAYED_READ_SIZE} empties it instead: a statement asking about it then runs
   * without the replay.
   */
  remember(payload: Buffer, statement: ClientStatement | undefined): void {
    if (payload.length > MAX_REPLAYED_READ_SIZE) {
      this.count = 0;
      return;
    }
    let at: number;
    if (this.count < MAX_REPLAYED_READS) {
      at = (this.start + this.count++) % MAX_REPLAYED_READS;
    } else {
      at = this.start;
      this.start = (this.start + 1) % MAX_REPLAYED_READS;
    }
    const slot = this.slots[at];
    if (slot === undefined) this.slots[at] = { payload, statement };
    else {
      slot.payload = payload;
      slot.statement = statement;
    }
  }
}
