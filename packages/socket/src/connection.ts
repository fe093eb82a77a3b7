import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type DirectReads, setReading } from './direct-reads.js';
import { SocketTimeoutError } from './errors.js';
import { type TlsUpgradeOptions, upgradeSocket } from './tls-upgrade.js';

/** Receives every chunk read from a connection (the same Buffer the socket produced). */
export type DataHandler = (chunk: Buffer) => void;

/**
 * A thin wrapper over a `net.Socket` / `tls.TLSSocket` with explicit backpressure.
 *
 * The Connection owns the socket's `data`, `end`, `drain` and `timeout` listeners so that
 * {@link Connection.upgradeToTls} can move them to the TLS socket. Hot paths may use
 * {@link Connection.socket} directly for writes, but should read through {@link Connection.onData}.
 */
export class Connection {
  #socket: Socket;
  #onData: DataHandler | undefined;
  #onEnd: (() => void) | undefined;
  #onIdle: (() => void) | undefined;
  #idleMs = 0;
  readonly #drainListeners = new Set<() => void>();
  #drainWaiters: (() => void)[] = [];
  #closedResolve!: (err: Error | undefined) => void;
  #error: Error | undefined;
  #isClosed = false;
  #closing = false;
  #pausedWithoutHandler = false;
  /**
   * The socket reads directly (see {@link DirectReads}), not through 'data' events. Reading is
   * then started and stopped on the handle by {@link #updateReading}, never through the
   * Readable's pause/resume, whose deferred resume would start reading again after a pause.
   */
  #direct = false;
  /** Direct mode: {@link pause} was called and {@link resume} not yet. */
  #userPaused = false;
  /**
   * Direct reads not yet handed to a handler (none set, or paused), in order. Reading stops the
   * moment the handler goes or pauses, so this holds at most what libuv had already read.
   */
  #pending: Buffer[] = [];
  /** The peer's end arrived while reads were pending: passed on after them. */
  #endAfterPending = false;
  /** Direct mode: the reads, for lending (see {@link lendReads}). */
  #reads: DirectReads | undefined;

  /** Resolves once the connection is fully closed, with the error that closed it, if any. */
  readonly closed: Promise<Error | undefined>;

