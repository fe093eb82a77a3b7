import { connect, type Socket } from 'node:net';
import { type Response, ResponseDecoder } from '@scalestack/memcached-protocol';
import { MAX_BACKLOG_BYTES } from './backend.js';
import type { Waiter } from './waiters.js';

/** Timeouts and limits of one backend connection. */
export interface BackendConnectionOptions {
  /** Milliseconds to establish the connection. */
  connectTimeout: number;
  /** Milliseconds a request may wait for its reply before the connection is declared failed. */
  timeout: number;
  /** Largest value accepted from the server, in bytes. */
  maxValueSize: number;
  /** Told of each value over maxValueSize the server sent (it is answered as a miss). */
  onOversizedValue?: (bytes: number) => void;
}

/**
 * One pipelined connection to a memcached server. Requests are written as they come; replies
 * arrive in the same order and go to the oldest waiter. Any failure (connect error, timeout, a
 * reply that does not parse, the server closing) fails every waiting request and the connection.
 */
export class BackendConnection {
  private readonly socket: Socket;
  private readonly decoder: ResponseDecoder;
  private readonly waiters: (Waiter | undefined)[] = [];
  private first = 0;
  private lastProgress = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private failed = false;
  private retiring = false;
  /** Retired and ended (see endRetired): its socket only finishes writing. */
  private ended = false;
  /** Clients paused until this connection's socket takes what was written (see whenDrained). */
  private readonly drainWaiters: (() => void)[] = [];
  /** Bytes the socket had handed to the kernel at the watchdog's last look (see checkTimeout). */
  private sentAtCheck = 0;
  private lastWriteProgress = Date.now();

  constructor(
    host: string,
    port: number,
    private readonly options: BackendConnectionOptions,
    /** Called once when the connection fails (not on {@link close}). */
    private readonly onFailure: (reason: string) => void,
    /** Called when a reply arrives: the server is healthy. */
    private readonly onSuccess: () => void,
  ) {
    // A stored value over the proxy's limit (appended to, or stored directly on a server that
    // takes larger items) is answered as a miss, not taken for a broken stream: that would fail
    // every request in flight here and count against the server.
    this.decoder = new ResponseDecoder(
      (r) => this.onResponse(r),
      { maxValueSize: options.maxValueSize },
      options.onOversizedValue,
    );
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setTimeout(options.connectTimeout, () =>
      this.fail(`connect timeout after ${options.connectTimeout}ms`),
    );
    this.socket.once('connect', () => this.socket.setTimeout(0));
    this.socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    this.socket.on('error', (err) => this.fail(err.message));
    this.socket.on('close', () => this.fail('connection closed by server'));
    // One coarse timer per connection rather than one per request.
    const tick = Math.max(10, Math.floor(options.timeout / 4));
    this.watchdog = setInterval(() => this.checkTimeout(), tick).unref();
  }

  /** False once the connection failed or was closed; the owner then makes a new one. */
  get usable(): boolean {
    return !this.failed && !this.ended;
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.waiters.length - this.first;
  }

  /** Bytes written and not yet taken by the socket (the server is not reading them). */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /**
   * Calls `fn` once the socket holds at most half of MAX_BACKLOG_BYTES (checked by
   * {@link checkDrained} after writes, and when it drains), or the connection is gone.
   */
  whenDrained(fn: () => void): void {
    if (this.failed || this.socket.writableLength === 0) {
      fn();
      return;
    }
    if (this.drainWaiters.length === 0) this.socket.once('drain', this.runDrainWaiters);
    this.drainWaiters.push(fn);
  }

  /**
   * After a burst of writes: waiters are let go at half the limit, so clients whose replies
   * keep the socket from ever emptying do not hold a paused one back for good.
   */
  checkDrained(): void {
    if (this.drainWaiters.length > 0 && this.socket.writableLength <= MAX_BACKLOG_BYTES / 2)
      this.runDrainWaiters();
  }

