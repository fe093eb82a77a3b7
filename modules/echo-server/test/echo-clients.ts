import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** Connects to 127.0.0.1:`port`. */
export async function open(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** Sends `payload` and resolves with exactly as many bytes as came back (or what came before a close). */
export function echoOnce(socket: Socket, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const finish = () => {
      socket.off('data', onData);
      socket.off('close', finish);
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= payload.length) finish();
    };
    socket.on('data', onData);
    socket.once('close', finish);
    socket.write(payload);
  });
}

/**
 * Opens `count` connections at once; each sends its own payload (a header naming the client
 * plus 1–4 KiB of random bytes) and checks that exactly it comes back. Resolves with how many
 * got their own payload back, byte for byte.
 */
export async function concurrentEchoes(port: number, count: number): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const payload = Buffer.concat([Buffer.from(`client ${i}:`), randomBytes(1024 + ((i * 97) % 3072))]);
      const socket = await open(port);
      try {
        return (await echoOnce(socket, payload)).equals(payload);
      } finally {
        socket.destroy();
      }
    }),
  );
  return results.filter(Boolean).length;
}

export interface SlowTransfer {
  sent: number;
  received: number;
  /** Whether the bytes that came back are the bytes sent, in order. */
  intact: boolean;
}

/**
 * Sends `total` bytes as fast as the server takes them while reading the echo slowly: after
 * every chunk read, reading pauses for `pauseMs`. The server's writes back up, and only
 * backpressure (it stops reading) keeps it from buffering the whole transfer.
 * `onChunk` runs on every chunk read, for sampling the server's state.
 */
export async function slowReaderTransfer(
  port: number,
  total: number,
  pauseMs: number,
  onChunk: () => void = () => {},
): Promise<SlowTransfer> {
  const socket = await open(port);
  const block = randomBytes(1024 * 1024 + 7); // odd size: blocks straddle chunk boundaries
  const sentHash = createHash('sha256');
  const receivedHash = createHash('sha256');
  let received = 0;

  const readAll = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      receivedHash.update(chunk);
      received += chunk.length;
      onChunk();
      if (received >= total) return resolve();
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.once('close', () => reject(new Error(`closed after ${received} of ${total} bytes`)));
  });
  readAll.catch(() => {}); // awaited below; this only keeps an early close from going unhandled

  let sent = 0;
  while (sent < total) {
    const piece = block.subarray(0, Math.min(64 * 1024 + (sent % 4099), total - sent));
    sentHash.update(piece);
    sent += piece.length;
    if (!socket.write(piece)) await once(socket, 'drain');
  }
  await readAll;
  socket.destroy();
  return { sent, received, intact: sentHash.digest('hex') === receivedHash.digest('hex') };
}
