import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { identifierValue, isName, keyword, type Token, TokenType } from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { OK, type Outcome } from './outcome.js';
import { alteredTable, editTableText, sqliteColumn, storedColumn } from './table-text.js';

/** Whether `tokens[i…]` (after `ALTER TABLE [db.]t`) is an ALTER [COLUMN] of a column's default. */
export function isDefaultChange(sql: string, tokens: readonly Token[], i: number): boolean {
  return keyword(sql, tokens[i]) === 'ALTER';
}

/**
 * `ALTER TABLE t ALTER [COLUMN] c SET DEFAULT v` / `DROP DEFAULT`: a column's DEFAULT is part of
 * SQLite's stored definition only (rows are not touched), so it is edited there, as MODIFY edits
 * it (change-column.ts). The value is read as a CREATE TABLE's DEFAULT would be.
 */
export function changeDefault(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  isTemporary: (name: string) => boolean,
): Outcome {
  const table = alteredTable(
    db,
    session,
    sql,
    tokens,
    from,
    isTemporary,
    'changing a default of a temporary table',
  );
  let i = table.next + 1;
  if (keyword(sql, tokens[i]) === 'COLUMN') i++;
  const syntax = new MysqlError(
    1064,
    'You have an error in your SQL syntax: ALTER TABLE t ALTER [COLUMN] c SET DEFAULT <value> | DROP DEFAULT',
    '42000',
  );
  if (!isName(tokens[i])) throw syntax;
  const name = identifierValue(sql, tokens[i++]!);
  let end = i;
  while (end < to && tokens[end]!.type !== TokenType.Semicolon) end++;
  const action = keyword(sql, tokens[i]);
  if (keyword(sql, tokens[i + 1]) !== 'DEFAULT' || (action !== 'SET' && action !== 'DROP')) throw syntax;
  if (action === 'DROP' ? end !== i + 2 : end <= i + 2) throw syntax;
  let clause = '';
  if (action === 'SET') {
    // The value in SQLite's words, as it would be in a CREATE TABLE (only the clause is read).
    const read = sqliteColumn('c', sql.slice(tokens[i + 1]!.start, tokens[end - 1]!.end));
    const defaults = read?.clauses.filter((c) => c.kind === 'default') ?? [];
    if (defaults.length !== 1 || read!.clauses.length !== 1) throw syntax;
    clause = defaults[0]!.text;
  }
  const column = storedColumn(table, name);
  let text = table.sql.slice(column.start, column.end);
  // By position: the clause's words may also stand in a string (a CHECK's), which must stay.
  const olds = column.clauses.filter((c) => c.kind === 'default');
  for (const old of olds.reverse()) {
    const at = old.start - column.start;
    const after = old.end - column.start;
    text = `${text.slice(0, at).trimEnd()} ${text.slice(after).trimStart()}`.trimEnd();
  }
  if (clause !== '') text = `${text} ${clause}`;
  editTableText(
    db,
    table.schema,
    table.name,
    table.sql.slice(0, column.start) + text + table.sql.slice(column.end),
  );
  return OK;
}