  private readonly runDrainWaiters = (): void => {
    const waiters = this.drainWaiters.splice(0);
    this.socket.off('drain', this.runDrainWaiters);
    for (const fn of waiters) fn();
  };

  /** Writes a request; `waiter` is undefined for noreply requests (nothing will come back). */
  send(parts: Buffer | Buffer[], waiter: Waiter | undefined): void {
    if (this.failed) {
      waiter?.fail('backend connection lost');
      return;
    }
    if (waiter !== undefined) {
      if (this.inFlight === 0) this.lastProgress = Date.now();
      this.waiters.push(waiter);
    }
    if (Buffer.isBuffer(parts)) this.socket.write(parts);
    else for (let i = 0; i < parts.length; i++) this.socket.write(parts[i]!);
  }

  /** Brackets a burst of {@link send}s so they leave in one write. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Closes the connection once every request written so far has its reply. */
  closeWhenIdle(): void {
    this.retiring = true;
    if (this.inFlight === 0) this.endRetired();
  }

  /**
   * A retired connection with no reply owed: ended, not destroyed — noreply requests still in
   * its socket go out first (a server that takes none of them is cut off after timeout).
   */
  private endRetired(): void {
    this.ended = true;
    this.socket.end();
    this.runDrainWaiters();
  }

  /** Closes the connection; waiting requests fail with `reason`. */
  close(reason = 'proxy shutting down'): void {
    this.failed = true;
    clearInterval(this.watchdog);
    this.socket.destroy();
    this.failWaiters(reason);
    this.runDrainWaiters();
  }

  private onResponse(response: Response): void {
    if (response.kind === 'invalid') {
      this.fail(`unparseable reply from server: ${response.reason}`);
      return;
    }
    const waiter = this.waiters[this.first];
    if (waiter === undefined) {
      this.fail('reply from server without a request');
      return;
    }
    // A long reply (a get of thousands of keys) still arriving is a server at work, not a
    // stalled one: failing it would fail every other request on this connection.
    this.lastProgress = Date.now();
    waiter.item(response);
    const finished =
      waiter.expect === 'quiet'
        ? waiter.complete === true
        : waiter.expect === 'line' || response.kind === 'end' || response.kind === 'error';
    if (!finished) return;
    this.waiters[this.first++] = undefined;
    if (this.first === this.waiters.length) {
      this.waiters.length = 0;
      this.first = 0;
    } else if (this.first > 1024 && this.first * 2 > this.waiters.length) {
      this.waiters.splice(0, this.first);
      this.first = 0;
    }
    this.onSuccess();
    waiter.end();
    if (this.retiring && this.inFlight === 0) this.endRetired();
  }

  private checkTimeout(): void {
    const now = Date.now();
    if (this.ended && this.socket.writableLength === 0) {
      clearInterval(this.watchdog);
      return;
    }
    if (this.inFlight > 0 && now - this.lastProgress > this.options.timeout) {
      this.fail(`no reply within ${this.options.timeout}ms`);
      return;
    }
    // Noreply requests expect nothing back: a server that stopped reading is seen by what it
    // leaves in the socket — bytes there, and none of them taken since the last look.
    const queued = this.socket.writableLength;
    // bytesWritten counts what was written, buffered or not: the rest went to the kernel.
    const sent = this.socket.bytesWritten - queued;
    if (queued === 0 || sent > this.sentAtCheck || this.socket.connecting) this.lastWriteProgress = now;
    else if (now - this.lastWriteProgress > this.options.timeout)
      this.fail(`server took none of ${queued} bytes within ${this.options.timeout}ms`);
    this.sentAtCheck = sent;
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    clearInterval(this.watchdog);
    this.socket.destroy();
    this.failWaiters(reason);
    this.runDrainWaiters();
    // A retired connection's end is no failure of the server.
    if (!this.ended) this.onFailure(reason);
  }

  private failWaiters(reason: string): void {
    const waiters = this.waiters.slice(this.first);
    this.waiters.length = 0;
    this.first = 0;
    for (const waiter of waiters) waiter?.fail(reason);
  }
}
