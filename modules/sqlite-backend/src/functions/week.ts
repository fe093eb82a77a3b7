import { dayNumber, type Temporal } from './temporal.js';

/** A week number and the year it belongs to. */
export interface Week {
  week: number;
  year: number;
}

/**
 * MySQL's week of a date in one of WEEK()'s modes 0–7. The mode's bits: 1 — weeks start on
 * Monday (else Sunday); 2 — weeks are numbered 1–53, days before week 1 belonging to the last
 * week of the year before (else 0–53); 4 — with Monday weeks, week 1 is the first with a Monday
 * in the year, and with Sunday weeks the first with 4 days or more in it (without the bit, the
 * other way round).
 */
export function weekOf(t: Temporal, mode: number, yearRange = (mode & 2) !== 0): Week {
  const monday = (mode & 1) !== 0;
  // Whether week 1 is the first week holding the week's first day; else the first with 4 days.
  const firstWeekday = ((mode & 4) !== 0) === monday;
  const day = dayNumber(t.year, t.month, t.day);
  const start = (year: number): number => {
    const jan1 = dayNumber(year, 1, 1);
    // Days from the week's first day to January 1st.
    const offset = (((jan1 + 3) % 7) + 7 + (monday ? 0 : 1)) % 7;
    if (firstWeekday) return offset === 0 ? jan1 : jan1 + 7 - offset;
    return offset <= 3 ? jan1 - offset : jan1 + 7 - offset;
  };
  const first = start(t.year);
  if (day < first) {
    if (!yearRange) return { week: 0, year: t.year };
    const prev = start(t.year - 1);
    return { week: Math.floor((day - prev) / 7) + 1, year: t.year - 1 };
  }
  if (yearRange && !firstWeekday && day >= start(t.year + 1)) return { week: 1, year: t.year + 1 };
  return { week: Math.floor((day - first) / 7) + 1, year: t.year };
}
