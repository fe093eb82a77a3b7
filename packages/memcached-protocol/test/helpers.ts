import { type Request, RequestDecoder, type Response, ResponseDecoder } from '../src/index.js';

/** Decodes `bytes` fed in the given chunk sizes (cycled) and returns every request. */
export function decodeRequests(
  bytes: Buffer,
  sizes: readonly number[] = [bytes.length || 1],
  limits = {},
): Request[] {
  const out: Request[] = [];
  const decoder = new RequestDecoder((r) => out.push(r), limits);
  feed(bytes, sizes, (c) => decoder.push(c));
  return out;
}

export function decodeResponses(
  bytes: Buffer,
  sizes: readonly number[] = [bytes.length || 1],
  limits = {},
): Response[] {
  const out: Response[] = [];
  const decoder = new ResponseDecoder((r) => out.push(r), limits);
  feed(bytes, sizes, (c) => decoder.push(c));
  return out;
}

function feed(bytes: Buffer, sizes: readonly number[], push: (c: Buffer) => void): void {
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    // Copy each chunk so no test accidentally relies on the chunks sharing memory.
    push(Buffer.from(bytes.subarray(off, off + n)));
    off += n;
  }
}

/** Compares decoded items by value, ignoring `raw` (checked separately) and Buffer identity. */
export function plain<T extends object>(items: T[]): unknown[] {
  return items.map((item) => {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item)) {
      if (k === 'raw') continue;
      copy[k] = Buffer.isBuffer(v) ? v.toString('latin1') : v;
    }
    return copy;
  });
}
