import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpParseError, RequestParser } from '../src/index.js';
import { b, bytewise, parsePieces, split } from './collect.js';

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const fieldValue = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
const path = fc.stringMatching(/^\/[A-Za-z0-9/_.~%?=&-]{0,30}$/);
const body = fc.string({ maxLength: 200 });

/** A valid request of either framing, serialized. */
const request = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'X-CUSTOM'),
    path,
    headers: fc.array(fc.tuple(token, fieldValue), { maxLength: 6 }),
    body,
    chunked: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 8 }),
    ext: fc.constantFrom('', ';a', ';a=b', ';a="q \\" x"', ' ;x=1'),
    trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 3 }),
  })
  .map((r) => {
    const headers = r.headers.filter(
      ([n]) => !/^(host|content-length|transfer-encoding|connection|expect)$/i.test(n),
    );
    let wire = `${r.method} ${r.path} HTTP/1.1\r\nHost: example\r\n`;
    for (const [n, v] of headers) wire += `${n}: ${v}\r\n`;
    const bodyBytes = b(r.body);
    if (!r.chunked) {
      if (bodyBytes.length > 0) wire += `Content-Length: ${bodyBytes.length}\r\n`;
      return `${wire}\r\n${r.body}`;
    }
    wire += 'Transfer-Encoding: chunked\r\n\r\n';
    let pos = 0;
    for (const size of r.chunkSizes) {
      if (pos >= bodyBytes.length) break;
      const piece = r.body.slice(pos, pos + size);
      wire += `${piece.length.toString(16)}${r.ext}\r\n${piece}\r\n`;
      pos += size;
    }
    if (pos < r.body.length) wire += `${(r.body.length - pos).toString(16)}\r\n${r.body.slice(pos)}\r\n`;
    wire += '0\r\n';
    for (const [n, v] of r.trailers) wire += `${n}: ${v}\r\n`;
    return `${wire}\r\n`;
  });

const stream = fc.array(request, { minLength: 1, maxLength: 4 }).map((reqs) => b(reqs.join('')));
const CLEAN_STATUSES = [400, 414, 431, 501, 505];

describe('RequestParser properties', () => {
  it('any split of a pipelined stream parses to the same requests', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), (wire, cuts) => {
        const whole = parsePieces([wire]);
        expect(whole.error).toBeUndefined();
        expect(whole.partial).toBe(false);
        expect(
          parsePieces(
            split(
              wire,
              cuts.map((c) => c % (wire.length + 1)),
            ),
          ),
        ).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time parses to the same requests', () => {
    fc.assert(
      fc.property(stream, (wire) => {
        expect(parsePieces(bytewise(wire))).toEqual(parsePieces([wire]));
      }),
      { numRuns: 100 },
    );
  });

  it('a truncated stream yields a prefix of the requests and no error', () => {
    fc.assert(
      fc.property(stream, fc.nat(), (wire, cut) => {
        const whole = parsePieces([wire]);
        const part = parsePieces([wire.subarray(0, cut % (wire.length + 1))]);
        expect(part.error).toBeUndefined();
        expect(whole.requests.slice(0, part.requests.length)).toEqual(part.requests);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated input ends in requests or a clean 4xx/5xx error, never an exception', () => {
    const mutation = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('replace', 'insert', 'delete'),
    );
    fc.assert(
      fc.property(
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (wire, muts, cuts) => {
          const bytes = [...wire];
          for (const [at, byte, kind] of muts) {
            const i = at % (bytes.length + 1);
            if (kind === 'insert') bytes.splice(i, 0, byte);
            else if (kind === 'delete') bytes.splice(i, 1);
            else if (i < bytes.length) bytes[i] = byte;
          }
          const mutated = Buffer.from(bytes);
          const outcome = parsePieces(
            split(
              mutated,
              cuts.map((c) => c % (mutated.length + 1)),
            ),
          );
          if (outcome.error) {
            expect(outcome.error).toBeInstanceOf(HttpParseError);
            expect(CLEAN_STATUSES).toContain(outcome.error.status);
          }
          // Whatever the split, the verdict is the same.
          expect(outcome).toEqual(parsePieces([mutated]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never buffers more than the head limit, whatever arrives', () => {
    const limit = 512;
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 40 }),
        (chunks) => {
          let failed = false;
          let total = 0;
          const parser = new RequestParser(
            {
              onHead() {},
              onBody() {},
              onEnd() {},
              onError: () => {
                failed = true;
              },
            },
            { maxHeaderBytes: limit },
          );
          for (const c of chunks) {
            const piece = Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\nX: ${Buffer.from(c).toString('hex')}`);
            total += piece.length;
            parser.execute(piece);
            const held = (parser as unknown as { headBuf?: Buffer }).headBuf;
            expect(held?.length ?? 0).toBeLessThanOrEqual(limit);
            if (failed) break;
          }
          if (total > limit) expect(failed).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
