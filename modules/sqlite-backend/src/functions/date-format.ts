import {
  civil,
  DAY_NAMES,
  dayNumber,
  dayOfYear,
  formatDate,
  formatDateTime,
  formatTime,
  MONTH_NAMES,
  type Temporal,
  weekday,
} from './temporal.js';
import { weekOf } from './week.js';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function hour12(h: number): number {
  return h % 12 === 0 ? 12 : h % 12;
}

/** One DATE_FORMAT specifier (the letter after `%`); any other letter stands for itself. */
function specifier(t: Temporal, c: string): string {
  switch (c) {
    case 'a':
      return DAY_NAMES[weekday(t)]!.slice(0, 3);
    case 'b':
      return MONTH_NAMES[t.month - 1]!.slice(0, 3);
    case 'c':
      return String(t.month);
    case 'D':
      return ordinal(t.day);
    case 'd':
      return pad(t.day);
    case 'e':
      return String(t.day);
    case 'f':
      return pad(t.microsecond, 6);
    case 'H':
      return pad(t.hour);
    case 'h':
    case 'I':
      return pad(hour12(t.hour));
    case 'i':
      return pad(t.minute);
    case 'j':
      return pad(dayOfYear(t), 3);
    case 'k':
      return String(t.hour);
    case 'l':
      return String(hour12(t.hour));
    case 'M':
      return MONTH_NAMES[t.month - 1]!;
    case 'm':
      return pad(t.month);
    case 'p':
      return t.hour < 12 ? 'AM' : 'PM';
    case 'r':
      return `${pad(hour12(t.hour))}:${pad(t.minute)}:${pad(t.second)} ${t.hour < 12 ? 'AM' : 'PM'}`;
    case 'S':
    case 's':
      return pad(t.second);
    case 'T':
      return `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
    case 'U':
      return pad(weekOf(t, 0).week);
    case 'u':
      return pad(weekOf(t, 1).week);
    case 'V':
      return pad(weekOf(t, 2).week);
    case 'v':
      return pad(weekOf(t, 3).week);
    case 'W':
      return DAY_NAMES[weekday(t)]!;
    case 'w':
      return String((weekday(t) + 1) % 7);
    case 'X':
      return pad(weekOf(t, 2).year, 4);
    case 'x':
      return pad(weekOf(t, 3).year, 4);
    case 'Y':
      return pad(t.year, 4);
    case 'y':
      return pad(t.year % 100);
    default:
      return c;
  }
}

/** MySQL's DATE_FORMAT of a DATE or DATETIME. */
export function dateFormat(t: Temporal, format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i === format.length - 1) out += c;
    else out += specifier(t, format[++i]!);
  }
  return out;
}

const NUMBER = /^\d+/;

/**
 * MySQL's STR_TO_DATE: `s` read with `format`'s specifiers; a DATE, DATETIME or TIME string as
 * the format has date parts, time parts or both, or null when `s` does not fit it. Characters
 * of `s` after the format's end are ignored (MySQL warns about them).
 */
export function strToDate(s: string, format: string): string | null {
  const t: Temporal = {
    year: 0,
    month: 0,
    day: 0,
    hour: 0,
    minute: 0,
    second: 0,
    microsecond: 0,
    hasDate: false,
    hasTime: false,
    fraction: 0,
  };
  let pm: boolean | undefined;
  let twelveHour = false;
  let yearDay = 0;
  let pos = 0;
  const number = (maxDigits: number): number | null => {
    while (s[pos] === ' ') pos++;
    const m = NUMBER.exec(s.slice(pos, pos + maxDigits));
    if (m === null) return null;
    pos += m[0].length;
    return Number(m[0]);
  };
  const name = (names: readonly string[], abbreviated: boolean): number | null => {
    const rest = s.slice(pos).toLowerCase();
    const i = names.findIndex((n) => rest.startsWith((abbreviated ? n.slice(0, 3) : n).toLowerCase()));
    if (i < 0) return null;
    pos += abbreviated ? 3 : names[i]!.length;
    return i;
  };
  for (let i = 0; i < format.length; i++) {
    // A value shorter than its format keeps what was read ('2024-05' by '%Y-%m-%d': 2024-05-00).
    if (pos >= s.length && (t.hasDate || t.hasTime)) break;
    const c = format[i]!;
    if (c !== '%' || i === format.length - 1) {
      // Spaces around a separator are skipped ('2024 - 05 - 06' by '%Y-%m-%d').
      while (s[pos] === ' ') pos++;
      if (c === ' ') continue;
      if (s[pos] !== c) return null;
      pos++;
      continue;
    }
    const spec = format[++i]!;
    let v: number | null = 0;
    switch (spec) {
      case 'Y': {
        const start = pos;
        v = number(4);
        // Two digits or fewer are a two-digit year, as MySQL reads them.
        if (v !== null) t.year = s.slice(start, pos).trim().length <= 2 ? v + (v < 70 ? 2000 : 1900) : v;
        t.hasDate = true;
        break;
      }
      case 'y':
        v = number(2);
        if (v !== null) t.year = v + (v < 70 ? 2000 : 1900);
        t.hasDate = true;
        break;
      case 'm':
      case 'c':
        v = number(2);
        if (v !== null) t.month = v;
        t.hasDate = true;
        break;
      case 'M':
      case 'b':
        v = name(MONTH_NAMES, spec === 'b');
        if (v !== null) t.month = v + 1;
        t.hasDate = true;
        break;
      case 'd':
      case 'e':
        v = number(2);
        if (v !== null) t.day = v;
        t.hasDate = true;
        break;
      case 'D':
        v = number(2);
        if (v !== null) {
          t.day = v;
          if (/^(st|nd|rd|th)/i.test(s.slice(pos))) pos += 2;
        }
        t.hasDate = true;
        break;
      case 'j':
        v = number(3);
        if (v !== null) yearDay = v;
        t.hasDate = true;
        break;
      case 'a':
      case 'W':
        v = name(DAY_NAMES, spec === 'a');
        break;
      case 'H':
      case 'k':
        v = number(2);
        if (v !== null) t.hour = v;
        t.hasTime = true;
        break;
      case 'h':
      case 'I':
      case 'l':
        v = number(2);
        if (v !== null) t.hour = v;
        twelveHour = true;
        t.hasTime = true;
        break;
      case 'i':
        v = number(2);
        if (v !== null) t.minute = v;
        t.hasTime = true;
        break;
      case 's':
      case 'S':
        v = number(2);
        if (v !== null) t.second = v;
        t.hasTime = true;
        break;
      case 'f': {
        const start = pos;
        v = number(6);
        if (v !== null) {
          t.microsecond = Number(s.slice(start, pos).trim().padEnd(6, '0'));
          t.fraction = 6;
        }
        t.hasTime = true;
        break;
      }
      case 'p': {
        // AM/PM only after the hour it qualifies, as MySQL reads it.
        if (!twelveHour) return null;
        while (s[pos] === ' ') pos++;
        const ap = s.slice(pos, pos + 2).toUpperCase();
        if (ap !== 'AM' && ap !== 'PM') return null;
        pm = ap === 'PM';
        pos += 2;
        break;
      }
      case 'T':
      case 'r': {
        const m = /^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})/.exec(s.slice(pos));
        if (m === null) return null;
        pos += m[0].length;
        t.hour = Number(m[1]);
        t.minute = Number(m[2]);
        t.second = Number(m[3]);
        t.hasTime = true;
        if (spec === 'r') {
          twelveHour = true;
          const ap = /^\s*(AM|PM)/i.exec(s.slice(pos));
          if (ap !== null) {
            pm = ap[1]!.toUpperCase() === 'PM';
            pos += ap[0].length;
          }
        }
        break;
      }
      default:
        if (s[pos] !== spec) return null;
        pos++;
    }
    if (v === null) return null;
  }
  if (twelveHour) {
    if (t.hour < 1 || t.hour > 12) return null;
    t.hour = (t.hour % 12) + (pm ? 12 : 0);
  } else if (pm !== undefined) return null;
  if (yearDay > 0) {
    // A day of the year needs the year; past its end it runs into the next one.
    if (t.year === 0) return null;
    Object.assign(t, civil(dayNumber(t.year, 1, 1) + yearDay - 1));
  }
  // As MariaDB without NO_ZERO_IN_DATE in sql_mode: a day past the month's end (31/02) is kept.
  if (t.month > 12 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) return null;
  if (t.hasDate && t.hasTime) return formatDateTime(t);
  if (t.hasDate) return formatDate(t);
  // A format with no date or time part that the value matched: MySQL's zero date.
  return t.hasTime ? formatTime(t) : '0000-00-00';
}
