import {
  formatDate as dateText,
  formatDateTime as dateTimeText,
  type MysqlDateTime,
  formatTime as timeText,
} from '@scalestack/mysql-protocol';
import { num, type SqlValue, text } from './values.js';

/**
 * A DATE, DATETIME or TIME value as MySQL's temporal functions read one from a string or number
 * (the protocol's fields, and what the reading found). The backend keeps temporal values as
 * text (`YYYY-MM-DD[ HH:MM:SS[.ffffff]]`), in UTC; a TIME's hours may pass 23.
 */
export interface Temporal extends MysqlDateTime {
  /** The value had a date part / a time part. */
  hasDate: boolean;
  hasTime: boolean;
  /** Digits of the fraction it was written with (0–6). */
  fraction: number;
  /** A negative TIME (`-01:02:03`). */
  negative?: boolean;
}

/** A date with delimiters and an optional time; what follows a non-digit is ignored (MySQL warns). */
const DATE_TIME =
  /^(\d{2}|\d{4})[-/.:](\d{1,2})[-/.:](\d{1,2})(?:[ T]+(\d{1,2})(?:[:.](\d{1,2})(?:[:.](\d{1,2})(?:\.(\d{1,6})\d*)?)?)?)?(?=$|\D)/;
/** YYMMDD, YYYYMMDD, YYMMDDHHMMSS, YYYYMMDDHHMMSS, by their number of digits. */
const PACKED = new Map([
  [6, /^(\d{2})(\d{2})(\d{2})()()()$/],
  [8, /^(\d{4})(\d{2})(\d{2})()()()$/],
  [12, /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/],
  [14, /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/],
]);
/** `[-][D ]HH:MM[:SS[.ffffff]]` */
const TIME = /^(-)?(?:(\d+)\s+)?(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?$/;
/** TIME's range: ±838:59:59. */
const MAX_TIME_SECONDS = 838 * 3600 + 59 * 60 + 59;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function twoDigitYear(y: string): number {
  if (y.length !== 2) return Number(y);
  const n = Number(y);
  return n < 70 ? 2000 + n : 1900 + n;
}

function build(m: RegExpExecArray, zeros: boolean): Temporal | null {
  const withTime = m[4] !== undefined && m[4] !== '';
  const t: Temporal = {
    year: twoDigitYear(m[1]!),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: withTime ? Number(m[4]) : 0,
    minute: withTime ? Number(m[5] ?? 0) : 0,
    second: withTime ? Number(m[6] ?? 0) : 0,
    microsecond: m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0')),
    hasDate: true,
    hasTime: withTime,
    fraction: m[7]?.length ?? 0,
  };
  return valid(t, zeros) ? t : null;
}

/**
 * Whether every field is in range for a calendar date and a time of day; with `zeros`, a month
 * or day of 0 too (`'2024-05-00'`, `'0000-00-00'`), which MySQL's YEAR(), MONTH(), DAY() read.
 */
export function valid(t: Temporal, zeros = false): boolean {
  const low = zeros ? 0 : 1;
  return (
    t.year >= 0 &&
    t.year <= 9999 &&
    t.month >= low &&
    t.month <= 12 &&
    t.day >= low &&
    t.day <= (t.month === 0 ? 31 : daysInMonth(t.year, t.month)) &&
    t.hour < 24 &&
    t.minute < 60 &&
    t.second < 60
  );
}

/**
 * A DATE or DATETIME value, or null for anything that is not a valid one (MySQL: NULL); with
 * `zeros`, one with a zero month or day is taken.
 */
export function parseDateTime(v: SqlValue, zeros = false): Temporal | null {
  if (v === null) return null;
  if (typeof v === 'number' || typeof v === 'bigint') {
    // 240506, 20240506, 20240506101112…, as MySQL reads numbers used as dates.
    const n = num(v);
    if (n < 0 || !Number.isFinite(n)) return null;
    const digits = String(Math.trunc(n));
    const m = PACKED.get(digits.length)?.exec(digits);
    return m === null || m === undefined ? null : build(m, zeros);
  }
  const s = text(v).trim();
  const m = DATE_TIME.exec(s) ?? PACKED.get(s.length)?.exec(s);
  return m === null || m === undefined ? null : build(m, zeros);
}

/**
 * A TIME value — `[-][D ]HH:MM[:SS[.f]]`, a number or digits read as HHMMSS, or the time of a
 * DATETIME —, kept within ±838:59:59 as MySQL keeps it, or null.
 */
export function parseTime(v: SqlValue): Temporal | null {
  if (v === null) return null;
  let negative = false;
  let hours: number;
  let minute: number;
  let second: number;
  let frac = '';
  const s = typeof v === 'string' ? v.trim() : '';
  const m = TIME.exec(s);
  if (m !== null) {
    negative = m[1] === '-';
    hours = Number(m[2] ?? 0) * 24 + Number(m[3]);
    minute = Number(m[4]);
    second = Number(m[5] ?? 0);
    frac = m[6] ?? '';
  } else {
    const dt = parseDateTime(v);
    if (dt?.hasTime) return dt;
    const digits = typeof v === 'string' ? /^(-)?(\d+)(?:\.(\d{1,6})\d*)?$/.exec(s) : null;
    let whole: number;
    if (digits !== null) {
      negative = digits[1] === '-';
      whole = Number(digits[2]);
      frac = digits[3] ?? '';
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const n = num(v);
      negative = n < 0;
      whole = Math.trunc(Math.abs(n));
      frac = (String(Math.abs(n)).split('.')[1] ?? '').slice(0, 6);
    } else return dt;
    // HHMMSS read from the right: 1011 is 00:10:11.
    hours = Math.floor(whole / 10000);
    minute = Math.floor(whole / 100) % 100;
    second = whole % 100;
  }
  if (minute > 59 || second > 59) return null;
  let microsecond = frac === '' ? 0 : Number(frac.padEnd(6, '0'));
  if (hours * 3600 + minute * 60 + second > MAX_TIME_SECONDS) {
    [hours, minute, second, microsecond, frac] = [838, 59, 59, 0, ''];
  }
  return {
    year: 0,
    month: 0,
    day: 0,
    hour: hours,
    minute,
    second,
    microsecond,
    hasDate: false,
    hasTime: true,
    fraction: frac.length,
    negative,
  };
}

/** `[-]HH:MM:SS[.f]` of a number of seconds, within TIME's range. */
export function secondsToTime(seconds: number, fraction: number): string {
  const negative = seconds < 0;
  let a = Math.abs(seconds);
  if (!(a <= MAX_TIME_SECONDS)) {
    a = MAX_TIME_SECONDS;
    fraction = 0;
  }
  const whole = Math.trunc(a);
  return formatTime({
    year: 0,
    month: 0,
    day: 0,
    hour: Math.floor(whole / 3600),
    minute: Math.floor(whole / 60) % 60,
    second: whole % 60,
    microsecond: Math.round((a - whole) * 1e6),
    hasDate: false,
    hasTime: true,
    fraction,
    negative,
  });
}

/** `YYYY-MM-DD` (the protocol's text form, as the server prints it). */
export function formatDate(t: Temporal): string {
  return dateText(t);
}

/** `[-]HH:MM:SS[.f…]` with `fraction` digits; the hours may pass 23 (a TIME's). */
export function formatTime(t: Temporal, fraction = t.fraction): string {
  return timeText({ ...t, negative: t.negative === true, days: 0 }, fraction);
}

/** `YYYY-MM-DD HH:MM:SS[.f…]` with `fraction` digits. */
export function formatDateTime(t: Temporal, fraction = t.fraction): string {
  return dateTimeText(t, fraction);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (negative before). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number (inverse of {@link dayNumber}). */
export function civil(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** MySQL's TO_DAYS: days since year 0 (1970-01-01 is 719528). */
export const TO_DAYS_EPOCH = 719528;

/** 0 = Monday … 6 = Sunday (MySQL's WEEKDAY). */
export function weekday(t: Temporal): number {
  return (((dayNumber(t.year, t.month, t.day) + 3) % 7) + 7) % 7;
}

/** 1 = January 1st. */
export function dayOfYear(t: Temporal): number {
  return dayNumber(t.year, t.month, t.day) - dayNumber(t.year, 1, 1) + 1;
}

/** Microseconds since 1970-01-01 00:00:00 of a DATE or DATETIME. */
export function epochMicros(t: Temporal): bigint {
  const days = BigInt(dayNumber(t.year, t.month, t.day));
  const seconds = days * 86400n + BigInt(t.hour * 3600 + t.minute * 60 + t.second);
  return seconds * 1_000_000n + BigInt(t.microsecond);
}

/** The DATETIME of a microsecond count since the epoch. */
export function fromEpochMicros(micros: bigint, fraction: number): Temporal {
  let seconds = micros / 1_000_000n;
  let microsecond = micros % 1_000_000n;
  if (microsecond < 0n) {
    microsecond += 1_000_000n;
    seconds -= 1n;
  }
  let days = seconds / 86400n;
  let rest = seconds % 86400n;
  if (rest < 0n) {
    rest += 86400n;
    days -= 1n;
  }
  const { year, month, day } = civil(Number(days));
  const r = Number(rest);
  return {
    year,
    month,
    day,
    hour: Math.floor(r / 3600),
    minute: Math.floor(r / 60) % 60,
    second: r % 60,
    microsecond: Number(microsecond),
    hasDate: true,
    hasTime: true,
    fraction,
  };
}

export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** Indexed by {@link weekday}. */
export const DAY_NAMES = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;
