import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRequest, encodeResponse, type Request, type Response } from '../src/index.js';
import { request, response, splits } from './arbitraries.js';
import { decodeRequests, decodeResponses, plain } from './helpers.js';

const concat = (parts: Buffer[][]) => Buffer.concat(parts.flat());
const KINDS = new Set([
  'storage',
  'retrieval',
  'delete',
  'arithmetic',
  'touch',
  'stats',
  'version',
  'verbosity',
  'flush_all',
  'quit',
  'meta',
  'error',
]);
const ERROR_LINE = /^(ERROR|CLIENT_ERROR [a-z ]+|SERVER_ERROR [a-z ]+)$/;

describe('codec properties', () => {
  it('requests round-trip through encode and decode under any split', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 12 }), splits, (reqs, sizes) => {
        const bytes = concat(reqs.map(encodeRequest));
        const got = decodeRequests(bytes, sizes);
        expect(plain(got)).toEqual(plain(reqs));
        // raw slices cover the stream exactly, in order
        expect(Buffer.concat(got.map((r) => (r as Exclude<Request, { kind: 'error' }>).raw))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('responses round-trip through encode and decode under any split', () => {
    fc.assert(
      fc.property(fc.array(response, { maxLength: 12 }), splits, (items, sizes) => {
        const bytes = concat(items.map(encodeResponse));
        const got = decodeResponses(bytes, sizes);
        expect(plain(got)).toEqual(plain(items));
        expect(Buffer.concat(got.map((r) => (r as Exclude<Response, { kind: 'invalid' }>).raw))).toEqual(
          bytes,
        );
      }),
      { numRuns: 300 },
    );
  });

  const mutated = (gen: fc.Arbitrary<Buffer>) =>
    fc
      .tuple(gen, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
      .map(([bytes, edits, cut]) => {
        const copy = Buffer.from(bytes);
        for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
        return copy.subarray(0, copy.length === 0 ? 0 : cut % (copy.length + 1));
      });

  it('mutated or truncated requests decode the same under any split, to requests or error lines', () => {
    const limits = { maxLineLength: 200, maxValueSize: 200 };
    const streams = mutated(
      fc.array(request, { minLength: 1, maxLength: 6 }).map((r) => concat(r.map(encodeRequest))),
    );
    fc.assert(
      fc.property(streams, splits, (bytes, sizes) => {
        const whole = decodeRequests(bytes, [bytes.length || 1], limits);
        const split = decodeRequests(bytes, sizes, limits);
        expect(plain(split)).toEqual(plain(whole));
        for (const r of split) {
          expect(KINDS.has(r.kind)).toBe(true);
          if (r.kind === 'error') expect(r.line).toMatch(ERROR_LINE);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('mutated or truncated responses decode the same under any split and never throw', () => {
    const limits = { maxLineLength: 200, maxValueSize: 200 };
    const streams = mutated(
      fc.array(response, { minLength: 1, maxLength: 6 }).map((r) => concat(r.map(encodeResponse))),
    );
    fc.assert(
      fc.property(streams, splits, (bytes, sizes) => {
        const whole = decodeResponses(bytes, [bytes.length || 1], limits);
        const split = decodeResponses(bytes, sizes, limits);
        expect(plain(split)).toEqual(plain(whole));
        // at most one `invalid`, and it is last: the decoder stops there
        const bad = split.findIndex((r) => r.kind === 'invalid');
        if (bad !== -1) expect(bad).toBe(split.length - 1);
      }),
      { numRuns: 500 },
    );
  });
});
