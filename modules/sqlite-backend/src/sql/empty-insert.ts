import { isPunct, keyword, type Token, tableName } from './lexer.js';

/** What may stand between INSERT / REPLACE and the table's name. */
const BEFORE_TABLE = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO']);

/**
 * MySQL's insert of rows of defaults, `INSERT INTO t [()] VALUES () [, ()]…` (`tokens[from,
 * to)`), which SQLite's grammar lacks (1064). One row becomes SQLite's `DEFAULT VALUES`; several
 * become `(rowid) VALUES (NULL), (NULL)…`, since DEFAULT VALUES makes one row only: a NULL rowid
 * is numbered (as an AUTO_INCREMENT id, which is the rowid) and every column gets its default.
 * (A WITHOUT ROWID table has no rowid: SQLite says so.) Replacements go into `replace`.
 */
export function rewriteEmptyInsert(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): void {
  let i = from + 1;
  while (BEFORE_TABLE.has(keyword(sql, tokens[i]))) i++;
  const named = i < to ? tableName(sql, tokens, i) : undefined;
  if (named === undefined) return;
  i = named.next;
  // An empty column list, `()`.
  const columns = isPunct(sql, tokens[i], '(') && isPunct(sql, tokens[i + 1], ')') ? i : -1;
  if (columns >= 0) i += 2;
  const values = i;
  const k = keyword(sql, tokens[values]);
  if (k !== 'VALUES' && k !== 'VALUE') return;
  // The rows' `)`, each right after its `(`.
  const rows: number[] = [];
  for (i = values + 1; i + 1 < to && isPunct(sql, tokens[i], '(') && isPunct(sql, tokens[i + 1], ')'); ) {
    rows.push(i + 1);
    i += 2;
    if (!isPunct(sql, tokens[i], ',')) break;
    i++;
  }
  // No rows, or one with values (`VALUES (), (1)`): SQLite's error stands.
  if (rows.length === 0 || isPunct(sql, tokens[i], '(') || isPunct(sql, tokens[i - 1], ',')) return;
  const first = columns >= 0 ? columns : values;
  const last = rows[rows.length - 1]!;
  if (rows.length === 1) {
    replace.set(first, 'DEFAULT VALUES');
    for (let j = first + 1; j <= last; j++) replace.set(j, '');
    return;
  }
  // MySQL's VALUE is VALUES to SQLite.
  if (columns >= 0) replace.set(columns + 1, 'rowid)');
  replace.set(values, columns >= 0 ? 'VALUES' : '(rowid) VALUES');
  for (const close of rows) replace.set(close, 'NULL)');
}
