import { keyword, TokenType, tokenize } from './lexer.js';
import { withDivisionAsWritten } from './real-division.js';

/** SQLite's time keywords as MariaDB shows the DEFAULTs they stand for. */
const TIME_DEFAULTS = new Map([
  ['CURRENT_TIMESTAMP', 'current_timestamp()'],
  ['CURRENT_DATE', 'curdate()'],
  ['CURRENT_TIME', 'curtime()'],
]);

/**
 * A column's DEFAULT as MariaDB's SHOW COLUMNS / DESCRIBE show it, from SQLite's stored text
 * (PRAGMA table_info's `dflt_value`): a string literal's value without its quotes (`'x'` is x,
 * `'3'` in an INT column 3 — knex's renameColumn writes `DEFAULT '<shown>'` back, and Sequelize's
 * describeTable reads it as the value), none for `NULL`, `current_timestamp()` for
 * CURRENT_TIMESTAMP, 1 and 0 for TRUE and FALSE; any other expression as stored, its `/` as written.
 */
export function shownDefault(stored: string): string | null {
  const tokens = tokenize(stored, false);
  if (tokens.length === 1) {
    const t = tokens[0]!;
    // SQLite's literal: `'…'` with `''` for a quote, and a backslash a character of its own.
    if (t.type === TokenType.String && stored[0] === "'" && t.end === stored.length)
      return stored.slice(1, -1).replaceAll("''", "'");
    const k = keyword(stored, t);
    if (k === 'NULL') return null;
    if (k === 'TRUE' || k === 'FALSE') return k === 'TRUE' ? '1' : '0';
    const time = TIME_DEFAULTS.get(k);
    if (time !== undefined) return time;
  }
  return withDivisionAsWritten(stored);
}
