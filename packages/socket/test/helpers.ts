import { once } from 'node:events';
import type { Socket } from 'node:net';

/** Collects everything a socket reads until `done(text)` holds; rejects if it closes first. */
export function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        cleanup();
        resolve(text);
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`socket closed after ${JSON.stringify(text)}`));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Writes `text` and resolves with the echo of exactly that many bytes. */
export async function roundTrip(socket: Socket, text: string): Promise<string> {
  const reply = readUntil(socket, (got) => got.length >= text.length);
  socket.write(text);
  return reply;
}

/** Resolves when the socket has closed. */
export async function closed(socket: Socket): Promise<void> {
  if (socket.closed) return;
  await once(socket, 'close');
}
