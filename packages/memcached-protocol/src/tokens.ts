const SPACE = 0x20;

/**
 * Splits `buf[start..end)` at runs of spaces into latin1 strings (one string per byte, so any
 * key byte survives). Returns `undefined` when there are more than `max` tokens, so a hostile
 * line cannot make us build a huge array; callers that take many keys pass a large `max`.
 */
export function tokenize(buf: Buffer, start: number, end: number, max: number): string[] | undefined {
  const tokens: string[] = [];
  let i = start;
  while (i < end) {
    while (i < end && buf[i] === SPACE) i++;
    if (i >= end) break;
    const from = i;
    while (i < end && buf[i] !== SPACE) i++;
    if (tokens.length === max) return undefined;
    tokens.push(buf.toString('latin1', from, i));
  }
  return tokens;
}

const UNSIGNED = /^[0-9]{1,20}$/;
const SIGNED = /^-?[0-9]{1,19}$/;
const U32_MAX = 0xffff_ffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Parses an unsigned 32-bit decimal (flags, byte counts); `undefined` when it is not one. */
export function parseU32(s: string | undefined): number | undefined {
  if (s === undefined || !UNSIGNED.test(s)) return undefined;
  const n = Number(s);
  return n <= U32_MAX ? n : undefined;
}

/** Parses a signed 32-bit decimal (expiration times may be negative: expire at once). */
export function parseI32(s: string | undefined): number | undefined {
  if (s === undefined || !SIGNED.test(s)) return undefined;
  const n = Number(s);
  return n >= -0x8000_0000 && n <= 0x7fff_ffff ? n : undefined;
}

/** Parses an unsigned 64-bit decimal (cas uniques, incr/decr deltas and results). */
export function parseU64(s: string | undefined): bigint | undefined {
  if (s === undefined || !UNSIGNED.test(s)) return undefined;
  const n = BigInt(s);
  return n <= U64_MAX ? n : undefined;
}

/** A key is 1..max bytes with no control characters (spaces are already token separators). */
export function isValidKey(key: string, maxLength: number): boolean {
  if (key.length === 0 || key.length > maxLength) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}
