import { isPunct, keyword, type Token, TokenType } from './lexer.js';

/** Words that end the expression of an assignment: a clause, an alias, a CASE's next branch. */
const ENDS = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'AS',
  'INTO',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'FOR',
  'LOCK',
  'ON',
  'USING',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ASC',
  'DESC',
  'RETURNING',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
]);

/** Whether `tokens[i]`, a user variable, is followed by `:=`. */
export function isAssigned(sql: string, tokens: readonly Token[], i: number): boolean {
  const colon = tokens[i + 1];
  return isPunct(sql, colon, ':') && isPunct(sql, tokens[i + 2], '=') && colon!.end === tokens[i + 2]!.start;
}

/**
 * The last token of the expression an `@v :=` at `tokens[i]` assigns, in `tokens[from, to)`; -1
 * when none follows. `:=` binds least of all operators, so the expression runs on to a comma or
 * `)` outside its parentheses, or a word that ends it there ({@link ENDS}) — not the branches of
 * a CASE inside it. A bare alias after it is taken in (SQLite then refuses the statement).
 */
export function assignedUpTo(sql: string, tokens: readonly Token[], i: number, to: number): number {
  let last = -1;
  let depth = 0;
  let cases = 0;
  for (let j = i + 3; j < to; j++) {
    const t = tokens[j]!;
    if (t.type === TokenType.Semicolon) break;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && isPunct(sql, t, ',')) break;
    else if (depth === 0) {
      const k = keyword(sql, t);
      if (k === 'CASE') cases++;
      else if (k === 'END' && cases > 0) cases--;
      else if (cases === 0 && ENDS.has(k)) break;
    }
    last = j;
  }
  return last;
}
