import {
  BinaryDecoder,
  END,
  encodeErrorLine,
  encodeMetaLine,
  encodeStat,
  encodeVersion,
  type Limits,
  REQUEST_MAGIC,
  type Request,
  RequestDecoder,
} from '@scalestack/memcached-protocol';
import type { Connection } from '@scalestack/socket';
import type { Backend } from './backend.js';
import { BinaryTranslator } from './binary-translator.js';
import { ReplyQueue } from './reply-queue.js';

/** What a session needs from the proxy that owns it. */
export interface SessionContext {
  readonly backend: Backend;
  readonly limits: Limits;
  /** Replies a client may have outstanding before the proxy stops reading from it. */
  readonly maxPending: number;
  /** Bytes of values the proxy may hold for one client (see ReplyQueue). */
  readonly maxReplyBytes: number;
  readonly version: string;
  /** Proxy-level numbers for `stats`. */
  stats(): Record<string, string | number>;
  /** Counts clients whose reading is paused by backpressure (+1 paused, -1 resumed). */
  pausedClients(delta: number): void;
}

const MN = encodeMetaLine('MN');

/**
 * One client connection: decodes its requests, hands them to the backend and writes the replies
 * back in request order. Reading pauses while too many replies are outstanding, the client is
 * not reading its replies, or a server it writes to is far behind (noreply requests have no
 * reply to count), so one client cannot make the proxy buffer without bound.
 */
export class ClientSession {
  private readonly decoder: RequestDecoder;
  /** Set when the client's first byte is the binary protocol's magic. */
  private binary: BinaryDecoder | undefined;
  private protocolKnown = false;
  private readonly replies: ReplyQueue;
  private quitting = false;
  private paused = false;
  /** The decoder holds the rest of what was read: as many replies are owed as allowed. */
  private held = false;
  /** A server this client wrote to is far behind (Backend.backlogged): not read until relieved. */
  private backlogged = false;
  private readonly relieve = (): void => {
    this.backlogged = false;
    this.throttle();
  };

  /** After requests went out: whether a server they went to is too far behind (Backend.backlogged). */
  private checkBacklog(): void {
    if (!this.backlogged && this.ctx.backend.backlogged?.(this.relieve)) this.backlogged = true;
  }

  constructor(
    private readonly conn: Connection,
    private readonly ctx: SessionContext,
  ) {
    this.decoder = new RequestDecoder((r) => {
      this.onRequest(r);
      this.holdAtLimit();
    }, ctx.limits);
    // Replies are written on the raw socket: the hot path skips the wrapper.
    const socket = conn.socket;
    this.replies = new ReplyQueue(
      (buf) => socket.write(buf),
      (start) => (start ? socket.cork() : socket.uncork()),
      () => this.onFlushed(),
      ctx.maxReplyBytes,
      () => socket.writableLength,
    );
    conn.onData((chunk) => {
      try {
        if (!this.protocolKnown) this.detect(chunk);
        if (this.binary !== undefined) this.binary.push(chunk);
        else this.decoder.push(chunk);
      } catch (err) {
        // A request the codec let through but cannot forward is a bug to fix, not a reason to
        // take every other client down with the process: this client alone is closed.
        conn.destroy(err as Error);
        return;
      } finally {
        ctx.backend.flush();
      }
      this.checkBacklog();
      this.throttle();
    });
    conn.onEnd(() => this.finish());
    conn.onDrain(() => this.throttle());
    void conn.closed.then(() => {
      if (this.paused) ctx.pausedClients(-1);
      this.paused = false;
      this.quitting = true;
    });
  }

  /**
   * One read can hold thousands of requests: decoding stops at the limit, not after the read —
   * and once the client's socket is full, as replies answered at once (stats, version, errors)
   * never count as pending and would fill it with all the read asks for.
   */
  private holdAtLimit(): void {
    if (this.held || (this.replies.pending < this.ctx.maxPending && !this.conn.socket.writableNeedDrain))
      return;
    this.held = true;
    (this.binary ?? this.decoder).hold();
  }

  /** memcached tells the protocols apart by the first byte; so do we. */
  private detect(chunk: Buffer): void {
    this.protocolKnown = true;
    if (chunk[0] !== REQUEST_MAGIC) return;
    const translator = new BinaryTranslator({
      backend: this.ctx.backend,
      version: this.ctx.version,
      stats: () => this.ctx.stats(),
      reply: () => this.replies.add(),
      finish: () => this.finish(),
    });
    const maxBody = this.ctx.limits.maxValueSize + this.ctx.limits.maxKeyLength + 64;
    this.binary = new BinaryDecoder(
      (event) => {
        if (this.quitting) return;
        if (event.kind === 'packet') translator.handle(event.packet);
        else if (event.kind === 'too-large') translator.tooLarge(event.opcode, event.opaque);
        else this.conn.destroy();
        this.holdAtLimit();
      },
      REQUEST_MAGIC,
      maxBody,
    );
  }

  private onRequest(request: Request): void {
    if (this.quitting) return;
    switch (request.kind) {
      case 'error':
        if (!request.noreply) this.replies.add().done(encodeErrorLine(request.line));
        return;
      case 'quit':
        this.finish();
        return;
      case 'version':
        this.replies.add().done(encodeVersion(this.ctx.version));
        return;
      case 'stats':
        this.replies.add().done(this.statsReply(request.args));
        return;
      case 'meta':
        if (request.command === 'mn') {
          this.replies.add().done(MN);
          return;
        }
        this.ctx.backend.handle(request, this.replies.add());
        return;
      default: {
        const noreply = 'noreply' in request && request.noreply;
        this.ctx.backend.handle(request, noreply ? undefined : this.replies.add());
      }
    }
  }

  private statsReply(args: string[]): Buffer | Buffer[] {
    if (args.length > 0) return encodeErrorLine('CLIENT_ERROR only plain stats is supported by the proxy');
    const parts: Buffer[] = [];
    const all = { ...this.ctx.stats(), ...this.ctx.backend.stats() };
    for (const [name, value] of Object.entries(all)) parts.push(encodeStat(name, value));
    parts.push(END);
    return parts;
  }

  /**
   * Stops reading; the connection ends once every reply before this point is written (quit,
   * the client's own end, the proxy draining).
   */
  finish(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.conn.pause();
    if (this.replies.pending === 0) this.conn.close();
  }

  /** Bytes of replies held for this client: values kept, and what its socket has not taken. */
  get replyBytes(): number {
    return this.replies.claimed + this.conn.socket.writableLength;
  }

  /** Resolves once the client connection has closed. */
  get closed(): Promise<unknown> {
    return this.conn.closed;
  }

  private onFlushed(): void {
    if (this.quitting) {
      if (this.replies.pending === 0 && !this.conn.isClosed) this.conn.close();
    } else this.throttle();
  }

  private throttle(): void {
    if (this.quitting) return;
    if (this.held && this.replies.pending < this.ctx.maxPending && !this.conn.socket.writableNeedDrain) {
      // Room again: decode what was held back (it may hold again), and send it.
      this.held = false;
      (this.binary ?? this.decoder).release();
      this.ctx.backend.flush();
      this.checkBacklog();
    }
    const full =
      this.held ||
      this.backlogged ||
      this.replies.pending >= this.ctx.maxPending ||
      this.conn.socket.writableNeedDrain;
    if (full && !this.paused) {
      this.paused = true;
      this.ctx.pausedClients(1);
      this.conn.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.ctx.pausedClients(-1);
      this.conn.resume();
    }
  }
}
