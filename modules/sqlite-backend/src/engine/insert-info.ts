import { isPunct, keyword, TokenType } from '../sql/lexer.js';
import type { InsertTarget } from './classify.js';

/** What an INSERT / REPLACE's OK info needs to know of the statement. */
export interface InsertShape {
  /** REPLACE (also SQLite's INSERT OR REPLACE). */
  replace: boolean;
  /** INSERT IGNORE (SQLite's INSERT OR IGNORE). */
  ignore: boolean;
  /** The rows a VALUES list gives; undefined for an INSERT … SELECT. */
  rows: number | undefined;
}

/**
 * The shape of the INSERT / REPLACE `target`, when MariaDB's OK for it has an info text
 * (`Records: n  Duplicates: d  Warnings: w`): a VALUES list of two rows or more, or a SELECT.
 * Undefined otherwise (one row, `SET`, `DEFAULT VALUES`).
 */
export function insertShape(target: InsertTarget): InsertShape | undefined {
  const { sql, tokens, from, to, body } = target;
  let replace = keyword(sql, tokens[from]) === 'REPLACE';
  let ignore = false;
  for (let i = from + 1; i < body; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'REPLACE') replace = true;
    else if (k === 'IGNORE') ignore = true;
  }
  const k = keyword(sql, tokens[body]);
  if (k === 'SELECT' || k === 'WITH' || isPunct(sql, tokens[body], '('))
    return { replace, ignore, rows: undefined };
  if (k !== 'VALUES' && k !== 'VALUE') return undefined;
  let rows = 0;
  let depth = 0;
  for (let i = body + 1; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) break;
    if (isPunct(sql, t, '(')) {
      if (depth === 0) rows++;
      depth++;
    } else if (isPunct(sql, t, ')')) depth--;
    else if (depth === 0 && !isPunct(sql, t, ',')) break;
  }
  return rows >= 2 ? { replace, ignore, rows } : undefined;
}
