import { closingParen, isName, isPunct, keyword, type Token, TokenType } from './lexer.js';

/** What JSON_EXTRACT is called where its value is compared or computed with (functions/json.ts). */
export const JSON_EXTRACT_VALUE = '__json_extract_value';

/** Whether token `i` is an operator character from `chars`. */
function operator(sql: string, tokens: readonly Token[], i: number, chars: string): boolean {
  const t = tokens[i];
  return t !== undefined && t.type === TokenType.Punct && chars.includes(sql[t.start] as string);
}

/**
 * Whether the `=` at `eq` compares rather than assigns: it follows `<`, `>` or `!` (`<=`), or what
 * it follows is not a name or variable (dotted or not) just after SET, UPDATE or a comma, as in
 * `SET c = …`, `SET @v = …`, `ON DUPLICATE KEY UPDATE a = 1, b = …` (nor `:=`). So
 * `SELECT a, b = JSON_EXTRACT(…)` is taken for an assignment too, and compares the JSON text.
 */
function comparedBy(sql: string, tokens: readonly Token[], eq: number, from: number): boolean {
  if (operator(sql, tokens, eq - 1, '<>!')) return true;
  if (isPunct(sql, tokens[eq - 1], ':')) return false;
  let j = eq - 1;
  const target = tokens[j];
  if (target === undefined) return true;
  const variable = target.type === TokenType.UserVariable || target.type === TokenType.SystemVariable;
  // A number is a word too, but no name.
  if (!variable && (!isName(target) || /^[0-9.]/.test(sql[target.start] as string))) return true;
  while (j - 2 >= from && isPunct(sql, tokens[j - 1], '.') && isName(tokens[j - 2])) j -= 2;
  const k = keyword(sql, tokens[j - 1]);
  return !(k === 'SET' || k === 'UPDATE' || isPunct(sql, tokens[j - 1], ','));
}

/**
 * MariaDB's JSON_EXTRACT answers JSON text (`"x"` for a string) but compares and computes with
 * the value found (`JSON_EXTRACT('{"a":"x"}', '$.a') = 'x'` is 1, `… + 1` of `"5"` is 6) where
 * it is an operand of `=`, `<>`, `<`… or of arithmetic (not of LIKE, IN or BETWEEN, which see
 * `"x"`). Such a call is renamed to the function answering that value; elsewhere (the select
 * list, a function's argument, a SET) it stays JSON text: a `=` before the call may be an
 * assignment (`SET c = JSON_EXTRACT(…)` stores the JSON text), see comparedBy.
 *
 * @returns the token ranges `[first, last]` of the calls renamed, to name their columns as written
 */
export function rewriteJsonComparisons(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number][] {
  const calls: [number, number][] = [];
  for (let i = from; i < to; i++) {
    if (keyword(sql, tokens[i]) !== 'JSON_EXTRACT' || !isPunct(sql, tokens[i + 1], '(') || replace.has(i))
      continue;
    if (sql[(tokens[i] as Token).start - 1] === '.') continue;
    const last = closingParen(sql, tokens, i + 1, to);
    if (last < 0) continue;
    const before =
      i - 1 >= from &&
      (operator(sql, tokens, i - 1, '<>!+-*/%') ||
        (isPunct(sql, tokens[i - 1], '=') && comparedBy(sql, tokens, i - 1, from)));
    const after = operator(sql, tokens, last + 1, '=<>!+-*/%');
    if (!before && !after) continue;
    replace.set(i, JSON_EXTRACT_VALUE);
    calls.push([i, last]);
  }
  return calls;
}
