import { connect, type Socket } from 'node:net';
import { ClientHandshake, PacketDecoder } from '@scalestack/mysql-protocol';

/** A raw client socket after the login, for byte sequences a driver would not send. */
export interface RawLogin {
  socket: Socket;
  decoder: PacketDecoder;
  connectionId: number;
  capabilities: number;
}

/**
 * Logs in as root over a raw socket; resolves once the server's OK arrived. `allowHalfOpen`: the
 * socket stays open for writing when the server ends its side (a client that does not close).
 */
export function login(port: number, { allowHalfOpen = false } = {}): Promise<RawLogin> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    const decoder = new PacketDecoder();
    const hs = new ClientHandshake({ user: 'root' });
    socket.on('error', reject);
    const onData = (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        const step = hs.receive(p.payload, p.sequenceId);
        if (step.kind === 'send') socket.write(step.bytes);
        else if (step.kind === 'done') {
          socket.off('data', onData);
          resolve({
            socket,
            decoder,
            connectionId: step.session.connectionId,
            capabilities: step.session.capabilities,
          });
          return;
        } else {
          reject(new Error(`login failed: ${step.kind}`));
          return;
        }
      }
    };
    socket.on('data', onData);
  });
}

/** Resolves with the packets the server sends until it closes; they must all be whole. */
export function repliesUntilClosed(socket: Socket, decoder: PacketDecoder): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk) => {
      try {
        for (const p of decoder.push(chunk)) replies.push(p.payload);
      } catch (err) {
        reject(err);
      }
    });
    socket.on('error', () => {
      // A reset after the server gave up on us is an acceptable ending.
    });
    socket.on('close', () => {
      if (decoder.hasPartialPacket) reject(new Error('the server sent a truncated packet'));
      else resolve(replies);
    });
  });
}

/**
 * The packets a logged-in raw socket receives, in order: `next(n)` resolves with the next `n`
 * of them as they arrive (rejects if the connection closes first).
 */
export function replyStream(
  socket: Socket,
  decoder: PacketDecoder,
): { next(count: number): Promise<Buffer[]> } {
  const received: Buffer[] = [];
  let pending: { count: number; resolve: (p: Buffer[]) => void; reject: (e: Error) => void } | undefined;
  const settle = () => {
    if (pending !== undefined && received.length >= pending.count) {
      const { count, resolve } = pending;
      pending = undefined;
      resolve(received.splice(0, count));
    }
  };
  socket.on('data', (chunk) => {
    for (const p of decoder.push(chunk)) received.push(p.payload);
    settle();
  });
  socket.on('close', () => pending?.reject(new Error('the connection closed')));
  return {
    next(count) {
      return new Promise((resolve, reject) => {
        pending = { count, resolve, reject };
        settle();
      });
    },
  };
}
