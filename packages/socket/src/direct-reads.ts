import { Socket as NetSocket, type Socket } from 'node:net';

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
 * The read side of one direct-read socket: copies each read out of the shared
 * {@link ReadBuffer} and hands it to its consumer, keeping what arrives before there is one.
 */
export class DirectReads {
  #consumer: ((chunk: Buffer) => void) | undefined;
  #early: Buffer[] = [];

  constructor(private readonly buffer: ReadBuffer) {}

  /** The `onread` option of `net.connect` / `new net.Socket` for a socket reading through this. */
  get onread(): { buffer: Buffer; callback: (nread: number, buf: Buffer) => boolean } {
    return { buffer: this.buffer.bytes, callback: this.#onRead };
  }

  /** Sets who receives the reads (a Connection); reads that came earlier go first. */
  attach(consumer: (chunk: Buffer) => void): void {
    this.#consumer = consumer;
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) consumer(chunk);
  }

  readonly #onRead = (nread: number, buf: Buffer): boolean => {
    // The next read on any socket of this thread overwrites `buf`: the consumer gets a copy.
    const chunk = Buffer.allocUnsafe(nread);
    buf.copy(chunk, 0, 0, nread);
    if (this.#consumer !== undefined) this.#consumer(chunk);
    else this.#early.push(chunk);
    return true;
  };
}

/** The part of Node's socket handle (TCPWrap / PipeWrap) that direct reads rely on. */
interface StreamHandle {
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
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
): { socket: Socket; reads: DirectReads } | undefined {
  const handle = handleOf(socket);
  if (handle === undefined) return undefined;
  const reads = new DirectReads(buffer);
  (socket as unknown as { _handle: unknown })._handle = null;
  const adopted = new NetSocket({
    handle: handle as never,
    readable: true,
    writable: true,
    pauseOnCreate: true,
    onread: reads.onread,
  } as ConstructorParameters<typeof NetSocket>[0]);
  // With no handle, destroy() only releases the old object (and the server's count of it).
  socket.destroy();
  return { socket: adopted, reads };
}