  /**
   * @param socket A connected socket. One created paused (`pauseOnCreate`, `pauseOnConnect`)
   *   starts reading when the first data handler is set.
   * @param reads Set when the socket reads directly through a {@link DirectReads}.
   */
  constructor(socket: Socket, reads?: DirectReads) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      this.#closedResolve = resolve;
    });
    this.#pausedWithoutHandler = socket.readableFlowing === false;
    this.#attach(socket);
    if (reads !== undefined) {
      this.#direct = true;
      this.#reads = reads;
      // Readable-level only: stops net.Socket's own read(0) after connecting from starting the
      // handle before a handler is set; reading is the handle's business from here on.
      socket.pause();
      reads.attach(this.#receive);
      this.#updateReading();
    }
  }

  /** The current raw socket (a `TLSSocket` after {@link upgradeToTls}). */
  get socket(): Socket {
    return this.#socket;
  }

  /**
   * From now on the chunks handed to the data handler may be views of memory the connection
   * reads into again (no copy per read): a chunk is valid only while the handler runs, unless
   * it calls {@link keepRead} — which it must do when it keeps a reference to the chunk or a
   * part of it, including by a write that did not go out at once ({@link writableLength} > 0
   * after it). Returns false when the connection cannot lend (it does not read directly: a TLS
   * or stream socket), and chunks stay its own to keep.
   */
  lendReads(): boolean {
    if (!this.#direct || this.#reads === undefined) return false;
    this.#reads.lend();
    return true;
  }

  /** The chunk being handled (see {@link lendReads}) is kept: the next read goes to fresh memory. */
  keepRead(): void {
    this.#reads?.keep();
  }

  /** Whether reads bypass Node's stream layer (see {@link DirectReads}); false after a TLS upgrade. */
  get readsDirectly(): boolean {
    return this.#direct;
  }

  /** Whether the connection is encrypted. */
  get encrypted(): boolean {
    return this.#socket instanceof TLSSocket;
  }

  /** The peer's IP address, or `unix` for a Unix socket peer. */
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? 'unix';
  }

  /** The peer's port (`undefined` for Unix sockets). */
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  /** `ip:port` or `unix`, for logs and errors. */
  get peer(): string {
    const { remoteAddress, remotePort } = this.#socket;
    if (remoteAddress === undefined) return 'unix';
    return remoteAddress.includes(':')
      ? `[${remoteAddress}]:${remotePort}`
      : `${remoteAddress}:${remotePort}`;
  }

  /**
   * Whether the connection has closed — or was destroyed, whose close event (and {@link closed})
   * follows a turn later: nothing can be read or written any more either way.
   */
  get isClosed(): boolean {
    return this.#isClosed || this.#socket.destroyed;
  }

  /** Bytes read from the kernel and not yet handed to the data handler (none set, or paused). */
  get readableLength(): number {
    if (!this.#direct) return this.#socket.readableLength;
    let n = 0;
    for (const chunk of this.#pending) n += chunk.length;
    return n;
  }

  /** Bytes queued for writing that the kernel has not accepted yet. */
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /**
   * Sets the handler for incoming data and starts reading. `undefined` removes it and pauses
   * reading, so no byte is lost between two handlers.
   */
  onData(handler: DataHandler | undefined): void {
    const had = this.#onData !== undefined;
    this.#onData = handler;
    if (this.#direct) {
      this.#deliverPending();
      this.#updateReading();
    } else if (handler && !had) {
      this.#socket.on('data', this.#handleData);
      if (this.#pausedWithoutHandler) {
        this.#pausedWithoutHandler = false;
        this.#socket.resume();
      }
    } else if (!handler && had) {
      this.#socket.off('data', this.#handleData);
      this.#socket.pause();
      this.#pausedWithoutHandler = true;
    }
  }

  /** Sets the handler for the peer ending its side (after the last `onData` chunk). */
  onEnd(handler: (() => void) | undefined): void {
    this.#onEnd = handler;
  }

  /**
   * Writes bytes. Returns `false` when the write buffer is above its high-water mark: stop
   * writing until {@link onDrain} fires (or {@link drained} resolves). After {@link close} or
   * {@link end} the bytes are dropped and it returns `false`: a stream written after its end
   * destroys itself, and with it the last answer still on its way.
   */
  write(data: Uint8Array | string): boolean {
    // close() ends the socket too: writableEnded covers both.
    if (this.#socket.writableEnded) return false;
    return this.#socket.write(data);
  }

  /** Calls `listener` every time the write buffer drains; returns a function that removes it. */
  onDrain(listener: () => void): () => void {
    this.#drainListeners.add(listener);
    return () => this.#drainListeners.delete(listener);
  }

  /** Resolves when the write buffer is below its high-water mark (at once if it is) or on close. */
  drained(): Promise<void> {
    if (!this.#socket.writableNeedDrain || this.#isClosed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Stops reading (the kernel's receive buffer then pushes back on the peer). */
  pause(): void {
    if (this.#direct) {
      this.#userPaused = true;
      this.#updateReading();
    } else {
      // A socket created paused resumes with its first handler, unless paused since.
      this.#pausedWithoutHandler = false;
      this.#socket.pause();
    }
  }

  /** Resumes reading. */
  resume(): void {
    if (this.#direct) {
      this.#userPaused = false;
      this.#deliverPending();
      this.#updateReading();
    } else this.#socket.resume();
  }

  /** Whether reading is paused. */
  get isPaused(): boolean {
    return this.#direct ? !this.#takesReads() : this.#socket.isPaused();
  }

  /** Buffers writes until {@link uncork}, so a burst goes out in one system call. */
  cork(): void {
    this.#socket.cork();
  }

  /** Flushes writes buffered since {@link cork}. */
  uncork(): void {
    this.#socket.uncork();
  }

  /**
   * Forwards bytes in both directions between this connection and `other` (or echoes, when
   * `other` is this connection), taking over both connections' data and end handlers, with
   * backpressure: a reader is paused while its writer's buffer is full and resumed when it
   * drains. An end is passed on as an end; a close with an error destroys the other side.
   * Returns a function that stops forwarding.
   */
  pipe(other: Connection): () => void {
    const stopForward = forward(this, other);
    if (other === this) return stopForward;
    const stopBackward = forward(other, this);
    return () => {
      stopForward();
      stopBackward();
    };
  }

  /**
   * Closes the connection when no bytes were read or written for `ms` milliseconds (0 turns
   * the timer off). `onIdle` replaces the default, which destroys the connection with a
   * {@link SocketTimeoutError}, so a protocol can say goodbye first.
   */
  setIdleTimeout(ms: number, onIdle?: () => void): void {
    this.#idleMs = ms;
    this.#onIdle = onIdle;
    this.#socket.setTimeout(ms);
  }

  /** Ends the write side after flushing (optionally writing `data` first). */
  end(data?: Uint8Array | string): void {
    if (data === undefined) this.#socket.end();
    else this.#socket.end(data);
  }

  /**
   * Closes after a last answer, as servers do after a QUIT or a protocol error: writes `data`
   * (if any), ends the write side once everything written is flushed, and from then on reads and
   * discards what the peer still sends — closing a socket with unread input would make the OS
   * send a reset that can destroy the answer in flight. The connection is destroyed when the
   * peer closes its side, or after `graceMs` (default 5 s) if it never does.
   */
  close(data?: Uint8Array | string, graceMs = 5_000): void {
    if (this.#isClosed || this.#closing) return;
    this.#closing = true;
    this.onData(discard);
    this.#onEnd = undefined;
    this.resume();
    this.end(data);
    const timer = setTimeout(() => this.destroy(), graceMs);
    void this.closed.then(() => clearTimeout(timer));
  }

  /**
   * Whether the write side is over — {@link end} or {@link close} was called, the peer's end
   * ended it, or the connection closed: what is written now is dropped, and no drain comes.
   */
  get isEnded(): boolean {
    return this.#isClosed || this.#socket.writableEnded;
  }

  /** Whether {@link close} was called: no more writes are expected. */
  get isClosing(): boolean {
    return this.#closing || this.#isClosed;
  }

  /** Closes at once, dropping unsent data; `err` becomes the value of {@link closed}. */
  destroy(err?: Error): void {
    this.#socket.destroy(err);
  }

  /**
   * Switches this connection to TLS mid-stream (MySQL's SSLRequest, STARTTLS), as the server
   * or the client. Bytes of the TLS stream that were already read — `options.buffered`, e.g.
   * the start of a ClientHello that arrived with the plaintext request — are handed to TLS,
   * as is anything still in the socket's read buffer. Data, end, drain and idle handling
   * move to the TLS socket; {@link socket} changes.
   *
   * @throws SocketTimeoutError when the handshake does not finish in `handshakeTimeout`
   */
  async upgradeToTls(options: TlsUpgradeOptions): Promise<void> {
    const raw = this.#socket;
    if (this.#direct) setReading(raw, false);
    else raw.pause();
    this.#detach(raw);
    // Direct reads that wait for a handler are TLS bytes: back into the socket, where TLS looks.
    if (this.#pending.length > 0) raw.unshift(Buffer.concat(this.#pending.splice(0)));
    let secure: TLSSocket;
    try {
      secure = await upgradeSocket(raw, options, this.peer);
    } catch (err) {
      this.#error ??= err as Error;
      throw err;
    }
    this.#socket = secure;
    // TLS reads through its own stream, whatever the plain socket did.
    this.#direct = false;
    this.#attach(secure);
    // The TLS socket may have closed before this continuation ran.
    if (secure.destroyed) this.#handleClose();
    if (this.#idleMs > 0) secure.setTimeout(this.#idleMs);
  }

  readonly #handleData = (chunk: Buffer) => {
    this.#onData?.(chunk);
  };

  /** A direct read: to the handler, or kept (and reading paused) until there is one. */
  readonly #receive = (chunk: Buffer, lent: boolean) => {
    if (this.#takesReads()) {
      this.#onData!(chunk);
      return;
    }
    // Kept for later, so not a view of memory the next read overwrites.
    this.#pending.push(lent ? Buffer.from(chunk) : chunk);
    this.#updateReading();
  };

  /** Direct mode: hands kept reads to the handler while there is one and it has not paused. */
  #deliverPending(): void {
    while (this.#pending.length > 0 && this.#onData !== undefined && !this.#userPaused)
      this.#onData(this.#pending.shift()!);
    if (this.#pending.length === 0 && this.#endAfterPending) {
      this.#endAfterPending = false;
      this.#onEnd?.();
    }
  }

  /** Direct mode: whether reads can go straight to the handler. */
  #takesReads(): boolean {
    return this.#onData !== undefined && !this.#userPaused && this.#pending.length === 0;
  }

  /** Direct mode: reads from the kernel exactly while a handler takes them. */
  #updateReading(): void {
    if (this.#direct) setReading(this.#socket, this.#takesReads());
  }

  readonly #handleEnd = () => {
    // A stream socket emits 'end' after its buffered data; direct reads keep that order here.
    if (this.#pending.length > 0) this.#endAfterPending = true;
    else this.#onEnd?.();
  };

  readonly #handleDrain = () => {
    this.#releaseDrainWaiters();
    // Over a copy: a listener that removes itself and adds itself back (it waits for the next
    // drain) would otherwise be called again by this one, for ever if the socket fills meanwhile.
    for (const listener of [...this.#drainListeners]) listener();
  };

  #releaseDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  readonly #handleTimeout = () => {
    if (this.#onIdle) this.#onIdle();
    else this.#socket.destroy(new SocketTimeoutError('idle', this.#idleMs, this.peer));
  };

  readonly #handleError = (err: Error) => {
    this.#error ??= err;
  };

  readonly #handleClose = () => {
    // Both the plain socket and, after an upgrade, the TLS socket report here: the connection
    // is closed when the socket in use is.
    if (this.#isClosed || !this.#socket.destroyed) return;
    this.#isClosed = true;
    this.#releaseDrainWaiters();
    this.#closedResolve(this.#error);
  };

  #attach(socket: Socket): void {
    if (this.#onData) socket.on('data', this.#handleData);
    socket.on('end', this.#handleEnd);
    socket.on('drain', this.#handleDrain);
    socket.on('timeout', this.#handleTimeout);
    socket.on('error', this.#handleError);
    socket.on('close', this.#handleClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#handleData);
    socket.off('end', this.#handleEnd);
    socket.off('drain', this.#handleDrain);
    socket.off('timeout', this.#handleTimeout);
    socket.setTimeout(0);
    // The error and close listeners stay: the plain socket still reports errors after the
    // upgrade, and its close is the connection's close when the upgrade fails.
  }
}

/** Input read after {@link Connection.close}: dropped. */
function discard(): void {}

/** One direction of {@link Connection.pipe}. */
function forward(from: Connection, to: Connection): () => void {
  let pausedForDrain = false;
  const removeDrain = to.onDrain(() => {
    if (pausedForDrain) {
      pausedForDrain = false;
      from.resume();
    }
  });
  from.onData((chunk) => {
    // Once the writer has ended no drain comes: the bytes are dropped and reading goes on, so
    // the reader's own end (or close) is still seen.
    if (!to.write(chunk) && !pausedForDrain && !to.isEnded) {
      pausedForDrain = true;
      from.pause();
    }
  });
  if (from !== to) {
    from.onEnd(() => to.end());
    void from.closed.then((err) => {
      if (to.isClosed) return;
      if (err) to.destroy(err);
      else to.end();
    });
    // Paused for a writer that closed before draining: read on (what comes is dropped).
    void to.closed.then(() => {
      if (!pausedForDrain) return;
      pausedForDrain = false;
      from.resume();
    });
  }
  return () => {
    removeDrain();
    from.onData(undefined);
    from.onEnd(undefined);
    // Paused for a writer that is no longer ours to wait for: the next data handler reads.
    if (pausedForDrain) from.resume();
    pausedForDrain = false;
  };
}
