import { closingParen, isName, isPunct, keyword, stringValue, type Token, TokenType } from './lexer.js';
import { sqliteString } from './rewrite.js';

/** What is added after a LIKE's pattern: MySQL's escape character, which SQLite's LIKE lacks. */
const ESCAPE = " ESCAPE '\\'";

/**
 * `a [NOT] LIKE pattern` in `tokens[from, to)` with MySQL's default escape character: `\_`, `\%`
 * and `\\` in the pattern are a literal `_`, `%` and `\` in MySQL (WordPress's esc_like, Laravel's
 * and Doctrine's escaping write them: `option_name LIKE '\_transient\_%'`), where SQLite's LIKE
 * has no escape character unless told, so such a pattern matched nothing. The pattern — a string,
 * placeholder, variable, column or call — gets `ESCAPE '\'` unless it has an ESCAPE of its own;
 * SHOW's `LIKE` is the SHOW's. Returns each pattern's token range, for its column name to read
 * as written.
 */
export function addLikeEscapes(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number][] {
  const patterns: [number, number][] = [];
  let show = keyword(sql, tokens[from]) === 'SHOW';
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) {
      show = keyword(sql, tokens[i + 1]) === 'SHOW';
      continue;
    }
    if (show || t.type !== TokenType.Word || keyword(sql, t) !== 'LIKE') continue;
    const start = i + 1;
    // `LIKE BINARY p` is no SQLite grammar either way (1064); left as it is.
    if (keyword(sql, tokens[start]) === 'BINARY') continue;
    const end = patternEnd(sql, tokens, start, to);
    if (end < 0 || keyword(sql, tokens[end + 1]) === 'ESCAPE') continue;
    const last = tokens[end]!;
    let pattern = replace.get(end) ?? sql.slice(last.start, last.end);
    // MySQL reads a `\` ending the pattern as itself (`'a\\' LIKE 'a\\'` is 1); SQLite's LIKE
    // matches nothing then, so a string's gets a `\` to escape it.
    if (end === start && last.type === TokenType.String) {
      const value = stringValue(sql, last);
      if (/(?:^|[^\\])(?:\\\\)*\\$/.test(value)) pattern = sqliteString(`${value}\\`);
    }
    replace.set(end, `${pattern}${ESCAPE}`);
    patterns.push([start, end]);
  }
  return patterns;
}

/** The last token of the LIKE pattern starting at `tokens[i]`, or -1 for one of another form. */
function patternEnd(sql: string, tokens: readonly Token[], i: number, to: number): number {
  const t = tokens[i];
  if (t === undefined || i >= to) return -1;
  switch (t.type) {
    case TokenType.String:
    case TokenType.Placeholder:
    case TokenType.UserVariable:
    case TokenType.SystemVariable:
      return i;
    case TokenType.Punct:
      return isPunct(sql, t, '(') ? closingParen(sql, tokens, i, to) : -1;
  }
  if (!isName(t)) return -1;
  // A typed or character-set literal: X'41', N'a%', _utf8mb4'a%'.
  const next = tokens[i + 1];
  if (next?.type === TokenType.String && (next.start === t.end || keyword(sql, t).startsWith('_')))
    return patternEnd(sql, tokens, i + 1, to);
  if (isPunct(sql, tokens[i + 1], '(')) return closingParen(sql, tokens, i + 1, to);
  let end = i;
  while (isPunct(sql, tokens[end + 1], '.') && isName(tokens[end + 2])) end += 2;
  return end;
}
