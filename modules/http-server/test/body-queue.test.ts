import type { RequestHead } from '@scalestack/http-protocol';
import { describe, expect, it } from 'vitest';
import { BODY_HIGH_WATER, BodyCollector, SLICE_OVERHEAD } from '../src/body-queue.js';
import { type BodySource, HttpRequest } from '../src/request.js';
import { HttpError } from '../src/types.js';

/** A body source that records what the request asks of its connection. */
class RecordingSource implements BodySource {
  paused = false;
  pausedAfter = -1;
  resumes = 0;
  pushes = 0;
  bodyWanted(): void {}
  pauseBody(): void {
    if (!this.paused && this.pausedAfter < 0) this.pausedAfter = this.pushes;
    this.paused = true;
  }
  resumeBody(): void {
    if (this.paused) this.resumes++;
    this.paused = false;
  }
}

function chunkedRequest(source: BodySource, maxBodyBytes = 1 << 20): HttpRequest {
  const head: RequestHead = {
    method: 'POST',
    target: '/',
    versionMinor: 1,
    headers: ['Host', 't', 'Transfer-Encoding', 'chunked'],
    contentLength: -1,
    keepAlive: true,
    expectContinue: false,
  };
  return new HttpRequest(head, source, maxBodyBytes);
}

/** Pushes `count` 1-byte slices, each a view of its own little read, as the parser hands them out. */
function pushTiny(req: HttpRequest, source: RecordingSource, count: number): void {
  const wire = Buffer.from('a'.repeat(count));
  for (let i = 0; i < count; i++) {
    source.pushes++;
    req.push(wire.subarray(i, i + 1));
  }
}

describe('HttpRequest body queue', () => {
  it('counts a per-slice overhead toward the high-water mark', () => {
    const source = new RecordingSource();
    const req = chunkedRequest(source);
    pushTiny(req, source, 100_000);
    // Before: 100 000 one-byte slices were 100 000 bytes, far below the mark: never paused.
    expect(source.pausedAfter).toBe(Math.floor(BODY_HIGH_WATER / (1 + SLICE_OVERHEAD)) + 1);
  });

  it('hands a body of 1-byte slices out as a few gathered parts, and resumes once drained', async () => {
    const source = new RecordingSource();
    const req = chunkedRequest(source);
    pushTiny(req, source, 100_000);
    req.end(undefined);
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part);
    // Before: one part per slice, 100 000 Buffer objects held until read.
    expect(parts.length).toBeLessThanOrEqual(10);
    expect(Buffer.concat(parts).toString()).toBe('a'.repeat(100_000));
    expect(source.paused).toBe(false);
    expect(source.resumes).toBe(1);
  });

  it('keeps the order of small and large slices', async () => {
    const source = new RecordingSource();
    const req = chunkedRequest(source);
    const pieces = ['x', 'y'.repeat(5000), 'z', 'w', 'v'.repeat(20_000), 'u'];
    for (const piece of pieces) req.push(Buffer.from(piece));
    req.end(undefined);
    expect((await req.body()).toString()).toBe(pieces.join(''));
  });

  it('limits body() by payload bytes only: the overhead is for memory, not for 413', async () => {
    const source = new RecordingSource();
    const fits = chunkedRequest(source, 1000);
    pushTiny(fits, source, 1000);
    fits.end(undefined);
    expect((await fits.body()).length).toBe(1000);

    const over = chunkedRequest(source, 1000);
    pushTiny(over, source, 1001);
    over.end(undefined);
    const refused = await over.body().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(413);
  });
});

/**
 * The memory behind what a collector holds. Every buffer it allocates is 16 KiB or more, so
 * `Buffer.allocUnsafe` gives it an ArrayBuffer of its own, exactly that size (no pool).
 */
const capacity = (collector: BodyCollector): number => collector.result().buffer.byteLength;

/** Memory a collector may hold for `received` bytes: twice them, or a small floor. */
const allowance = (received: number): number => Math.max(64 * 1024, 2 * received);

const MiB = 1024 * 1024;

describe('BodyCollector', () => {
  it('allocates for the bytes received, not for a large announced length', () => {
    const collector = new BodyCollector(64 * MiB, 64 * MiB);
    const first = Buffer.from('first slice');
    collector.append(first);
    // One slice is kept as it is: no copy, no allocation of our own.
    expect(collector.result().buffer).toBe(first.buffer);
    collector.append(Buffer.from('second'));
    expect(collector.result().toString()).toBe('first slicesecond');
    // Before: the second slice allocated the whole announced 64 MiB.
    expect(capacity(collector)).toBeLessThanOrEqual(allowance(collector.length));
  });

  it('keeps a body of many slices whole and in order, memory following what arrived', () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
    // [announced length, limit]: announced far above the body, announced exactly, and chunked
    // (nothing announced) with a large limit and with one just above the body.
    const cases = [
      [64 * MiB, 64 * MiB],
      [body.length, body.length],
      [0, 64 * MiB],
      [0, body.length + 1],
    ];
    for (const [expected, limit] of cases) {
      const collector = new BodyCollector(expected, limit);
      let at = 0;
      for (let n = 0; at < body.length; n++) {
        const size = Math.min(body.length - at, [1, 3, 700, 5000, 17, 40_000][n % 6]);
        collector.append(body.subarray(at, at + size));
        at += size;
        if (n === 0) continue;
        const bound = Math.min(limit, allowance(collector.length));
        expect(capacity(collector), `announced ${expected}, limit ${limit}`).toBeLessThanOrEqual(bound);
      }
      expect(collector.length).toBe(body.length);
      expect(collector.result().equals(body), `announced ${expected}, limit ${limit}`).toBe(true);
    }
  });
});
