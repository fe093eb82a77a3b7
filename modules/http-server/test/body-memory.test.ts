import { defineModule } from '@scalestack/kernel';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BODY_HIGH_WATER, SLICE_OVERHEAD } from '../src/body-queue.js';
import { HttpConnection } from '../src/connection.js';
import { HTTP_ROUTES } from '../src/index.js';
import { HttpRequest } from '../src/request.js';
import { RawClient } from './support/raw-client.js';
import { type Started, startHttp } from './support/start.js';

/** A body chunk of one payload byte: 6 bytes on the wire, one slice for the handler. */
const TINY_CHUNK = '1\r\na\r\n';
/**
 * The most payload a socket read carries in tiny chunks: Node reads at most 64 KiB at a time,
 * and the parser finishes a read even when the handler's queue asks to pause in its middle.
 */
const TINY_CHUNKS_PER_READ = Math.ceil((64 * 1024) / TINY_CHUNK.length);
/** Slices queued when 1-byte slices, counted with their overhead, pass the high-water mark. */
const TINY_SLICES_AT_HIGH_WATER = Math.floor(BODY_HIGH_WATER / (1 + SLICE_OVERHEAD)) + 1;

/** Handlers that hold the body unread until the test lets them go. */
let release: () => void = () => {};
let handlerRead = false;
const holdModule = defineModule({
  name: 'hold',
  description: 'test module: a handler that reads the body only when the test says so',
  requires: ['http-server'],
  start(ctx) {
    ctx.resolve(HTTP_ROUTES).route('POST', '/hold', async (req, res) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      handlerRead = true;
      const body = await req.body();
      const allA = body.every((byte) => byte === 0x61);
      res.send(`${body.length} ${allA ? 'all a' : 'corrupt'}`);
    });
  },
});

let started: Started;
beforeAll(async () => {
  started = await startHttp({}, [holdModule]);
});
afterAll(async () => {
  await started.kernel.shutdown();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('a request body queued for a handler is bounded by its cost, not only its bytes', () => {
  it('stops reading 1-byte chunks near the high-water mark counted with the per-slice overhead', async () => {
    // Counts on the real request and connection: slices handed to the request, and the
    // connection's socket paused for the handler (the server stops reading).
    const pushed = vi.spyOn(HttpRequest.prototype, 'push');
    const paused = vi.spyOn(HttpConnection.prototype, 'pauseBody');
    const chunks = 400_000;
    handlerRead = false;
    const client = await RawClient.open(started.port);
    try {
      client.write('POST /hold HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n');
      client.write(`${TINY_CHUNK.repeat(chunks)}0\r\n\r\n`);
      await waitFor(() => paused.mock.calls.length > 0, { what: 'the server to stop reading the body' });
      // The connection is paused: no read happens until the handler takes some of the queue.
      const queuedSlices = pushed.mock.calls.length;
      expect(handlerRead).toBe(false);
      expect(queuedSlices).toBeGreaterThanOrEqual(TINY_SLICES_AT_HIGH_WATER);
      // Before: 262 145 slices (256 KiB of payload, ~30 MB of heap) were queued before pausing.
      expect(queuedSlices).toBeLessThanOrEqual(TINY_SLICES_AT_HIGH_WATER + TINY_CHUNKS_PER_READ);
      expect(pushed.mock.calls.length).toBe(queuedSlices);

      // Once the handler reads, reading resumes and the whole body arrives intact.
      release();
      const [answer] = await client.responses(1);
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(`${chunks} all a`);
      expect(pushed.mock.calls.length).toBe(chunks);
    } finally {
      client.close();
    }
  });
});
