import { describe, expect, it } from 'vitest';
import type { ParserLimits } from '../src/index.js';
import { b, bytewise, type Outcome, parsePieces, split } from './collect.js';

/** Every two-piece split of `wire`, and one byte at a time: a state machine must not care. */
function everySplit(wire: Buffer): Buffer[][] {
  const splits: Buffer[][] = [[wire], bytewise(wire)];
  for (let at = 1; at < wire.length; at++) splits.push(split(wire, [at]));
  return splits;
}

/** Parses `wire` under every split and checks they all agree; returns the common outcome. */
function parseAnySplit(wire: string, limits?: ParserLimits): Outcome {
  const bytes = b(wire);
  const whole = parsePieces([bytes], limits);
  for (const pieces of everySplit(bytes)) expect(parsePieces(pieces, limits)).toEqual(whole);
  return whole;
}

const chunked = (sizeLine: string) =>
  `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${sizeLine}\r\nx\r\n0\r\n\r\n`;

describe('chunk extensions follow RFC 9112 §7.1.1, whatever the split', () => {
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  it.each([
    '1;a',
    '1;a=b',
    '1;a;b',
    '1;a=b;c=d',
    '1 ;a',
    '1; a',
    '1;a =b',
    '1;a= b',
    '1 \t; a \t= b ; c',
    '1;a=""',
    '1;a="q \\" x"',
    '1;a="\\\\"',
    '1;a="x";b',
    "1;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~",
  ])('accepts %j', (sizeLine) => {
    const { requests, error } = parseAnySplit(chunked(sizeLine));
    expect(error).toBeUndefined();
    expect(requests.map((r) => r.body)).toEqual(['x']);
  });

  it.each([
    ['no name, only = and ;', '1;=;='],
    ['empty extension', '1;'],
    ['empty extension between two', '1;a;;b'],
    ['name missing before =', '1;=b'],
    ['value missing after =', '1;a='],
    ['value missing before ;', '1;a=;b'],
    ['two = signs', '1;a==b'],
    ['space inside a name', '1;a b'],
    ['space inside a value', '1;a=b c'],
    ['whitespace before the CRLF', '1;a '],
    ['whitespace after the size before the CRLF', '1 '],
    ['a tab after the size before the CRLF', '1\t'],
    ['whitespace after the size, then more, before the CRLF', '1 \t '],
    ['whitespace after a value before the CRLF', '1;a=b\t'],
    ['a quote inside a token value', '1;a=b"c"'],
    ['text after a quoted value', '1;a="x"y'],
    ['unterminated quoted value', '1;a="x'],
    ['non-token byte in a name', '1;a(b)'],
    ['non-token byte in a value', '1;a=b,c'],
    ['a second = after a value', '1;a=b=c'],
  ])('refuses %s (%j) with 400', (_name, sizeLine) => {
    const { requests, error, partial } = parseAnySplit(chunked(sizeLine));
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('bad-chunk-extension');
    expect(requests).toHaveLength(0);
    expect(partial).toBe(true);
  });

  it('still bounds the extension bytes on one line', () => {
    const long = `1;a=${'b'.repeat(100)}`;
    const limits = { maxChunkExtBytes: 64 };
    for (const pieces of everySplit(b(chunked(long)))) {
      expect(parsePieces(pieces, limits).error?.code).toBe('bad-chunk-extension');
    }
    expect(parsePieces([b(chunked('1;a=b'))], limits).error).toBeUndefined();
  });

  it('bounds the whitespace after the size by the same limit', () => {
    const limits = { maxChunkExtBytes: 64 };
    const over = parseAnySplit(chunked(`1${' '.repeat(100)};a`), limits);
    expect(over.error?.code).toBe('bad-chunk-extension');
    expect(over.requests).toHaveLength(0);
    // Whitespace and extension together: 60 + 2 bytes fit, 60 + 5 do not.
    const fits = parseAnySplit(chunked(`1${' '.repeat(60)};a`), limits);
    expect(fits.error).toBeUndefined();
    expect(fits.requests.map((r) => r.body)).toEqual(['x']);
    expect(parseAnySplit(chunked(`1${' '.repeat(60)};abcd`), limits).error?.code).toBe('bad-chunk-extension');
  });

  it('bounds leading zeros of a chunk size by the same limit', () => {
    const limits = { maxChunkExtBytes: 64 };
    const zeros = (n: number, last: string) =>
      `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(n)}1\r\nx\r\n${last}\r\n\r\n`;
    // 64 leading zeros before a 1, and before the 0 of the last chunk, fit; 65 do not.
    const fits = parseAnySplit(zeros(64, '0'.repeat(65)), limits);
    expect(fits.error).toBeUndefined();
    expect(fits.requests.map((r) => r.body)).toEqual(['x']);
    for (const wire of [zeros(65, '0'), zeros(0, '0'.repeat(66))]) {
      const over = parseAnySplit(wire, limits);
      expect(over.error?.code).toBe('bad-chunk-size');
      expect(over.requests).toHaveLength(0);
    }
    // A million zeros under the default limit, whole and in socket-sized reads.
    const million = b(zeros(1_000_000, '0'));
    expect(parsePieces([million]).error?.code).toBe('bad-chunk-size');
    const reads = Array.from({ length: Math.ceil(million.length / 65_536) }, (_, i) => i * 65_536);
    expect(parsePieces(split(million, reads)).error?.code).toBe('bad-chunk-size');
  });
});

