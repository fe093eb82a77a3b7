import { MysqlError } from '../errors.js';
import type { MysqlFunction } from './definition.js';
import { decimalString } from './numbers.js';
import { formatDate, formatDateTime, formatTime, parseDateTime, parseTime } from './temporal.js';
import { bytes, num, type SqlValue, text } from './values.js';

/** The function `CAST(x AS type)` and `CONVERT(x, type)` become (see sql/cast.ts). */
export const CAST_FUNCTION = '__mysql_cast';

const MIN_SIGNED = -(2n ** 63n);
const MAX_SIGNED = 2n ** 63n - 1n;
const MAX_UNSIGNED = 2n ** 64n - 1n;
/** MariaDB's bounds of a DECIMAL it casts to (a column's scale stops at 30 in MySQL, 38 in MariaDB). */
const MAX_DECIMAL_PRECISION = 65;
const MAX_DECIMAL_SCALE = 38;

/**
 * A string's leading integer as MySQL's CAST reads it (`' 12abc'` is 12, `'3.7'` 3, `'1e3'` 1):
 * beyond 64 bits a positive one stops at 2^64−1 and a negative one at −2^63.
 */
function leadingInteger(s: string): bigint {
  const m = /^\s*([+-]?)(\d+)/.exec(s);
  if (m === null) return 0n;
  const n = BigInt(m[2]!);
  if (m[1] === '-') return -n < MIN_SIGNED ? MIN_SIGNED : -n;
  return n > MAX_UNSIGNED ? MAX_UNSIGNED : n;
}

/**
 * SQLite has 64-bit signed integers only: an UNSIGNED beyond them is answered as its digits
 * (shown right, compared as text).
 */
function unsignedResult(n: bigint): SqlValue {
  return n > MAX_SIGNED ? n.toString() : n;
}

/** The largest FLOAT (single precision). */
const MAX_FLOAT = 3.4028234663852886e38;

/**
 * `n` clamped to ±`max`, as MariaDB's CAST to DOUBLE / FLOAT stops at the type's largest value:
 * CAST('1e500' AS DOUBLE) is 1.7976931348623157e308, not the Infinity a JavaScript number
 * became (and SQLite then computed with).
 */
function withinRange(n: number, max: number): number {
  return Math.min(Math.max(n, -max), max);
}

/** `v` as a BIGINT: fractions rounded half away from zero, out of range clamped, as MySQL does. */
function toInteger(v: SqlValue, unsigned: boolean): SqlValue {
  if (typeof v === 'bigint') return unsigned ? unsignedResult(BigInt.asUintN(64, v)) : v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 0n;
    const r = BigInt(decimalString(v, 0, false));
    // A negative fraction does not wrap to UNSIGNED as a negative integer does: it stops at 0.
    if (unsigned) return unsignedResult(r < 0n ? 0n : r > MAX_UNSIGNED ? MAX_UNSIGNED : r);
    return r < MIN_SIGNED ? MIN_SIGNED : r > MAX_SIGNED ? MAX_SIGNED : r;
  }
  // A string's 64 bits, read as the type asked for (SIGNED of '18446744073709551615' is −1).
  const n = leadingInteger(text(v));
  return unsigned ? unsignedResult(BigInt.asUintN(64, n)) : BigInt.asIntN(64, n);
}

/** DECIMAL(precision, scale): rounded half away from zero, clamped to its largest value. */
function toDecimal(v: SqlValue, precision: number, scale: number): SqlValue {
  if (precision > MAX_DECIMAL_PRECISION)
    throw new MysqlError(
      1426,
      `Too big precision specified for '${text(v)}'. Maximum is ${MAX_DECIMAL_PRECISION}`,
      '42000',
    );
  if (scale > MAX_DECIMAL_SCALE)
    throw new MysqlError(
      1425,
      `Too big scale specified for '${text(v)}'. Maximum is ${MAX_DECIMAL_SCALE}`,
      '42000',
    );
  if (scale > precision)
    throw new MysqlError(
      1427,
      "For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '').",
      '42000',
    );
  let s = decimalString(typeof v === 'bigint' || typeof v === 'number' ? v : num(v), scale, false);
  const negative = s.startsWith('-');
  const whole = (negative ? s.slice(1) : s).split('.')[0]!;
  if (whole.replace(/^0+/, '').length > precision - scale) {
    const largest = '9'.repeat(precision - scale) || '0';
    s = `${negative ? '-' : ''}${largest}${scale > 0 ? `.${'9'.repeat(scale)}` : ''}`;
  }
  // SQLite keeps a number: the scale is shown by the column's type (engine/column-types.ts).
  return scale === 0 ? BigInt(s) : Number(s);
}

