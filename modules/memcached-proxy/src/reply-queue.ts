/** Where a backend delivers one complete reply (text protocol bytes). */
export interface ReplySink {
  done(parts: Buffer[] | Buffer): void;
}

/**
 * One pending reply. Replies may complete in any order (different servers answer at different
 * speeds); the queue writes them to the client in request order.
 */
export class Reply implements ReplySink {
  /** Set when complete: the buffers to write, in order. */
  parts: Buffer[] | Buffer | undefined = undefined;
  next: Reply | undefined = undefined;

  constructor(private readonly queue: ReplyQueue) {}

  /** Completes this reply; it is written as soon as every earlier reply has been. */
  done(parts: Buffer[] | Buffer): void {
    if (this.parts !== undefined) return;
    this.parts = parts;
    this.queue.flush();
  }
}

/** The ordered replies of one client connection. */
export class ReplyQueue {
  private head: Reply | undefined = undefined;
  private tail: Reply | undefined = undefined;
  /** Replies added and not yet written. */
  pending = 0;

  /**
   * `write` sends one buffer to the client; `burst(true|false)` brackets a run of writes so the
   * socket can cork them into one syscall; `flushed` runs after every flush (the session checks
   * backpressure there).
   */
  constructor(
    private readonly write: (buf: Buffer) => void,
    private readonly burst: (start: boolean) => void,
    private readonly flushed: () => void,
  ) {}

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
      this.pending--;
      head = head.next;
    }
    this.head = head;
    if (head === undefined) this.tail = undefined;
    this.burst(false);
    this.flushed();
  }
}
