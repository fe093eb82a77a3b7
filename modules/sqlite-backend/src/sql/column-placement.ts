import { notSupported } from '../errors.js';
import { identifierValue, isName, isPunct, keyword, type Token } from './lexer.js';

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
 * Where `ALTER TABLE t ADD [COLUMN] c … FIRST | AFTER x`, `tokens[from, to)`, places its new
 * column: the index of its FIRST / AFTER, and `after`, x's name (undefined for FIRST); undefined
 * for any other statement.
 */
export function columnPlacement(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { at: number; after: string | undefined } | undefined {
  let i = from + 2;
  if (!isName(tokens[i])) return undefined;
  i += isPunct(sql, tokens[i + 1], '.') ? 3 : 1;
  if (keyword(sql, tokens[i]) !== 'ADD' || NOT_COLUMNS.has(keyword(sql, tokens[i + 1]))) return undefined;
  if (keyword(sql, tokens[to - 1]) === 'FIRST') return { at: to - 1, after: undefined };
  if (keyword(sql, tokens[to - 2]) === 'AFTER' && to - 2 > i + 2)
    return { at: to - 2, after: identifierValue(sql, tokens[to - 1]!) };
  return undefined;
}

/**
 * Refuses (1235) `ALTER TABLE t ADD [COLUMN] c … FIRST | AFTER x`, `tokens[from, to)`, where it
 * reaches SQLite: the engine places such a column itself (engine/place-column.ts) for a statement
 * it classifies. Unrefused, SQLite read `AFTER x` as part of the declared type.
 */
export function refuseColumnPlacement(sql: string, tokens: readonly Token[], from: number, to: number): void {
  if (columnPlacement(sql, tokens, from, to) !== undefined)
    throw notSupported('placing a new column (FIRST / AFTER)', ': it is added last');
}
