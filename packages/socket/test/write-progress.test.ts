/**
 * writeProgress: a slow reader of one large write is seen taking bytes before the write
 * completes — the public counters (bytesWritten − writableLength) stay put until its last byte.
 */
import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { selfSignedCert, waitFor } from '@scalestack/test-harness';
import { afterEach, expect, it } from 'vitest';
import { writeProgress } from '../src/index.js';

// Far more than loopback socket buffers hold (a few MiB each way), so the write stays in flight.
const BIG = 48 * 1024 * 1024;

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server !== undefined) await new Promise((r) => server!.close(r));
  server = undefined;
});

it('moves while a slow reader takes part of one write that is still in flight', async () => {
  const accepted: Socket[] = [];
  server = createServer((s) => {
    s.pause();
    accepted.push(s);
    sockets.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const writer = netConnect(port, '127.0.0.1');
  sockets.push(writer);
  await once(writer, 'connect');
  await waitFor(() => accepted.length === 1, { what: 'the reader to be accepted' });
  await expectMovingBeforeDone(writer, accepted[0]!);
});

it('moves for a TLS socket too, while its one write is still in flight', async () => {
  const { key, cert } = await selfSignedCert('localhost');
  const accepted: TLSSocket[] = [];
  const tlsServer = createTlsServer({ key, cert }, (s) => {
    accepted.push(s);
    sockets.push(s);
  });
  server = tlsServer;
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  const port = (tlsServer.address() as { port: number }).port;
  const reader = tlsConnect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  sockets.push(reader);
  await once(reader, 'secureConnect');
  reader.pause();
  await waitFor(() => accepted.length === 1, { what: 'the TLS reader to be accepted' });
  await expectMovingBeforeDone(accepted[0]!, reader);
});

/**
 * Writes one write far larger than the socket buffers, lets `reader` take 1 MiB of it, and
 * expects writeProgress to move while the write is still in flight — where the public counters
 * (bytesWritten − writableLength) show nothing until the whole write is taken.
 */
async function expectMovingBeforeDone(writer: Socket, reader: Socket): Promise<void> {
  let done = false;
  writer.write(Buffer.alloc(BIG, 0x61), () => {
    done = true;
  });
  // The kernel took what fits into both sockets' buffers; the rest waits in libuv.
  const completedBefore = writer.bytesWritten - writer.writableLength;
  const before = writeProgress(writer);

  // The reader takes 1 MiB, then stops again.
  let read = 0;
  reader.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read >= 1024 * 1024) reader.pause();
  });
  reader.resume();
  await waitFor(() => writeProgress(writer) !== before, { what: 'the write to be seen moving' });

  expect(done).toBe(false);
  expect(writer.bytesWritten - writer.writableLength).toBe(completedBefore);
}
