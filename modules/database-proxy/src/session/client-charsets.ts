/**
 * A client's character set as the proxy meets it: the sets a server cannot read statements in,
 * and how names (a schema's) are bytes in the others.
 *
 * Character sets a server cannot read statements in: every character takes two or four bytes,
 * so ASCII SQL is not valid in them. MariaDB refuses them as a client's at login (ER 1231); the
 * proxy, which logs clients in itself, refuses them the same way rather than accept a login
 * whose every statement would then fail at the backend.
 */

function idsOf(...ranges: [number, number][]): number[] {
  const ids: number[] = [];
  for (const [from, to] of ranges) for (let id = from; id <= to; id++) ids.push(id);
  return ids;
}

/** Collation ids (as a handshake names them, below 256) of ucs2, utf16, utf16le and utf32. */
const UNUSABLE = new Map<number, string>([
  ...idsOf([35, 35], [90, 90], [128, 151], [159, 159]).map((id) => [id, 'ucs2'] as const),
  ...idsOf([54, 55], [101, 124]).map((id) => [id, 'utf16'] as const),
  ...idsOf([56, 56], [62, 62]).map((id) => [id, 'utf16le'] as const),
  ...idsOf([60, 61], [160, 183]).map((id) => [id, 'utf32'] as const),
]);

/** The character set's name when collation `id` cannot be a client's, else undefined. */
export function unusableClientCharset(id: number): string | undefined {
  return UNUSABLE.get(id);
}

/**
 * How names (a schema's, for COM_INIT_DB and USE) go to and come from bytes in a MariaDB
 * character set: latin1 and ascii as themselves, every other set as UTF-8. The proxy has no
 * encoder for the multi-byte Asian sets, so a non-ASCII name in one of those is read and written
 * as UTF-8 (a known limit); ASCII names read the same in all of them.
 */
export function charsetEncoding(charset: string | undefined): BufferEncoding {
  return charset === 'latin1' || charset === 'ascii' ? charset : 'utf8';
}

/**
 * The encoding that writes `name` exactly as character set `charset` reads it, or undefined
 * when there is none here: ASCII reads the same in every client character set; UTF-8 sets hold
 * any name; latin1 (MariaDB's, cp1252) holds what Node's latin1 writes the same way, the
 * characters U+00A0–U+00FF.
 */
export function exactNameEncoding(charset: string | undefined, name: string): BufferEncoding | undefined {
  if (charset === undefined || /^utf8(?:mb[34])?$/.test(charset)) return 'utf8';
  if (/^[\u0000-\u007f]*$/.test(name)) return 'utf8';
  if (charset === 'latin1' && /^[\u0000-\u007f\u00a0-\u00ff]*$/.test(name)) return 'latin1';
  return undefined;
}
