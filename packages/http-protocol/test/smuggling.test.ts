import { describe, expect, it } from 'vitest';
import { b, bytewise, parsePieces } from './collect.js';

const H = 'Host: h\r\n';

/**
 * Request-smuggling and framing vectors: each must be refused with the given status before any
 * request is delivered, whole or one byte at a time.
 */
const vectors: [name: string, wire: string, status: number][] = [
  [
    'CL and TE together',
    `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'TE and CL together',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'TE: chunked, chunked',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'two TE: chunked lines',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
    400,
  ],
  ['TE: xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 400],
  ['TE: chunked, identity', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n`, 400],
  ['TE empty', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \r\n\r\n`, 400],
  ['space before colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 400],
  ['tab before colon', `GET / HTTP/1.1\r\n${H}X\t: y\r\n\r\n`, 400],
  ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['duplicate CL, same value', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`, 400],
  ['duplicate CL, different', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy`, 400],
  ['CL list', `POST / HTTP/1.1\r\n${H}Content-Length: 1, 2\r\n\r\nxy`, 400],
  ['CL with plus sign', `POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\nx`, 400],
  ['CL negative', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
  ['CL with inner space', `POST / HTTP/1.1\r\n${H}Content-Length: 1 0\r\n\r\n`, 400],
  ['CL hex', `POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n`, 400],
  ['CL empty', `POST / HTTP/1.1\r\n${H}Content-Length: \r\n\r\n`, 400],
  ['CL huge', `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n`, 400],
  [
    'chunk size overflow',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
    400,
  ],
  ['chunk size not hex', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
  ['chunk size signed', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-1\r\n`, 400],
  [
    'chunk size 0x prefix',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  ['chunk size empty', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n\r\n`, 400],
  [
    'LF-only chunk size line',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'LF-only after chunk data',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk data longer than size',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  ['LF-only last chunk', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\n\r\n`, 400],
  ['LF-only trailer end', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\n`, 400],
  [
    'bare CR in chunk ext',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;a\rb\r\nx\r\n0\r\n\r\n`,
    400,
  ],
  [
    'NUL in chunk ext',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;a\0\r\nx\r\n0\r\n\r\n`,
    400,
  ],
  [
    'obs-fold in trailer',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n b\r\n\r\n`,
    400,
  ],
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n  continued\r\n\r\n`, 400],
  ['obs-fold with tab', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n\tcontinued\r\n\r\n`, 400],
  ['bare LF ending a header', `GET / HTTP/1.1\n${H}\r\n`, 400],
  ['bare LF head end', `GET / HTTP/1.1\r\n${H}\n`, 400],
  ['bare LF everywhere', 'GET / HTTP/1.1\nHost: h\n\n', 400],
  ['bare CR in header value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400],
  ['bare CR in request line', `GET /\r HTTP/1.1\r\n${H}\r\n`, 400],
  ['NUL in header value', `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`, 400],
  ['DEL in header value', `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, 400],
  ['NUL in header name', `GET / HTTP/1.1\r\n${H}X\0Y: a\r\n\r\n`, 400],
  ['empty header name', `GET / HTTP/1.1\r\n${H}: a\r\n\r\n`, 400],
  ['non-token header name', `GET / HTTP/1.1\r\n${H}X(Y): a\r\n\r\n`, 400],
  ['header without colon', `GET / HTTP/1.1\r\n${H}Nope\r\n\r\n`, 400],
  ['absolute-form target', `GET http://evil.example/ HTTP/1.1\r\n${H}\r\n`, 400],
  ['authority-form target', `CONNECT evil.example:443 HTTP/1.1\r\n${H}\r\n`, 400],
  ['asterisk for GET', `GET * HTTP/1.1\r\n${H}\r\n`, 400],
  ['two spaces in request line', `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
  ['tab in request line', `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400],
  ['space in target', `GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
  ['missing version', `GET /\r\n${H}\r\n`, 400],
  ['lowercase version', `GET / http/1.1\r\n${H}\r\n`, 400],
  ['trailing space after version', `GET / HTTP/1.1 \r\n${H}\r\n`, 400],
  ['version with letters', `GET / HTTP/1.x\r\n${H}\r\n`, 400],
  ['non-token method', `G(T / HTTP/1.1\r\n${H}\r\n`, 400],
  ['missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Host headers', `GET / HTTP/1.1\r\n${H}${H}\r\n`, 400],
  ['bare LF before request', '\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
  ['HTTP/0.9 style', 'GET /\r\n\r\n', 400],
];

describe('request smuggling and framing defences', () => {
  it.each(vectors)('%s -> %i', (_name, wire, status) => {
    for (const pieces of [[b(wire)], bytewise(b(wire))]) {
      const { requests, error, partial } = parsePieces(pieces);
      expect(error?.status).toBe(status);
      expect(requests).toHaveLength(0);
      // A refused request must not have delivered a body to the application either.
      if (partial) expect(error).toBeDefined();
    }
  });
});
