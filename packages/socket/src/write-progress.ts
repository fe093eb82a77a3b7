import type { Socket } from 'node:net';

/** The part of a libuv stream handle this reads: bytes of the write in flight not yet sent. */
interface QueuedHandle {
  readonly writeQueueSize?: number;
  /** On a TLS socket's handle (TLSWrap): the TCP handle the encrypted bytes go out through. */
  readonly _parent?: QueuedHandle | null;
}

/**
 * A number that changes whenever the kernel takes more of what was written to `socket` and not
 * yet sent — for telling a peer that reads slowly from one that reads nothing (a send or
 * net-write timeout), by sampling it now and then and seeing whether it moved.
 *
 * The public counters move only when a write completes whole (`bytesWritten − writableLength`),
 * so a single large write to a slow but live reader looks stuck until its last byte is taken.
 * libuv's write queue shrinks with every partial write, so it counts too; it is read from the
 * handle, where Node keeps it up to date, and taken as 0 once the handle is gone. A TLS
 * socket's own handle reports its whole write as queued until it completes, so there the queue
 * of the TCP handle beneath it is read (encrypted bytes). It is a mark, not a byte count:
 * compare it for change, not for size.
 */
export function writeProgress(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: QueuedHandle | null })._handle;
  const wire = handle?._parent ?? handle;
  const queued = wire?.writeQueueSize ?? 0;
  return socket.bytesWritten - socket.writableLength - queued;
}
