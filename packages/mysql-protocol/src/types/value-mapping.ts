import { ColumnType } from './column-type.js';
import { type MysqlDateTime, type MysqlTime, parseDateTime, parseTime } from './temporal.js';

/**
 * A JS value a server puts into a row, or a client binds to a statement parameter.
 * `Date`s are read in UTC (the protocol has no time zone; UTC keeps the result independent of
 * the process's TZ). `undefined` is treated as SQL NULL.
 */
export type SqlValue =
  | null
  | undefined
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Date
  | MysqlDateTime
  | MysqlTime;

/** A binary-protocol parameter type: the column type code plus the unsigned bit. */
export interface ParamType {
  type: number;
  unsigned: boolean;
}

const INT64_MAX = 0x7fff_ffff_ffff_ffffn;

function isTime(v: object): v is MysqlTime {
  return 'days' in v && 'negative' in v;
}

function isDateTime(v: object): v is MysqlDateTime {
  return 'year' in v && 'month' in v && 'day' in v;
}

/**
 * The parameter type a client sends for a JS value: integers as LONGLONG (unsigned above
 * 2^63-1), other numbers as DOUBLE, strings as VAR_STRING, bytes as BLOB, booleans as TINY,
 * dates as DATETIME, {@link MysqlTime} as TIME, null as NULL.
 */
export function paramTypeOf(value: SqlValue): ParamType {
  if (value === null || value === undefined) return { type: ColumnType.NULL, unsigned: false };
  switch (typeof value) {
    case 'string':
      return { type: ColumnType.VAR_STRING, unsigned: false };
    case 'number':
      return { type: Number.isSafeInteger(value) ? ColumnType.LONGLONG : ColumnType.DOUBLE, unsigned: false };
    case 'bigint':
      return { type: ColumnType.LONGLONG, unsigned: value > INT64_MAX };
    case 'boolean':
      return { type: ColumnType.TINY, unsigned: false };
    default:
      if (value instanceof Uint8Array) return { type: ColumnType.BLOB, unsigned: false };
      if (value instanceof Date) return { type: ColumnType.DATETIME, unsigned: false };
      if (isTime(value)) return { type: ColumnType.TIME, unsigned: false };
      if (isDateTime(value)) return { type: ColumnType.DATETIME, unsigned: false };
      throw new TypeError(`cannot map a ${describe(value)} to a MySQL type`);
  }
}

function describe(value: unknown): string {
  return value === null
    ? 'null'
    : typeof value === 'object'
      ? (value.constructor?.name ?? 'object')
      : typeof value;
}

/** A date/datetime from a `Date` (UTC), a {@link MysqlDateTime} or its text form. */
export function toDateTime(value: SqlValue): MysqlDateTime {
  if (typeof value === 'string') {
    const v = parseDateTime(value);
    if (v === undefined)
      throw new TypeError(`"${value}" is not a date or datetime (expected YYYY-MM-DD[ hh:mm:ss[.ffffff]])`);
    return v;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('an invalid Date cannot be sent as DATETIME');
    return {
      year: value.getUTCFullYear(),
      month: value.getUTCMonth() + 1,
      day: value.getUTCDate(),
      hour: value.getUTCHours(),
      minute: value.getUTCMinutes(),
      second: value.getUTCSeconds(),
      microsecond: value.getUTCMilliseconds() * 1000,
    };
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && isDateTime(value)) {
    return value;
  }
  throw new TypeError(`a ${describe(value)} cannot be sent as a date or datetime`);
}

/** A TIME from a {@link MysqlTime} or its text form `[-]hhh:mm:ss[.ffffff]`. */
export function toTime(value: SqlValue): MysqlTime {
  if (typeof value === 'string') {
    const v = parseTime(value);
    if (v === undefined) throw new TypeError(`"${value}" is not a time (expected [-]hhh:mm:ss[.ffffff])`);
    return v;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && isTime(value))
    return value;
  throw new TypeError(`a ${describe(value)} cannot be sent as a time`);
}

/** An integer value (number, bigint, boolean or decimal text) as a bigint. */
export function toBigInt(value: SqlValue): bigint {
  switch (typeof value) {
    case 'bigint':
      return value;
    case 'boolean':
      return value ? 1n : 0n;
    case 'number':
      // Non-integers are truncated toward zero, as the server does when storing into an integer.
      if (Number.isFinite(value)) return BigInt(Math.trunc(value));
      break;
    case 'string':
      if (/^-?\d+$/.test(value.trim())) return BigInt(value.trim());
      break;
  }
  throw new TypeError(`a ${describe(value)} (${String(value).slice(0, 40)}) is not an integer`);
}

/** A number for FLOAT/DOUBLE (and small integer) columns. */
export function toNumber(value: SqlValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const n = Number(value);
    if (value.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw new TypeError(`a ${describe(value)} (${String(value).slice(0, 40)}) is not a number`);
}
