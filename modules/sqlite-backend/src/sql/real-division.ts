/**
 * What the rewrite sends for MySQL's `/`: `a*1e0/b`, a division of reals with the same parse
 * (`*` and `/` bind alike, from the left). MySQL's `/` never divides whole numbers as such
 * (7/2 is 3.5000); SQLite's does (3). Names and stored texts shown to clients turn it back.
 */
export const REAL_DIVISION = '*1e0/';

/** A stored text (a default, a view's or trigger's body) with `/` as the client wrote it. */
export function withDivisionAsWritten(text: string): string {
  return text.includes(REAL_DIVISION) ? text.replaceAll(REAL_DIVISION, '/') : text;
}
