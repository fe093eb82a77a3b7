import { isPunct, keyword, type Token, TokenType } from './lexer.js';

/** What JSON_EXTRACT is called where its value is compared or computed with (functions/json.ts). */
export const JSON_EXTRACT_VALUE = '__json_extract_value';

function closing(sql: string, tokens: readonly Token[], open: number, to: number): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = tokens[i] as Token;
    if (t.type === TokenType.Semicolon) return -1;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')') && --depth === 0) return i;
  }
  return -1;
}

/** Whether token `i` is an operator character from `chars`. */
function operator(sql: string, tokens: readonly Token[], i: number, chars: string): boolean {
  const t = tokens[i];
  return t !== undefined && t.type === TokenType.Punct && chars.includes(sql[t.start] as string);
}

/**
 * MariaDB's JSON_EXTRACT answers JSON text (`"x"` for a string) but compares and computes with
 * the value found (`JSON_EXTRACT('{"a":"x"}', '$.a') = 'x'` is 1, `… + 1` of `"5"` is 6) where
 * it is an operand of `=`, `<>`, `<`… or of arithmetic (not of LIKE, IN or BETWEEN, which see
 * `"x"`). Such a call is renamed to the function answering that value; elsewhere (the select
 * list, a function's argument, a SET) it stays JSON text. A `=`
 * before the call may be an assignment (`SET c = JSON_EXTRACT(…)`, which stores the JSON text), so
 * only the operator after the call, or a `<`, `>`, `!`… before it, tells.
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
    const last = closing(sql, tokens, i + 1, to);
    if (last < 0) continue;
    const before = i - 1 >= from && operator(sql, tokens, i - 1, '<>!+-*/%');
    const after = operator(sql, tokens, last + 1, '=<>!+-*/%');
    if (!before && !after) continue;
    replace.set(i, JSON_EXTRACT_VALUE);
    calls.push([i, last]);
  }
  return calls;
}
