/**
 * `max_packet_size` against a client that sends a packet behind another in one write: the
 * refusal (ERR 1153, then the connection closes) still comes at once, though the packet before
 * the refused header was decoded first.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2, options: { max_packet_size: 4096 } });
});

afterAll(async () => {
  await fx?.stop();
});

it('a header over max_packet_size behind a whole packet in the same write: ERR 1153 and the connection closes', async () => {
  const c = await fx.connect();
  // Take the logged-in socket over from mysql2: the test reads the raw answer.
  const stream = (c as unknown as { connection: { stream: net.Socket } }).connection.stream;
  stream.removeAllListeners('data');
  stream.removeAllListeners('error');
  stream.on('error', () => {});
  const received: Buffer[] = [];
  stream.on('data', (d: Buffer) => received.push(d));
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));

  const select = Buffer.from('\u0003SELECT 1');
  const query = Buffer.concat([Buffer.from([select.length, 0, 0, 0]), select]);
  const oversized = Buffer.from([0x88, 0x13, 0, 0]); // announces 5,000 bytes
  stream.write(Buffer.concat([query, oversized, Buffer.alloc(16)]));
  await closed;

  const bytes = Buffer.concat(received);
  // The ERR packet: 0xFF, then errno 1153 (little-endian 0x81 0x04).
  const at = bytes.indexOf(Buffer.from([0xff, 0x81, 0x04]));
  expect(at).toBeGreaterThanOrEqual(4);
  expect(bytes.toString('latin1', at)).toContain('5000 bytes announced, maxPacketSize is 4096');
});
