import { FIELD_VALUE, TOKEN } from './chars.js';
import type { HttpParseError } from './errors.js';
import { STATUS_TEXT } from './status-text.js';

/** Header fields for a response: a flat `[name, value, ...]` list or a record. */
export type ResponseHeaders = readonly string[] | Readonly<Record<string, string | number>>;

/** The interim response sent when a client waits on `Expect: 100-continue`. */
export const CONTINUE_RESPONSE: Buffer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** The last chunk of a chunked body with no trailers. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

/**
 * Serializes a response head (status line, fields, empty line) as a latin1 string to write as is.
 * Throws a TypeError for a status outside 100-999 or a field that would break framing (a name
 * that is not a token, a value with CR, LF, NUL or another control byte): response splitting
 * is refused at the source.
 */
export function serializeResponseHead(status: number, headers: ResponseHeaders, reason?: string): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new TypeError(`HTTP status must be an integer from 100 to 999, got ${status}`);
  }
  const phrase = reason ?? STATUS_TEXT[status] ?? '';
  checkValue('reason phrase', phrase);
  let head = `HTTP/1.1 ${status} ${phrase}\r\n`;
  if (Array.isArray(headers)) {
    const list = headers as readonly string[];
    for (let i = 0; i < list.length; i += 2) head += field(list[i], String(list[i + 1]));
  } else {
    const record = headers as Readonly<Record<string, string | number>>;
    for (const name in record) head += field(name, String(record[name]));
  }
  return `${head}\r\n`;
}

/**
 * The size line that precedes `length` bytes of chunk data: `<hex>\r\n`.
 *
 * @throws RangeError unless `length` is a whole number above 0: a size of 0 is the last-chunk
 *   marker (the response would end there and its remaining bytes be read as the next one)
 */
export function chunkHeader(length: number): string {
  if (!Number.isSafeInteger(length) || length <= 0) {
    throw new RangeError(
      `chunk size must be a whole number above 0 (0 ends the body; see lastChunk), got ${length}`,
    );
  }
  return `${length.toString(16)}\r\n`;
}

/** The CRLF that follows each chunk's data. */
export const CHUNK_END = '\r\n';

/** The last chunk followed by trailer fields: `0\r\n<fields>\r\n`. */
export function lastChunk(trailers?: ResponseHeaders): string {
  if (trailers === undefined) return '0\r\n\r\n';
  return `0\r\n${serializeResponseHead(200, trailers).slice('HTTP/1.1 200 OK\r\n'.length)}`;
}

/**
 * A complete `Connection: close` response for a refused request, with the reason as a plain
 * text body, ready to write before closing.
 */
export function errorResponse(error: HttpParseError | { status: number; message: string }): Buffer {
  const body = `${error.message}\n`;
  return Buffer.from(
    serializeResponseHead(error.status, [
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Connection',
      'close',
    ]) + body,
    'utf8',
  );
}

function field(name: string, value: string): string {
  checkHeaderField(name, value);
  return `${name}: ${value}\r\n`;
}

/**
 * Throws the TypeError {@link serializeResponseHead} would throw for this field: a name that is
 * not a token, a value with CR, LF, NUL, another control byte or a character above U+00FF. For
 * code that stores fields to serialize later, so the mistake surfaces where it is made.
 */
export function checkHeaderField(name: string, value: string): void {
  if (name.length === 0) throw new TypeError('empty header name');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 255 || TOKEN[c] !== 1) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  }
  checkValue(`header ${name}`, value);
}

function checkValue(what: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 255 || FIELD_VALUE[c] !== 1)
      throw new TypeError(`invalid byte in ${what}: ${JSON.stringify(value)}`);
  }
}
