import { CR, LF, SP, TARGET, TOKEN } from './chars.js';
import { badRequest, HttpParseError } from './errors.js';
import { parseFieldLine } from './field-line.js';
import { decideFraming } from './framing.js';
import type { RequestHead } from './request-head.js';

/** Options that shape what {@link parseHead} accepts. */
export interface HeadRules {
  readonly maxHeaderCount: number;
}

/**
 * Parses a complete request head held in `buf[start, end)`: request line and field lines, each
 * ending in CRLF, without the final empty line. The caller has already checked that every LF
 * follows a CR, so a line ends at the first CR, which must be followed by LF.
 */
export function parseHead(buf: Buffer, start: number, end: number, rules: HeadRules): RequestHead {
  const lineEnd = lineEndAt(buf, start, end);
  const { method, target, versionMinor } = parseRequestLine(buf, start, lineEnd);
  const headers: string[] = [];
  let pos = lineEnd + 2;
  while (pos < end) {
    const next = lineEndAt(buf, pos, end);
    if (headers.length >= rules.maxHeaderCount * 2) {
      throw new HttpParseError(431, 'too-many-headers', `more than ${rules.maxHeaderCount} header fields`);
    }
    parseFieldLine(buf, pos, next, headers);
    pos = next + 2;
  }
  const framing = decideFraming(headers, versionMinor);
  return {
    method,
    target,
    versionMinor,
    headers,
    contentLength: framing.contentLength,
    keepAlive: framing.keepAlive,
    expectContinue: framing.expectContinue,
  };
}

function lineEndAt(buf: Buffer, pos: number, end: number): number {
  const cr = buf.indexOf(CR, pos);
  if (cr < 0 || cr >= end || buf[cr + 1] !== LF) {
    throw badRequest('bare-cr', 'a CR not followed by LF is not accepted');
  }
  return cr;
}

function parseRequestLine(
  buf: Buffer,
  start: number,
  end: number,
): { method: string; target: string; versionMinor: 0 | 1 } {
  let i = start;
  while (i < end && TOKEN[buf[i]] === 1) i++;
  if (i === start || i === end || buf[i] !== SP) {
    throw badRequest('bad-request-line', 'request line must be: method SP request-target SP HTTP-version');
  }
  const method = buf.toString('latin1', start, i);
  const targetStart = ++i;
  while (i < end && TARGET[buf[i]] === 1) i++;
  if (i === targetStart || i === end || buf[i] !== SP) {
    throw badRequest('bad-request-line', 'request-target missing or contains a forbidden byte');
  }
  const target = buf.toString('latin1', targetStart, i);
  const first = buf[targetStart];
  if (first !== 0x2f) {
    if (!(target === '*' && method === 'OPTIONS')) {
      throw badRequest(
        'bad-target-form',
        'only origin-form request-targets ("/path?query") are accepted, and "*" for OPTIONS',
      );
    }
  }
  i++;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, exactly eight bytes, then the end of the line.
  if (
    end - i !== 8 ||
    buf[i] !== 0x48 ||
    buf[i + 1] !== 0x54 ||
    buf[i + 2] !== 0x54 ||
    buf[i + 3] !== 0x50 ||
    buf[i + 4] !== 0x2f ||
    buf[i + 6] !== 0x2e
  ) {
    throw badRequest('bad-version', 'HTTP-version must be HTTP/1.1 or HTTP/1.0');
  }
  const major = buf[i + 5] - 0x30;
  const minor = buf[i + 7] - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) {
    throw badRequest('bad-version', 'HTTP-version must be HTTP/1.1 or HTTP/1.0');
  }
  if (major !== 1 || minor > 1) {
    throw new HttpParseError(505, 'version-not-supported', `HTTP/${major}.${minor} is not supported`);
  }
  return { method, target, versionMinor: minor as 0 | 1 };
}
