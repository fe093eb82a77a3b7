import { CR, FIELD_VALUE, HTAB, SP, TOKEN } from './chars.js';
import { badRequest } from './errors.js';

/**
 * Parses one field line `name ":" OWS value OWS` occupying `buf[start, end)` (without its CRLF)
 * and pushes name and value onto `out`. Throws an {@link HttpParseError} for the smuggling
 * vectors RFC 9112 tells servers to refuse: obs-fold, whitespace before the colon, empty or
 * non-token names, and CR/LF/NUL/CTL inside the value.
 */
export function parseFieldLine(buf: Buffer, start: number, end: number, out: string[]): void {
  const first = buf[start];
  if (first === SP || first === HTAB) {
    throw badRequest(
      'obs-fold',
      'obsolete line folding (a header line starting with whitespace) is not accepted',
    );
  }
  let i = start;
  while (i < end && TOKEN[buf[i]] === 1) i++;
  if (i === end || buf[i] !== 0x3a) {
    if (i < end && (buf[i] === SP || buf[i] === HTAB)) {
      throw badRequest(
        'space-before-colon',
        'whitespace between a header name and its colon is not accepted',
      );
    }
    throw badRequest('bad-header-name', 'header name must be a token followed by a colon');
  }
  if (i === start) throw badRequest('bad-header-name', 'empty header name');
  const nameEnd = i;
  i++;
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  const valueStart = i;
  let valueEnd = i;
  for (; i < end; i++) {
    const b = buf[i];
    if (FIELD_VALUE[b] !== 1) {
      throw badRequest(
        b === CR ? 'bare-cr' : 'bad-header-value',
        `header value contains the forbidden byte 0x${b.toString(16).padStart(2, '0')}`,
      );
    }
    if (b !== SP && b !== HTAB) valueEnd = i + 1;
  }
  out.push(buf.toString('latin1', start, nameEnd), buf.toString('latin1', valueStart, valueEnd));
}