/** `microsecond` cut to `fsp` digits, as MariaDB cuts (not rounds) a fraction it casts. */
function cutFraction(microsecond: number, fsp: number): number {
  const unit = 10 ** (6 - fsp);
  return Math.floor(microsecond / unit) * unit;
}

function checkFsp(v: SqlValue, fsp: number): void {
  if (fsp > 6)
    throw new MysqlError(1426, `Too big precision specified for '${text(v)}'. Maximum is 6`, '42000');
}

/** `v` as a DATE / DATETIME: NULL for anything that is not one; `0` is the zero date. */
function toDateTime(v: SqlValue, withTime: boolean, fsp: number): SqlValue {
  checkFsp(v, fsp);
  if ((typeof v === 'bigint' && v === 0n) || v === 0) return withTime ? '0000-00-00 00:00:00' : '0000-00-00';
  const t = parseDateTime(v, true);
  if (t === null) return null;
  if (!withTime) return formatDate(t);
  return formatDateTime({ ...t, microsecond: cutFraction(t.microsecond, fsp) }, fsp);
}

function toTime(v: SqlValue, fsp: number): SqlValue {
  checkFsp(v, fsp);
  const t = parseTime(v);
  if (t === null) return null;
  return formatTime({ ...t, microsecond: cutFraction(t.microsecond, fsp) }, fsp);
}

/**
 * BINARY[(n)]: the bytes, cut or padded with zero bytes to `n`. Text where the bytes are a whole
 * UTF-8 text without padding, so `CAST(a AS BINARY) = 'Abc'` compares as MySQL's bytes do (SQLite
 * puts any blob after any text); a blob otherwise.
 */
function toBinary(v: SqlValue, length: number): SqlValue {
  if (length < 0) return v instanceof Uint8Array || typeof v === 'string' ? v : text(v);
  let b = bytes(v);
  const padded = b.length < length;
  b = padded ? Buffer.concat([b, Buffer.alloc(length - b.length)]) : b.subarray(0, length);
  if (padded) return new Uint8Array(b);
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : new Uint8Array(b);
}

/**
 * MySQL's CAST / CONVERT: `__mysql_cast(x, 'TYPE', n, m, 'type as written')`, where n is the
 * length, precision or fraction digits written (−1 when none) and m a DECIMAL's scale (−1 when
 * none); the written type only names the column.
 */
export function mysqlCast(
  v: SqlValue,
  type: SqlValue,
  n: SqlValue,
  m: SqlValue,
  _written: SqlValue,
): SqlValue {
  if (v === null) return null;
  const length = n === null ? -1 : Number(n);
  const scale = m === null ? -1 : Number(m);
  switch (text(type)) {
    case 'SIGNED':
      return toInteger(v, false);
    case 'UNSIGNED':
      return toInteger(v, true);
    case 'DECIMAL':
      return toDecimal(v, length < 0 ? 10 : length, Math.max(scale, 0));
    case 'DOUBLE':
      return withinRange(num(v), Number.MAX_VALUE);
    case 'FLOAT':
      // A FLOAT's 6 significant digits, as MariaDB shows one (123456789 is 123457000).
      return Number(Math.fround(withinRange(num(v), MAX_FLOAT)).toPrecision(6));
    case 'DATE':
      return toDateTime(v, false, 0);
    case 'DATETIME':
      return toDateTime(v, true, Math.max(length, 0));
    case 'TIME':
      return toTime(v, Math.max(length, 0));
    case 'CHAR': {
      const s = text(v);
      return length < 0 ? s : Array.from(s).slice(0, length).join('');
    }
    case 'BINARY':
      return toBinary(v, length);
    default:
      return v;
  }
}

export function castFunctions(): MysqlFunction[] {
  return [{ names: [CAST_FUNCTION], fn: mysqlCast }];
}
