import { describe, expect, it } from 'vitest';
import {
  chunkHeader,
  errorResponse,
  HttpParseError,
  lastChunk,
  serializeResponseHead,
} from '../src/index.js';

describe('response writer', () => {
  it('serializes a status line and fields from a list or a record', () => {
    expect(serializeResponseHead(200, ['Content-Length', '2', 'X-A', 'b'])).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n',
    );
    expect(serializeResponseHead(404, { 'content-length': 0 })).toBe(
      'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n',
    );
    expect(serializeResponseHead(299, [])).toBe('HTTP/1.1 299 \r\n\r\n');
  });

  it('refuses response splitting and bad statuses', () => {
    expect(() => serializeResponseHead(200, ['X', 'a\r\nSet-Cookie: x'])).toThrow(/invalid byte in header X/);
    expect(() => serializeResponseHead(200, ['X Y', 'a'])).toThrow(/invalid header name/);
    expect(() => serializeResponseHead(200, ['X', 'a\0'])).toThrow(TypeError);
    expect(() => serializeResponseHead(42, [])).toThrow(/100 to 999/);
  });

  it('frames chunks and trailers', () => {
    expect(chunkHeader(255)).toBe('ff\r\n');
    // 0 is the last-chunk marker; the others are no size at all.
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => chunkHeader(bad), String(bad)).toThrow(RangeError);
    expect(lastChunk()).toBe('0\r\n\r\n');
    expect(lastChunk(['X-Sum', '9'])).toBe('0\r\nX-Sum: 9\r\n\r\n');
  });

  it('builds a closing error response from a parse error', () => {
    const text = errorResponse(new HttpParseError(431, 'headers-too-large', 'too big')).toString();
    expect(text).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big\n',
    );
  });
});
