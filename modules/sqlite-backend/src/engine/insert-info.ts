import { isPunct, keyword, TokenType } from '../sql/lexer.js';
import type { InsertTarget } from './classify.js';

/** What an INSERT / REPLACE's OK (affected rows, info) needs to know of the statement. */
export interface InsertShape {
  /** REPLACE (also SQLite's INSERT OR REPLACE). */
  replace: boolean;
  /** INSERT IGNORE (SQLite's INSERT OR IGNORE). */
  ignore: boolean;
  /** The rows a VALUES list gives (1 for `SET`); undefined for an INSERT … SELECT. */
  rows: number | undefined;
  /** INSERT … ON DUPLICATE KEY UPDATE. */
  upsert: boolean;
  /** Its update calls LAST_INSERT_ID(expr) (`id = LAST_INSERT_ID(id)`, for the id of the row). */
  setsInsertId: boolean;
}

/**
 * The shape of the INSERT / REPLACE `target`, read once when it is prepared. MariaDB's OK has
 * an info text (`Records: n  Duplicates: d  Warnings: w`) for a VALUES list of two rows or more,
 * or a SELECT (see insertInfo).
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
  let upsert = false;
  let setsInsertId = false;
  for (let i = body + 1; i < to && tokens[i]!.type !== TokenType.Semicolon; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'DUPLICATE' && keyword(sql, tokens[i - 1]) === 'ON') upsert = true;
    else if (upsert && k === 'LAST_INSERT_ID' && isPunct(sql, tokens[i + 1], '('))
      setsInsertId ||= !isPunct(sql, tokens[i + 2], ')');
  }
  const k = keyword(sql, tokens[body]);
  if (k === 'SELECT' || k === 'WITH' || isPunct(sql, tokens[body], '('))
    return { replace, ignore, rows: undefined, upsert, setsInsertId };
  if (k !== 'VALUES' && k !== 'VALUE') return { replace, ignore, rows: 1, upsert, setsInsertId };
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
  return { replace, ignore, rows: Math.max(rows, 1), upsert, setsInsertId };
}
