import { MysqlError } from '../errors.js';
import { dateFormat, strToDate } from './date-format.js';
import type { MysqlFunction } from './definition.js';
import { addInterval, INTERVAL_UNITS, interval, timestampDiff } from './intervals.js';
import {
  civil,
  DAY_NAMES,
  dayNumber,
  dayOfYear,
  daysInMonth,
  formatDate,
  formatDateTime,
  formatTime,
  fromEpochMicros,
  MONTH_NAMES,
  parseDateTime,
  parseTime,
  secondsToTime,
  type Temporal,
  TO_DAYS_EPOCH,
  weekday,
} from './temporal.js';
import { int, integer, num, present, type SqlValue, text } from './values.js';
import { weekOf } from './week.js';

/** A function of one DATE/DATETIME argument; NULL for NULL or a value that is not one. */
function ofDate(names: readonly string[], f: (t: Temporal) => SqlValue, zeros = false): MysqlFunction {
  return { names, fn: (v) => mapNull(parseDateTime(v, zeros), f) };
}

/** A DATE of a day number, or null outside 0001–9999. */
function dateOfDay(day: number): string | null {
  const d = civil(day);
  if (d.year < 1 || d.year > 9999) return null;
  return formatDate({
    ...d,
    hour: 0,
    minute: 0,
    second: 0,
    microsecond: 0,
    hasDate: true,
    hasTime: false,
    fraction: 0,
  });
}

/** Digits after the point of a number as written (at most 6): a TIME's fraction. */
function fractionDigits(v: SqlValue): number {
  return typeof v === 'number' ? Math.min(6, (String(v).split('.')[1] ?? '').length) : 0;
}

/** Specifiers that need a real calendar day: a date with a zero month or day formats as NULL. */
const NEEDS_CALENDAR = /%[abDjMUuVvWwXx]/;

/** A function of one TIME (or DATETIME) argument. */
function ofTime(names: readonly string[], f: (t: Temporal) => SqlValue): MysqlFunction {
  return { names, fn: (v) => mapNull(parseTime(v), f) };
}

function mapNull<T>(v: T | null, f: (v: T) => SqlValue): SqlValue {
  return v === null ? null : f(v);
}

/** The current time, in UTC as NOW() is throughout the backend, with `fsp` fraction digits. */
function now(fsp: SqlValue | undefined, name: string): Temporal {
  const digits = fsp === undefined || fsp === null ? 0 : int(fsp);
  if (digits > 6 || digits < 0)
    throw new MysqlError(1426, `Too big precision ${digits} specified for '${name}'. Maximum is 6.`, '42000');
  return fromEpochMicros(BigInt(Date.now()) * 1000n, digits);
}

function dateArithmetic(names: readonly string[], sign: 1 | -1): MysqlFunction {
  return {
    names,
    arities: [2, 3],
    fn: (d, value, unit) => {
      // ADDDATE(d, n) / SUBDATE(d, n): days.
      if (!present([d, value]) || unit === null) return null;
      const t = parseDateTime(d);
      const iv = interval(value, unit === undefined ? 'DAY' : text(unit));
      return t === null || iv === null ? null : addInterval(t, iv, sign);
    },
  };
}

function extract(unit: string, t: Temporal): bigint | null {
  const u = unit.toUpperCase();
  if (u === 'WEEK') return integer(weekOf(t, 0).week);
  if (u === 'QUARTER') return integer(Math.ceil(t.month / 3));
  const fields = INTERVAL_UNITS.get(u);
  if (fields === undefined) return null;
  const width = { year: 4, month: 2, day: 2, hour: 2, minute: 2, second: 2, microsecond: 6 } as const;
  let out = 0n;
  for (const f of fields) {
    if (f === 'week' || f === 'quarter') return null;
    out = out * 10n ** BigInt(width[f]) + BigInt(t[f]);
  }
  // A negative TIME's parts are negative.
  return t.negative ? -out : out;
}

