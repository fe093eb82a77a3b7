import { backquoted, isPunct, keyword, type Token } from './lexer.js';

/**
 * SQLite's postfix operators `x ISNULL` and `x NOTNULL`: MySQL has neither, so there the words
 * are plain names (a column, or an alias — `SELECT 1 AS isnull`, `SELECT 1 isnull`), while
 * SQLite refuses the first (1064) and reads the second as `1 IS NULL`, a silent 0. Not followed
 * by `(` (but after a word naming a table), which makes MySQL's ISNULL(x) (function-syntax.ts
 * rewrites that one).
 */
const POSTFIX_NULL = new Set(['ISNULL', 'NOTNULL']);

/**
 * Words after which a name followed by `(` is a table and its column list, not a call:
 * `CREATE TABLE isnull (…)`, `INSERT [IGNORE] [INTO] isnull (…)`, `REFERENCES isnull (…)`.
 */
const BEFORE_TABLE = new Set(['TABLE', 'EXISTS', 'INTO', 'INSERT', 'REPLACE', 'IGNORE', 'REFERENCES']);

/** Whether the word at `tokens[i]` is MySQL's ISNULL(x) call (not a table named isnull). */
export function isIsnullCall(sql: string, tokens: readonly Token[], i: number): boolean {
  return (
    keyword(sql, tokens[i]) === 'ISNULL' &&
    isPunct(sql, tokens[i + 1], '(') &&
    !BEFORE_TABLE.has(keyword(sql, tokens[i - 1]))
  );
}

/**
 * Puts the word at `tokens[i]` in backticks when it is one of {@link POSTFIX_NULL} used as a
 * name, after whatever schema qualify.ts wrote before it; a column named after an expression
 * holding it gets back the client's text (`names`), unless the client wrote the backticks too.
 */
export function quotePostfixNullName(
  sql: string,
  tokens: readonly Token[],
  i: number,
  replace: Map<number, string>,
  names: Map<string, string>,
): void {
  if (!POSTFIX_NULL.has(keyword(sql, tokens[i])) || isIsnullCall(sql, tokens, i)) return;
  const t = tokens[i]!;
  const written = sql.slice(t.start, t.end);
  const current = replace.get(i) ?? written;
  if (!current.endsWith(written)) return;
  const quoted = backquoted(written);
  replace.set(i, current.slice(0, current.length - written.length) + quoted);
  if (!sql.includes(quoted)) names.set(quoted, written);
}
