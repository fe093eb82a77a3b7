import {
  daysInMonth,
  epochMicros,
  formatDate,
  formatDateTime,
  fromEpochMicros,
  type Temporal,
  valid,
} from './temporal.js';
import { int, num, type SqlValue, text } from './values.js';

type Field = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'microsecond';

/** MySQL's interval units and the fields a value of each gives, most significant first. */
export const INTERVAL_UNITS: ReadonlyMap<string, readonly Field[]> = new Map<string, Field[]>([
  ['MICROSECOND', ['microsecond']],
  ['SECOND', ['second']],
  ['MINUTE', ['minute']],
  ['HOUR', ['hour']],
  ['DAY', ['day']],
  ['WEEK', ['week']],
  ['MONTH', ['month']],
  ['QUARTER', ['quarter']],
  ['YEAR', ['year']],
  ['SECOND_MICROSECOND', ['second', 'microsecond']],
  ['MINUTE_MICROSECOND', ['minute', 'second', 'microsecond']],
  ['MINUTE_SECOND', ['minute', 'second']],
  ['HOUR_MICROSECOND', ['hour', 'minute', 'second', 'microsecond']],
  ['HOUR_SECOND', ['hour', 'minute', 'second']],
  ['HOUR_MINUTE', ['hour', 'minute']],
  ['DAY_MICROSECOND', ['day', 'hour', 'minute', 'second', 'microsecond']],
  ['DAY_SECOND', ['day', 'hour', 'minute', 'second']],
  ['DAY_MINUTE', ['day', 'hour', 'minute']],
  ['DAY_HOUR', ['day', 'hour']],
  ['YEAR_MONTH', ['year', 'month']],
]);

/** The fields of `unit`, which may carry ODBC's `SQL_TSI_` prefix (`SQL_TSI_DAY`). */
export function unitFields(unit: string): readonly Field[] | undefined {
  return INTERVAL_UNITS.get(unit.toUpperCase().replace(/^SQL_TSI_/, ''));
}

const MICROS: Partial<Record<Field, bigint>> = {
  microsecond: 1n,
  second: 1_000_000n,
  minute: 60_000_000n,
  hour: 3_600_000_000n,
  day: 86_400_000_000n,
  week: 604_800_000_000n,
};
const MONTHS: Partial<Record<Field, number>> = { month: 1, quarter: 3, year: 12 };

/** An interval: whole months (applied first, the day kept within the month) and microseconds. */
export interface Interval {
  months: number;
  micros: bigint;
  /** Whether it moves the time of day (a DATE plus it becomes a DATETIME). */
  timed: boolean;
  /** Whether it has a fraction of a second. */
  fractional: boolean;
}

/** `INTERVAL value unit` read as MySQL reads it, or null when the value does not fit the unit. */
export function interval(value: SqlValue, unit: string): Interval | null {
  const fields = unitFields(unit);
  if (fields === undefined || value === null) return null;
  let parts: number[];
  let negative = false;
  if (fields.length === 1) {
    const n = num(value);
    if (fields[0] === 'second' && !Number.isInteger(n)) {
      const micros = BigInt(Math.round(n * 1_000_000));
      return { months: 0, micros, timed: true, fractional: true };
    }
    negative = n < 0;
    // A decimal number is rounded, a string cut at its point, as MySQL converts them.
    parts = [Math.abs(int(value))];
  } else {
    // '1 2:30' DAY_MINUTE: the digit groups, aligned to the unit's right-most fields.
    const s = text(value).trim();
    negative = s.startsWith('-');
    const groups = s.match(/\d+/g) ?? [];
    if (groups.length > fields.length) return null;
    parts = new Array(fields.length - groups.length).fill(0);
    groups.forEach((g, i) => {
      const isMicro = fields[fields.length - groups.length + i] === 'microsecond';
      parts.push(Number(isMicro ? g.slice(0, 6).padEnd(6, '0') : g));
    });
  }
  let months = 0;
  let micros = 0n;
  fields.forEach((f, i) => {
    const p = parts[i]!;
    if (MONTHS[f] !== undefined) months += p * MONTHS[f];
    else micros += BigInt(p) * MICROS[f]!;
  });
  const sign = negative ? -1 : 1;
  return {
    months: months * sign,
    micros: micros * BigInt(sign),
    timed: fields.some((f) => MICROS[f] !== undefined && f !== 'day' && f !== 'week'),
    fractional: fields.includes('microsecond'),
  };
}

/** `t` moved by `iv` (`sign` -1: back), as a DATE or DATETIME string; null out of range. */
export function addInterval(t: Temporal, iv: Interval, sign: 1 | -1): string | null {
  let { year, month, day } = t;
  const months = iv.months * sign;
  if (months !== 0) {
    const total = year * 12 + (month - 1) + months;
    year = Math.floor(total / 12);
    month = (total % 12) + 1;
    day = Math.min(day, daysInMonth(year, month));
  }
  // The fraction keeps the digits it was written with, unless the interval has microseconds.
  const moved = fromEpochMicros(
    epochMicros({ ...t, year, month, day }) + iv.micros * BigInt(sign),
    iv.fractional ? 6 : t.fraction,
  );
  // Year 0 is no year to arrive at (MySQL: NULL).
  if (!valid(moved) || (moved.year === 0 && t.year > 0)) return null;
  return t.hasTime || iv.timed ? formatDateTime(moved) : formatDate(moved);
}

/** TIMESTAMPDIFF(unit, a, b): whole units from `a` to `b`, toward zero. */
export function timestampDiff(unit: string, a: Temporal, b: Temporal): bigint | null {
  const fields = unitFields(unit);
  if (fields === undefined || fields.length !== 1) return null;
  const f = fields[0]!;
  const step = MONTHS[f];
  if (step === undefined) return (epochMicros(b) - epochMicros(a)) / MICROS[f]!;
  let months = (b.year - a.year) * 12 + (b.month - a.month);
  // A month is whole only once the day and time of day are reached too.
  const rest = (t: Temporal) =>
    (((t.day * 24 + t.hour) * 60 + t.minute) * 60 + t.second) * 1e6 + t.microsecond;
  const forward = epochMicros(b) >= epochMicros(a);
  if (forward && months > 0 && rest(b) < rest(a)) months--;
  if (!forward && months < 0 && rest(b) > rest(a)) months++;
  return BigInt(Math.trunc(months / step));
}