/** Date and time functions of MySQL that SQLite lacks. Values are UTC, as NOW() is. */
export function dateFunctions(): MysqlFunction[] {
  const nowFunction = (names: string[], format: (t: Temporal) => string): MysqlFunction => ({
    names,
    arities: [0, 1],
    deterministic: false,
    fn: (fsp) => format(now(fsp, names[0]!.toLowerCase())),
  });
  return [
    nowFunction(['NOW', 'SYSDATE', 'LOCALTIME', 'LOCALTIMESTAMP', 'UTC_TIMESTAMP'], (t) => formatDateTime(t)),
    nowFunction(['CURTIME', 'UTC_TIME'], (t) => formatTime(t)),
    { names: ['CURDATE', 'UTC_DATE'], deterministic: false, fn: () => formatDate(now(0, 'curdate')) },
    // These read '2024-00-00' and '0000-00-00' too, as MySQL does.
    ofDate(['YEAR'], (t) => integer(t.year), true),
    ofDate(['MONTH'], (t) => integer(t.month), true),
    ofDate(['DAY', 'DAYOFMONTH'], (t) => integer(t.day), true),
    ofDate(['QUARTER'], (t) => integer(Math.ceil(t.month / 3)), true),
    ofDate(['DAYOFYEAR'], (t) => integer(dayOfYear(t))),
    ofDate(['DAYOFWEEK'], (t) => integer(((weekday(t) + 1) % 7) + 1)),
    ofDate(['WEEKDAY'], (t) => integer(weekday(t))),
    ofDate(['DAYNAME'], (t) => DAY_NAMES[weekday(t)]!),
    ofDate(['MONTHNAME'], (t) => MONTH_NAMES[t.month - 1]!),
    ofDate(
      ['LAST_DAY'],
      (t) => (t.month === 0 ? null : formatDate({ ...t, day: daysInMonth(t.year, t.month) })),
      true,
    ),
    ofDate(['TO_DAYS'], (t) => integer(dayNumber(t.year, t.month, t.day) + TO_DAYS_EPOCH)),
    ofDate(['WEEKOFYEAR'], (t) => integer(weekOf(t, 3).week)),
    // A TIME's hours may pass 23 (up to 838).
    ofTime(['HOUR'], (t) => integer(t.hour)),
    ofTime(['MINUTE'], (t) => integer(t.minute)),
    ofTime(['SECOND'], (t) => integer(t.second)),
    ofTime(['MICROSECOND'], (t) => integer(t.microsecond)),
    ofTime(['TIME_TO_SEC'], (t) => {
      const seconds = t.hour * 3600 + t.minute * 60 + t.second;
      const sign = t.negative ? -1 : 1;
      return t.fraction > 0 ? sign * (seconds + t.microsecond / 1e6) : integer(sign * seconds);
    }),
    {
      names: ['SEC_TO_TIME'],
      fn: (v) => (v === null ? null : secondsToTime(num(v), fractionDigits(v))),
    },
    {
      names: ['FROM_DAYS'],
      fn: (v) => {
        if (v === null) return null;
        const n = int(v);
        return n < 366 ? '0000-00-00' : dateOfDay(n - TO_DAYS_EPOCH);
      },
    },
    {
      names: ['MAKEDATE'],
      fn: (y, doy) => {
        if (!present([y, doy])) return null;
        const n = int(doy);
        let year = int(y);
        if (n <= 0 || year < 0) return null;
        // A year below 100 is a two-digit one, as in dates.
        if (year < 100) year += year < 70 ? 2000 : 1900;
        return dateOfDay(dayNumber(year, 1, 1) + n - 1);
      },
    },
    {
      names: ['DATEDIFF'],
      fn: (a, b) => {
        const x = parseDateTime(a);
        const y = parseDateTime(b);
        if (x === null || y === null) return null;
        return integer(dayNumber(x.year, x.month, x.day) - dayNumber(y.year, y.month, y.day));
      },
    },
    {
      names: ['WEEK'],
      arities: [1, 2],
      // The mode defaults to @@default_week_format, 0 here.
      // A NULL mode is 0 too.
      fn: (d, mode) => mapNull(parseDateTime(d), (t) => integer(weekOf(t, int(mode ?? 0) & 7).week)),
    },
    {
      names: ['YEARWEEK'],
      arities: [1, 2],
      fn: (d, mode) =>
        mapNull(parseDateTime(d), (t) => {
          const w = weekOf(t, int(mode ?? 0) & 7, true);
          return integer(w.year * 100 + w.week);
        }),
    },
    {
      names: ['DATE_FORMAT'],
      fn: (d, format) => {
        if (format === null || text(format) === '') return null;
        const f = text(format);
        return mapNull(parseDateTime(d, true), (t) =>
          (t.month === 0 || t.day === 0) && NEEDS_CALENDAR.test(f) ? null : dateFormat(t, f),
        );
      },
    },
    {
      names: ['STR_TO_DATE'],
      fn: (s, format) => (present([s, format]) ? strToDate(text(s), text(format)) : null),
    },
    {
      names: ['FROM_UNIXTIME'],
      arities: [1, 2],
      fn: (ts, format) => {
        if (ts === null || format === null) return null;
        const n = num(ts);
        // MariaDB 10.11's TIMESTAMP ends in 2038.
        if (n < 0 || n >= 2 ** 31) return null;
        const fraction = fractionDigits(n);
        const t = fromEpochMicros(BigInt(Math.round(n * 1e6)), fraction);
        return format === undefined ? formatDateTime(t) : dateFormat(t, text(format));
      },
    },
    dateArithmetic(['DATE_ADD', 'ADDDATE'], 1),
    dateArithmetic(['DATE_SUB', 'SUBDATE'], -1),
    {
      // TIMESTAMPADD(unit, n, d), its unit made a string by the rewriter.
      names: ['TIMESTAMPADD'],
      fn: (unit, value, d) => {
        if (!present([unit, value, d])) return null;
        const t = parseDateTime(d);
        const iv = interval(value, text(unit));
        return t === null || iv === null ? null : addInterval(t, iv, 1);
      },
    },
    {
      names: ['TIMESTAMPDIFF'],
      fn: (unit, a, b) => {
        if (!present([unit, a, b])) return null;
        const x = parseDateTime(a);
        const y = parseDateTime(b);
        return x === null || y === null ? null : timestampDiff(text(unit), x, y);
      },
    },
    {
      // EXTRACT(unit FROM d), rewritten to EXTRACT('unit', d).
      names: ['EXTRACT'],
      fn: (unit, d) => {
        if (!present([unit, d])) return null;
        const u = text(unit).toUpperCase();
        const t =
          u.startsWith('YEAR') || u === 'MONTH' || u === 'QUARTER' || u === 'WEEK' || u.startsWith('DAY')
            ? parseDateTime(d)
            : parseTime(d);
        return t === null ? null : extract(u, t);
      },
    },
  ];
}
