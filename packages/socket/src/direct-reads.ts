import { Socket as NetSocket, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** Default size of a {@link ReadBuffer}: what one read system call can return at most. */
export const READ_BUFFER_SIZE = 64 * 1024;

/**
 * The memory the kernel reads into for every plain socket of one thread that reads directly
 * (Node's `onread` option) instead of through Node's stream layer.
 *
 * A stream socket allocates a fresh 64 KiB buffer for each read and passes it through
 * `Readable.push`, an event emission and a deferred `maybeReadMore` — several microseconds per
 * read, which for a proxy forwarding small packets is most of its JavaScript time (40 % of
 * the user CPU of a plain Node pipe here: see test/bench/RESULTS.md). A direct read lands in
 * this buffer and is copied out at once into a buffer just big enough, so one ReadBuffer
 * serves any number of sockets as long as they are all on the same thread.
 */
export class ReadBuffer {
  readonly bytes: Buffer;

  constructor(size = READ_BUFFER_SIZE) {
    if (!(size >= 1024)) throw new RangeError(`ReadBuffer size must be >= 1024, got ${size}`);
    this.bytes = Buffer.allocUnsafe(size);
  }
}

/**
 * Receives a direct read. `lent`: the chunk is a view of memory the socket reads into again —
 * valid during the call only, unless the receiver calls {@link DirectReads.keep}.
 */
export type DirectReadConsumer = (chunk: Buffer, lent: boolean) => void;

/**
 * The read side of one direct-read socket: copies each read out of the shared
 * {@link ReadBuffer} and hands it to its Connection. The socket is created with this before the
 * Connection exists, so it must not read until {@link attach} (`listen` creates it paused,
 * `connect` pauses it while connecting); what a Connection does not take yet, it keeps.
 *
 * A socket that carries much (a proxy's connection to a database server, whose results it
 * forwards) may instead {@link lend}: it reads into a buffer of its own and hands out views of
 * it, with no copy. Copies of every read are what made the garbage collector run full
 * collections several times a second under load (each copy is memory outside the JavaScript
 * heap, which V8 answers with mark-compacts): see test/bench/RESULTS.md.
 */
export class DirectReads {
  #consumer: DirectReadConsumer | undefined;
  /** Lending: the buffer this socket reads into from its next read on. */
  #own: Buffer | undefined;
  /** The view handed out by the read being delivered was kept (see {@link keep}). */
  #kept = false;
  /** Overwrites lent memory once the consumer is done with it, so that a view kept without {@link keep} shows. */
  readonly #poison = process.env.SCALESTACK_POISON_LENT_READS === '1';

  constructor(private readonly buffer: ReadBuffer) {}

  /**
   * The `onread` option of `net.connect` / `new net.Socket` for a socket reading through this.
   * Node asks `buffer` for the memory of the socket's next read after every read.
   */
  get onread(): { buffer: () => Buffer; callback: (nread: number, buf: Buffer) => boolean } {
    return { buffer: this.#nextBuffer, callback: this.#onRead };
  }

  /** Sets who receives the reads (a Connection). */
  attach(consumer: DirectReadConsumer): void {
    this.#consumer = consumer;
  }

  /**
   * From the read after next on (the next one lands where the socket was told to read already),
   * reads go into a buffer of this socket's own and are handed out as views of it: valid only
   * while the consumer handles them, unless it calls {@link keep}.
   */
  lend(): void {
    this.#own ??= Buffer.allocUnsafeSlow(this.buffer.bytes.length);
  }

  /**
   * The view being handed out must stay as it is after its consumer returns (a write of it that
   * did not go out at once, a reference kept): this socket reads into fresh memory from now on.
   */
  keep(): void {
    this.#kept = true;
  }

  readonly #nextBuffer = (): Buffer => this.#own ?? this.buffer.bytes;

  readonly #onRead = (nread: number, buf: Buffer): boolean => {
    const consumer = this.#consumer;
    if (consumer === undefined) throw new Error('a direct-read socket read before its Connection existed');
    if (buf !== this.#own) {
      // The next read on any socket of this thread overwrites `buf`: the consumer gets a copy.
      const chunk = Buffer.allocUnsafe(nread);
      buf.copy(chunk, 0, 0, nread);
      consumer(chunk, false);
      return true;
    }
    this.#kept = false;
    consumer(buf.subarray(0, nread), true);
    if (this.#kept) {
      // Whoever kept the view owns that memory now; Node asks #nextBuffer after this returns.
      this.#own = Buffer.allocUnsafeSlow(buf.length);
      this.#kept = false;
    } else if (this.#poison) buf.fill(0xee, 0, nread);
    return true;
  };
}

/** The part of Node's socket handle (TCPWrap / PipeWrap) that direct reads rely on. */
interface StreamHandle {
  /** Node's own record of whether the handle reads (net.Socket keeps it in step). */
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

/**
 * Starts or stops a direct-read socket's reading on its handle, the way net.Socket's own
 * pause/resume do for `onread` sockets but without the Readable state machine: a Readable
 * resume defers a `read(0)` to the next tick, and on an `onread` socket that read restarts the
 * handle even if it was paused in between.
 */
export function setReading(socket: Socket, on: boolean): void {
  const handle = handleOf(socket);
  if (handle === undefined || socket.destroyed || handle.reading === on) return;
  handle.reading = on;
  const err = on ? handle.readStart() : handle.readStop();
  if (err) {
    const syscall = on ? 'readStart' : 'readStop';
    const code = getSystemErrorName(err);
    socket.destroy(Object.assign(new Error(`${syscall} failed: ${code}`), { code, errno: err, syscall }));
  }
}

/** The fields by which a net.Server and the sockets it accepted know each other. */
interface ServerSocket {
  _handle: unknown;
  server: unknown;
  _server: { _connections?: number } | null;
}

function handleOf(socket: Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (
    handle == null ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function'
  )
    return undefined;
  return handle as StreamHandle;
}

/**
 * Moves a socket that a `net.Server` accepted (created paused: `pauseOnConnect`) onto a new
 * socket that reads through `buffer`. Node takes the `onread` option only when it creates a
 * socket, and a server creates its sockets without it, so the accepted handle is re-wrapped.
 * The original socket object is retired without closing the handle (which it no longer owns).
 *
 * Returns `undefined`, leaving the socket as it is, when this Node's handles do not support
 * user buffers; the caller then reads through the stream layer.
 */
export function adoptForDirectReads(
  socket: Socket,
  buffer: ReadBuffer,
  allowHalfOpen = false,
): { socket: Socket; reads: DirectReads } | undefined {
  const handle = handleOf(socket);
  if (handle === undefined) return undefined;
  const reads = new DirectReads(buffer);
  const old = socket as unknown as ServerSocket;
  old._handle = null;
  const adopted = new NetSocket({
    handle: handle as never,
    readable: true,
    writable: true,
    pauseOnCreate: true,
    allowHalfOpen,
    onread: reads.onread,
  } as ConstructorParameters<typeof NetSocket>[0]) as unknown as ServerSocket;
  // The server counts its connections through its sockets (server.close() waits for them,
  // getConnections() reports them): the new socket takes the old one's place in that count.
  const server = old._server;
  if (server != null && typeof server._connections === 'number') {
    adopted.server = adopted._server = server;
    server._connections++;
  }
  // With no handle, destroy() only releases the old object (and its place in the count).
  socket.destroy();
  return { socket: adopted as unknown as Socket, reads };
}
