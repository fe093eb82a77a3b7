import { CRLF } from './request-encoder.js';
import type { MetaCode, Response, Status } from './types.js';

const line = (text: string): Buffer => Buffer.from(`${text}\r\n`, 'latin1');

/** Preencoded one-line replies: the hot path writes these shared buffers. */
export const STATUS_LINES: Readonly<Record<Status, Buffer>> = Object.freeze({
  STORED: line('STORED'),
  NOT_STORED: line('NOT_STORED'),
  EXISTS: line('EXISTS'),
  NOT_FOUND: line('NOT_FOUND'),
  DELETED: line('DELETED'),
  TOUCHED: line('TOUCHED'),
  OK: line('OK'),
});
export const END: Buffer = line('END');
export const ERROR_LINE: Buffer = line('ERROR');

/** `VALUE <key> <flags> <bytes> [<cas>]` + data: returns the buffers to write (data is not copied). */
export function encodeValue(key: string, flags: number, data: Buffer, cas?: bigint): Buffer[] {
  const suffix = cas === undefined ? '' : ` ${cas}`;
  return [line(`VALUE ${key} ${flags >>> 0} ${data.length}${suffix}`), data, CRLF];
}

/** The reply to incr/decr. */
export function encodeNumber(value: bigint | number): Buffer {
  return line(String(value));
}

export function encodeStat(name: string, value: string | number): Buffer {
  return line(`STAT ${name} ${value}`);
}

export function encodeVersion(version: string): Buffer {
  return line(`VERSION ${version}`);
}

/** An error line such as `CLIENT_ERROR bad data chunk` (pass the text without CRLF). */
export function encodeErrorLine(text: string): Buffer {
  return line(text);
}

/** A meta reply without a value: `HD`, `EN`, `NF`, `NS`, `EX`, `MN` (with flags), or `ME <key> ...`. */
export function encodeMetaLine(
  code: Exclude<MetaCode, 'VA'>,
  flags: readonly string[] = [],
  key = '',
): Buffer {
  const parts = code === 'ME' ? [code, key, ...flags] : [code, ...flags];
  return line(parts.join(' '));
}

/** A meta reply with a value: `VA <size> <flags>*` + data. */
export function encodeMetaValue(flags: readonly string[], data: Buffer): Buffer[] {
  const rest = flags.length === 0 ? '' : ` ${flags.join(' ')}`;
  return [line(`VA ${data.length}${rest}`), data, CRLF];
}

/** Re-encodes a decoded response item from its fields (not from `raw`). */
export function encodeResponse(response: Response): Buffer[] {
  switch (response.kind) {
    case 'value':
      return encodeValue(response.key, response.flags, response.data, response.cas);
    case 'end':
      return [END];
    case 'stat':
      return [encodeStat(response.name, response.value)];
    case 'status':
      return [STATUS_LINES[response.status]];
    case 'number':
      return [encodeNumber(response.value)];
    case 'version':
      return [encodeVersion(response.version)];
    case 'error':
      return [encodeErrorLine(response.type === 'ERROR' ? 'ERROR' : `${response.type} ${response.message}`)];
    case 'meta':
      if (response.code === 'VA') return encodeMetaValue(response.flags, response.data ?? Buffer.alloc(0));
      return [encodeMetaLine(response.code, response.flags, response.key)];
    case 'invalid':
      throw new RangeError(`cannot encode an invalid response (${response.reason})`);
  }
}
