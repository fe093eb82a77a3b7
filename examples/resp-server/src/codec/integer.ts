const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * Whether `bytes[start..end)` is an integer written the strict way redis-server accepts: an
 * optional `-`, no `+`, no leading zeros, no spaces, at most 20 characters. Anything else (`01`,
 * `-0`, ` 1`, `1e3`) is not a number to Redis, and so not to us.
 */
function isStrictInteger(bytes: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0 || length > 20) return false;
  let i = start;
  if (bytes[i] === MINUS) i++;
  if (i === end) return false;
  const first = bytes[i]!;
  if (first === ZERO) return length === 1;
  if (first < ZERO || first > NINE) return false;
  for (i++; i < end; i++) {
    const b = bytes[i]!;
    if (b < ZERO || b > NINE) return false;
  }
  return true;
}

/**
 * Reads a length (`*<count>` or `$<size>`) as a number; `NaN` when it is not a strict integer.
 * Precision beyond 2^53 does not matter: such lengths are refused by the caller's limits anyway.
 */
export function parseLength(bytes: Uint8Array, start: number, end: number): number {
  if (!isStrictInteger(bytes, start, end)) return Number.NaN;
  let value = 0;
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  for (; i < end; i++) value = value * 10 + (bytes[i]! - ZERO);
  return negative ? -value : value;
}

/**
 * Reads a signed 64-bit integer the way redis-server reads numeric arguments and values;
 * `undefined` when the bytes are not one or it does not fit in 64 bits.
 */
export function parseInt64(bytes: Uint8Array): bigint | undefined {
  if (!isStrictInteger(bytes, 0, bytes.length)) return undefined;
  const value = BigInt(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'));
  return value > INT64_MAX || value < INT64_MIN ? undefined : value;
}

export { INT64_MAX, INT64_MIN };
