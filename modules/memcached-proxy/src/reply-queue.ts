/** Where a backend delivers one complete reply (text protocol bytes). */
export interface ReplySink {
  done(parts: Buffer[] | Buffer): void;
  /**
   * Asked before a value is kept for this reply: false when holding `bytes` more would take the
   * client past its budget (see ReplyQueue). The reply is then OUT_OF_MEMORY, as memcached
   * answers a get it has no memory for, and what it kept is dropped. Sinks without it are
   * one-off wrappers whose replies carry no values.
   */
  claim?(bytes: number): boolean;
}

/**
 * One pending reply. Replies may complete in any order (different servers answer at different
 * speeds); the queue writes them to the client in request order.
 */
export class Reply implements ReplySink {
  /** Set when complete: the buffers to write, in order. */
  parts: Buffer[] | Buffer | undefined = undefined;
  next: Reply | undefined = undefined;
  /** Bytes claimed for this reply, counted by the queue until it is written. */
  claimed = 0;

  constructor(private readonly queue: ReplyQueue) {}

  claim(bytes: number): boolean {
    return this.queue.claim(this, bytes);
  }

  /** Completes this reply; it is written as soon as every earlier reply has been. */
  done(parts: Buffer[] | Buffer): void {
    if (this.parts !== undefined) return;
    this.parts = parts;
    this.queue.flush();
  }
}

/**
 * The ordered replies of one client connection. Values kept for it — collected, waiting behind
 * an earlier reply, or written and not yet taken by its socket — stay within `budget` bytes:
 * pausing the client only stops new requests, and the up to client_max_pending already sent can
 * each bring back megabytes the client may never read.
 */
export class ReplyQueue {
  private head: Reply | undefined = undefined;
  private tail: Reply | undefined = undefined;
  /** Replies added and not yet written. */
  pending = 0;
  /** Bytes claimed by replies not yet written. */
  claimed = 0;

  /**
   * `write` sends one buffer to the client; `burst(true|false)` brackets a run of writes so the
   * socket can cork them into one syscall; `flushed` runs after every flush (the session checks
   * backpressure there); `unwritten` is what the client's socket still holds.
   */
  constructor(
    private readonly write: (buf: Buffer) => void,
    private readonly burst: (start: boolean) => void,
    private readonly flushed: () => void,
    private readonly budget: number,
    private readonly unwritten: () => number,
  ) {}

  /** See ReplySink.claim; a refused reply's bytes are released at once. */
  claim(reply: Reply, bytes: number): boolean {
    if (this.claimed + this.unwritten() + bytes <= this.budget) {
      reply.claimed += bytes;
      this.claimed += bytes;
      return true;
    }
    this.claimed -= reply.claimed;
    reply.claimed = 0;
    return false;
  }

  /** Reserves the next reply slot. */
  add(): Reply {
    const reply = new Reply(this);
    if (this.tail === undefined) this.head = reply;
    else this.tail.next = reply;
    this.tail = reply;
    this.pending++;
    return reply;
  }

  /** Writes every complete reply at the head of the queue. */
  flush(): void {
    let head = this.head;
    if (head === undefined || head.parts === undefined) return;
    // The common case, one single-buffer reply, needs no corking.
    const single = Buffer.isBuffer(head.parts) && (head.next === undefined || head.next.parts === undefined);
    if (single) {
      this.write(head.parts as Buffer);
      this.claimed -= head.claimed;
      this.pending--;
      this.head = head.next;
      if (this.head === undefined) this.tail = undefined;
      this.flushed();
      return;
    }
    this.burst(true);
    while (head !== undefined && head.parts !== undefined) {
      const parts = head.parts;
      if (Buffer.isBuffer(parts)) this.write(parts);
      else for (let i = 0; i < parts.length; i++) this.write(parts[i]!);
      this.claimed -= head.claimed;
      this.pending--;
      head = head.next;
    }
    this.head = head;
    if (head === undefined) this.tail = undefined;
    this.burst(false);
    this.flushed();
  }
}
