import { badRequest, HttpParseError } from './errors.js';
import { isValidHost } from './host.js';

/** How a request's body is delimited and whether the connection stays open after it. */
export interface Framing {
  /** Body length in bytes, or -1 for chunked. */
  readonly contentLength: number;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
}

// 15 decimal digits stay below Number.MAX_SAFE_INTEGER.
const MAX_CONTENT_LENGTH_DIGITS = 15;

/**
 * Decides body framing from the header fields (RFC 9112 §6.3), refusing every ambiguous
 * combination a front-end and a back-end could read differently: Content-Length together with
 * Transfer-Encoding, more than one Content-Length, a Content-Length that is not plain digits,
 * Transfer-Encoding whose final coding is not `chunked`, and Transfer-Encoding in HTTP/1.0;
 * and a Host that is missing (HTTP/1.1), repeated, or not a valid host[:port].
 */
export function decideFraming(headers: readonly string[], versionMinor: 0 | 1): Framing {
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let hostCount = 0;
  let host = '';
  let close = false;
  let keepAliveToken = false;
  let expectContinue = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          hostCount++;
          host = headers[i + 1];
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect' && headers[i + 1].toLowerCase() === '100-continue') {
          expectContinue = true;
        }
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const token of headers[i + 1].split(',')) {
            const t = token.trim().toLowerCase();
            if (t === 'close') close = true;
            else if (t === 'keep-alive') keepAliveToken = true;
          }
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (contentLength !== undefined) {
            throw badRequest('duplicate-content-length', 'more than one Content-Length header');
          }
          contentLength = headers[i + 1];
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          transferEncoding =
            transferEncoding === undefined ? headers[i + 1] : `${transferEncoding},${headers[i + 1]}`;
        }
        break;
    }
  }
  if (versionMinor === 1 && hostCount !== 1) {
    throw badRequest(
      'bad-host',
      hostCount === 0 ? 'HTTP/1.1 request without Host' : 'more than one Host header',
    );
  }
  if (hostCount > 1) throw badRequest('bad-host', 'more than one Host header');
  if (!isValidHost(host)) throw badRequest('bad-host', 'Host must be host[:port]');
  const keepAlive = versionMinor === 1 ? !close : keepAliveToken && !close;
  const expect = versionMinor === 1 && expectContinue;
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) {
      throw badRequest('content-length-and-transfer-encoding', 'both Content-Length and Transfer-Encoding');
    }
    if (versionMinor === 0)
      throw badRequest('transfer-encoding-http10', 'Transfer-Encoding in an HTTP/1.0 request');
    checkTransferCodings(transferEncoding);
    return { contentLength: -1, keepAlive, expectContinue: expect };
  }
  if (contentLength === undefined) return { contentLength: 0, keepAlive, expectContinue: false };
  return { contentLength: parseContentLength(contentLength), keepAlive, expectContinue: expect };
}

function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > MAX_CONTENT_LENGTH_DIGITS) {
    throw badRequest('bad-content-length', `Content-Length must be 1 to ${MAX_CONTENT_LENGTH_DIGITS} digits`);
  }
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw badRequest('bad-content-length', 'Content-Length must be plain decimal digits');
    n = n * 10 + d;
  }
  return n;
}

function checkTransferCodings(value: string): void {
  const codings = value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c.length > 0);
  if (codings.length === 0) throw badRequest('bad-transfer-encoding', 'empty Transfer-Encoding');
  const last = codings[codings.length - 1];
  if (last !== 'chunked') {
    throw badRequest('bad-transfer-encoding', 'the final transfer coding must be chunked');
  }
  const before = codings.slice(0, -1);
  if (before.includes('chunked')) throw badRequest('bad-transfer-encoding', 'chunked applied more than once');
  if (before.length > 0) {
    throw new HttpParseError(
      501,
      'unsupported-transfer-coding',
      `transfer coding "${before[0]}" is not supported`,
    );
  }
}