const withHost = (field: string) => `GET / HTTP/1.1\r\n${field}\r\n\r\n`;

describe('Host field values follow RFC 9112 §3.2 (uri-host [ ":" port ])', () => {
  it.each([
    'example.com',
    'example.com:8080',
    'EXAMPLE.com:',
    '127.0.0.1',
    '127.0.0.1:80',
    'a-b_c~d.e',
    'xn--bcher-kva.example',
    'caf%C3%A9.example',
    "a!$&'()*+;=b",
    '[::1]',
    '[::1]:443',
    '[2001:db8::7]',
    '[::ffff:192.0.2.1]:8000',
    '[1:2:3:4:5:6:7:8]',
    '[::]',
    '[v1.fe80::a+en1]',
  ])('accepts Host: %s', (value) => {
    const { requests, error } = parseAnySplit(withHost(`Host: ${value}`));
    expect(error).toBeUndefined();
    expect(requests[0].head.headers).toEqual(['Host', value]);
  });

  it('keeps accepting an empty Host (a target without authority, RFC 9112 §3.2)', () => {
    const { requests, error } = parseAnySplit(withHost('Host:'));
    expect(error).toBeUndefined();
    expect(requests[0].head.headers).toEqual(['Host', '']);
  });

  it.each([
    ['a space', 'a b'],
    ['a path and userinfo', 'evil.com/x@y'],
    ['userinfo', 'user@example.com'],
    ['a list of two hosts', 'a.com, b.com'],
    ['a list without spaces', 'a.com,b.com'],
    ['a non-digit port', 'example.com:http'],
    ['two ports', 'example.com:80:81'],
    ['a port alone', ':80'],
    ['a query', 'example.com?x'],
    ['a fragment', 'example.com#x'],
    ['a backslash', 'example.com\\x'],
    ['a bad percent-encoding', 'a%zzb'],
    ['a truncated percent-encoding', 'a%4'],
    ['an unbracketed IPv6 address', '::1'],
    ['an unclosed IP-literal', '[::1'],
    ['an IP-literal that is not IPv6', '[example.com]'],
    ['an IPv6 zone id', '[fe80::1%25eth0]'],
    ['nine IPv6 groups', '[1:2:3:4:5:6:7:8:9]'],
    ['"::" twice', '[1::2::3]'],
    ['an IPv4 part before "::"', '[1.2.3.4::]'],
    ['an IPv4 part with a leading zero', '[::01.2.3.4]'],
    ['text after an IP-literal', '[::1]x'],
    ['a bad IPvFuture', '[v1.]'],
    ['obs-text', 'caf\xe9.example'],
    ['a quote', '"example.com"'],
  ])('refuses a Host with %s (%j) with 400', (_name, value) => {
    const { requests, error } = parseAnySplit(withHost(`Host: ${value}`));
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('bad-host');
    expect(requests).toHaveLength(0);
  });

  it('validates the Host of an HTTP/1.0 request too', () => {
    expect(parseAnySplit('GET / HTTP/1.0\r\nHost: a b\r\n\r\n').error?.code).toBe('bad-host');
    expect(parseAnySplit('GET / HTTP/1.0\r\n\r\n').error).toBeUndefined();
  });
});
