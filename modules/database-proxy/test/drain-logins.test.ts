/**
 * Stopping: a client that connected before the listener closed and sends its login while the
 * proxy drains is refused with ER 1053, as a server shutting down refuses it — it was let in,
 * ran statements, and was cut off without an error at stop.
 */
import net from 'node:net';
import { ClientHandshake, PacketDecoder } from '@scalestack/mysql-protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture();
});

afterAll(async () => {
  await fx?.stop();
});

it('a login that arrives while the proxy drains gets ER 1053', async () => {
  const socket = net.connect(fx.port, '127.0.0.1');
  const decoder = new PacketDecoder();
  const hs = new ClientHandshake({ user: APP_USER.name, password: APP_USER.password });
  let greeted!: () => void;
  const greeting = new Promise<void>((resolve) => {
    greeted = resolve;
  });
  let pendingReply: Buffer | undefined;
  const outcome = new Promise<{ kind: string; errno?: number; message?: string }>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve({ kind: 'closed' }));
    socket.on('data', (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        const step = hs.receive(p.payload, p.sequenceId);
        if (step.kind === 'send') {
          // The login response to the greeting is held until the proxy drains.
          if (pendingReply === undefined && p.sequenceId === 0) {
            pendingReply = step.bytes;
            greeted();
          } else socket.write(step.bytes);
        } else if (step.kind === 'done') resolve({ kind: 'logged in' });
        else if (step.kind === 'failed')
          resolve({ kind: 'refused', errno: step.error.errno, message: step.error.message });
      }
    });
  });
  await greeting;
  const draining = fx.kernel.drain();
  socket.write(pendingReply!);
  expect(await outcome).toEqual({ kind: 'refused', errno: 1053, message: 'Server shutdown in progress' });
  socket.destroy();
  await draining;
});
