const CRLF_TEXT = '\r\n';

/** `\r\n`, the end of every RESP element. */
export const CRLF = Buffer.from(CRLF_TEXT);
/** `+OK` */
export const OK = Buffer.from('+OK\r\n');
/** `+PONG` */
export const PONG = Buffer.from('+PONG\r\n');
/** The RESP2 null bulk string, `$-1` (GET of a missing key). */
export const NIL = Buffer.from('$-1\r\n');

const SMALL_INTEGERS = Array.from({ length: 64 }, (_, i) => Buffer.from(`:${i}\r\n`));
const MINUS_ONE = Buffer.from(':-1\r\n');
const MINUS_TWO = Buffer.from(':-2\r\n');

/** `+<text>`; the text must not contain CR or LF. */
export function encodeSimple(text: string): Buffer {
  return Buffer.from(`+${text}\r\n`, 'latin1');
}

/**
 * `-<message>`, e.g. `ERR syntax error`. Like redis-server, CR and LF in the message become
 * spaces, so a client's bytes echoed in an error cannot break the framing. The message is
 * written as latin1: one byte per character, so echoed argument bytes go back unchanged.
 */
export function encodeError(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]/g, ' ')}\r\n`, 'latin1');
}

/** `:<n>` */
export function encodeInteger(n: number | bigint): Buffer {
  if (typeof n === 'number' && n >= 0 && n < SMALL_INTEGERS.length && Number.isInteger(n)) {
    return SMALL_INTEGERS[n]!;
  }
  if (n === -1) return MINUS_ONE;
  if (n === -2) return MINUS_TWO;
  return Buffer.from(`:${n}\r\n`, 'latin1');
}

/** `$<length>\r\n`: the header of a bulk string whose bytes are written separately. */
export function encodeBulkHeader(length: number): Buffer {
  return Buffer.from(`$${length}\r\n`, 'latin1');
}

/** A whole bulk string in one buffer (a copy of `value`: use it for small values). */
export function encodeBulk(value: Uint8Array): Buffer {
  const header = `$${value.length}\r\n`;
  const out = Buffer.allocUnsafe(header.length + value.length + 2);
  out.write(header, 0, 'latin1');
  out.set(value, header.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

/** `*<count>\r\n`: the header of an array whose elements follow. */
export function encodeArrayHeader(count: number): Buffer {
  return Buffer.from(`*${count}\r\n`, 'latin1');
}
