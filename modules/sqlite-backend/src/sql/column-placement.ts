import { notSupported } from '../errors.js';
import { isName, isPunct, keyword, type Token } from './lexer.js';

/** What ALTER TABLE … ADD may add that is not a column. */
const NOT_COLUMNS = new Set([
  'INDEX',
  'KEY',
  'UNIQUE',
  'PRIMARY',
  'FOREIGN',
  'CONSTRAINT',
  'CHECK',
  'FULLTEXT',
  'SPATIAL',
]);

/**
 * Refuses (1235) `ALTER TABLE t ADD [COLUMN] c … FIRST | AFTER x`, `tokens[from, to)`: SQLite
 * appends a new column last, and placing it elsewhere would mean copying the table into a new
 * one (its rows, indexes, triggers, and the foreign keys of other tables to it). Unrefused,
 * SQLite read `AFTER x` as part of the declared type.
 */
export function refuseColumnPlacement(sql: string, tokens: readonly Token[], from: number, to: number): void {
  let i = from + 2;
  if (!isName(tokens[i])) return;
  i += isPunct(sql, tokens[i + 1], '.') ? 3 : 1;
  if (keyword(sql, tokens[i]) !== 'ADD' || NOT_COLUMNS.has(keyword(sql, tokens[i + 1]))) return;
  const last = keyword(sql, tokens[to - 1]);
  if (last === 'FIRST' || (keyword(sql, tokens[to - 2]) === 'AFTER' && to - 2 > i + 2))
    throw notSupported('placing a new column (FIRST / AFTER)', ': it is added last');
}
