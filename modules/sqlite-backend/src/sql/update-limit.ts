import { notSupported } from '../errors.js';
import { isAssigned } from './assignment.js';
import { isPunct, keyword, type Token, TokenType } from './lexer.js';

/** Words between UPDATE / DELETE and the table (MySQL's hints, SQLite's `OR …` conflict clause). */
const MODIFIERS = new Set(['LOW_PRIORITY', 'QUICK', 'IGNORE']);

/**
 * `UPDATE t SET … [WHERE …] [ORDER BY …] LIMIT n` and `DELETE FROM t [WHERE …] [ORDER BY …]
 * LIMIT n`, one table, at `tokens[from, to)`: SQLite takes ORDER BY and LIMIT there only when
 * built with SQLITE_ENABLE_UPDATE_DELETE_LIMIT, which node's is not. The rows are chosen instead
 * by a subquery of their rowids holding the WHERE, ORDER BY and LIMIT — `… WHERE rowid IN
 * (SELECT rowid FROM t WHERE … ORDER BY … LIMIT n)` — which SQLite runs once, before it changes
 * any row, as MySQL picks them. The clauses keep their place in the text, so placeholders keep
 * their order. (A WITHOUT ROWID table has no rowid: SQLite says so.) SQLite then changes the
 * rows in rowid order, not the ORDER BY's: where that shows — an `@v :=` in the SET — the UPDATE
 * is refused; a UNIQUE column shifted in place (`SET pos = pos + 1 ORDER BY pos DESC`) can
 * collide midway (1062) where MariaDB's order avoids it (README).
 */
export function rewriteUpdateLimit(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): void {
  const k0 = keyword(sql, tokens[from]);
  let i = from + 1;
  while (MODIFIERS.has(keyword(sql, tokens[i]))) i++;
  if (keyword(sql, tokens[i]) === 'OR') i += 2;
  if (k0 === 'DELETE') {
    if (keyword(sql, tokens[i]) !== 'FROM') return;
    i++;
  } else if (k0 !== 'UPDATE') return;
  const table = i;
  let tableEnd = -1;
  let first = -1;
  let limited = false;
  let ordered = false;
  let returning = -1;
  let depth = 0;
  for (let j = table; j < to; j++) {
    if (isPunct(sql, tokens[j], '(')) depth++;
    else if (isPunct(sql, tokens[j], ')')) depth--;
    if (depth !== 0) continue;
    const k = keyword(sql, tokens[j]);
    if (tableEnd < 0) {
      // Several tables (a join, a list) are MySQL's multi-table forms: not these.
      if (k === 'JOIN' || k === 'USING' || isPunct(sql, tokens[j], ',')) return;
      if (k === 'SET' || k === 'WHERE' || k === 'ORDER' || k === 'LIMIT') tableEnd = j;
    }
    if (first < 0 && (k === 'WHERE' || k === 'ORDER' || k === 'LIMIT') && (k0 === 'DELETE' || j > tableEnd))
      first = j;
    if (k === 'ORDER' && keyword(sql, tokens[j + 1]) === 'BY') ordered = true;
    if (k === 'LIMIT' || ordered) limited = true;
    if (k === 'RETURNING' && returning < 0) returning = j;
  }
  if (!limited || first < 0 || tableEnd <= table) return;
  if (k0 === 'UPDATE' && ordered) refuseOrderedAssignment(sql, tokens, tableEnd, first);
  const text = (j: number) => replace.get(j) ?? sql.slice(tokens[j]!.start, tokens[j]!.end);
  const ref: string[] = [];
  for (let j = table; j < tableEnd; j++) ref.push(text(j));
  replace.set(first, `WHERE rowid IN (SELECT rowid FROM ${ref.join(' ')} ${text(first)}`);
  // MariaDB's DELETE … LIMIT n RETURNING …: the subquery closes before the RETURNING.
  const last = returning > first ? returning - 1 : to - 1;
  replace.set(last, `${text(last)})`);
}

/**
 * 1235 for an `@v :=` in the SET of an UPDATE with ORDER BY, `tokens[from, to)`: MariaDB changes
 * the rows in the ORDER BY's order, and the values the variable hands out follow it (`SET seq =
 * (@n := @n + 1) ORDER BY created` numbers the rows by date); SQLite changes the rows the
 * subquery picked in rowid order, so the numbers would silently follow that instead.
 */
function refuseOrderedAssignment(sql: string, tokens: readonly Token[], from: number, to: number): void {
  for (let j = from; j < to; j++)
    if (tokens[j]!.type === TokenType.UserVariable && isAssigned(sql, tokens, j))
      throw notSupported(
        'UPDATE … ORDER BY with a user variable assigned in SET',
        ": the rows are changed in rowid order, not the ORDER BY's",
      );
}
