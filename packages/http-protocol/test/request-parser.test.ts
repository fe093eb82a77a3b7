import { describe, expect, it } from 'vitest';
import { getHeader, RequestParser } from '../src/index.js';
import { b, bytewise, parsePieces } from './collect.js';

describe('RequestParser', () => {
  it('parses a GET with headers, case preserved, OWS trimmed', () => {
    const { requests, error } = parsePieces([
      b('GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Thing: \t v a l \t\r\n\r\n'),
    ]);
    expect(error).toBeUndefined();
    expect(requests).toHaveLength(1);
    const { head } = requests[0];
    expect(head.method).toBe('GET');
    expect(head.target).toBe('/a/b?x=1');
    expect(head.versionMinor).toBe(1);
    expect(head.headers).toEqual(['Host', 'h', 'X-Thing', 'v a l']);
    expect(head.keepAlive).toBe(true);
    expect(head.contentLength).toBe(0);
    expect(getHeader(head.headers, 'x-thing')).toBe('v a l');
  });

  it('streams a Content-Length body as slices, exactly', () => {
    const { requests } = parsePieces([
      b('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n'),
    ]);
    expect(requests.map((r) => [r.head.method, r.body])).toEqual([
      ['POST', 'hello'],
      ['GET', ''],
    ]);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const wire =
      'POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip-free, chunked\r\n\r\n'.replace(
        'gzip-free, ',
        '',
      ) + '5;name=value;q="a \\" b"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Sum: 42\r\nX-Other: y\r\n\r\n';
    const { requests, error } = parsePieces([b(wire)]);
    expect(error).toBeUndefined();
    expect(requests[0].body).toBe('hello world');
    expect(requests[0].head.contentLength).toBe(-1);
    expect(requests[0].trailers).toEqual(['X-Sum', '42', 'X-Other', 'y']);
  });

  it('gives the same result one byte at a time', () => {
    const wire = b(
      '\r\nPOST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /x HTTP/1.0\r\n\r\n',
    );
    expect(parsePieces(bytewise(wire))).toEqual(parsePieces([wire]));
    expect(parsePieces([wire]).requests).toHaveLength(2);
  });

  it('applies HTTP/1.0 and Connection keep-alive rules', () => {
    const cases: [string, boolean][] = [
      ['GET / HTTP/1.0\r\n\r\n', false],
      ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', true],
      ['GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n', false],
      ['GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, Close\r\n\r\n', false],
      ['GET / HTTP/1.1\r\nHost: h\r\n\r\n', true],
    ];
    for (const [wire, keepAlive] of cases) {
      expect(parsePieces([b(wire)]).requests[0].head.keepAlive, wire).toBe(keepAlive);
    }
  });

  it('reports Expect: 100-continue for HTTP/1.1 requests with a body', () => {
    const { requests } = parsePieces([
      b('PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nz'),
    ]);
    expect(requests[0].head.expectContinue).toBe(true);
  });

  it('accepts OPTIONS *', () => {
    expect(parsePieces([b('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n')]).requests[0].head.target).toBe('*');
  });

  it('pauses after a request and continues from where it stopped', () => {
    const wire = b('GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n');
    const seen: string[] = [];
    const parser: RequestParser = new RequestParser({
      onHead: (h) => seen.push(h.target),
      onBody: () => {},
      onEnd: () => parser.pause(),
      onError: (e) => {
        throw e;
      },
    });
    const used = parser.execute(wire);
    expect(seen).toEqual(['/1']);
    expect(used).toBeLessThan(wire.length);
    parser.resume();
    expect(parser.execute(wire.subarray(used))).toBe(wire.length - used);
    expect(seen).toEqual(['/1', '/2']);
    expect(parser.idle).toBe(true);
  });

  it('refuses heads over the byte limit with 431, and long request lines with 414', () => {
    const big = `GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(2000)}\r\n\r\n`;
    expect(parsePieces([b(big)], { maxHeaderBytes: 1024 }).error?.status).toBe(431);
    expect(parsePieces(bytewise(b(big)), { maxHeaderBytes: 1024 }).error?.status).toBe(431);
    const longLine = `GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: h\r\n\r\n`;
    expect(parsePieces([b(longLine)], { maxHeaderBytes: 1024 }).error?.status).toBe(414);
  });

  it('refuses more header fields than allowed with 431', () => {
    const many = `GET / HTTP/1.1\r\nHost: h\r\n${'A: 1\r\n'.repeat(20)}\r\n`;
    expect(parsePieces([b(many)], { maxHeaderCount: 10 }).error?.status).toBe(431);
    expect(parsePieces([b(many)], { maxHeaderCount: 21 }).error).toBeUndefined();
  });

  it('answers unsupported versions with 505 and unknown transfer codings with 501', () => {
    expect(parsePieces([b('GET / HTTP/2.0\r\nHost: h\r\n\r\n')]).error?.status).toBe(505);
    expect(
      parsePieces([b('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')]).error
        ?.status,
    ).toBe(501);
  });

  it('stays failed after an error and reports it once', () => {
    const events: string[] = [];
    const parser = new RequestParser({
      onHead: () => events.push('head'),
      onBody: () => events.push('body'),
      onEnd: () => events.push('end'),
      onError: (e) => events.push(`error ${e.status}`),
    });
    parser.execute(b('BAD\r\n\r\n'));
    parser.execute(b('GET / HTTP/1.1\r\nHost: h\r\n\r\n'));
    expect(events).toEqual(['error 400']);
    expect(parser.failed).toBe(true);
  });
});
