import { type Token, TokenType } from './lexer.js';

/**
 * The rewritten text of tokens `[from, to)`, each prepared statement's `?` in it written with its
 * number (`?2`), for a rewrite that repeats an expression elsewhere in the statement: a second
 * anonymous `?` would take the next parameter's value. The `?` after the copy keep theirs, since
 * SQLite numbers an anonymous one after the largest number used before it — so the copy must not
 * come before the expression it repeats. `text` gives the rewritten text of a token range.
 */
export function withNumberedPlaceholders(
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
  text: (from: number, to: number) => string,
): string {
  // A prepared statement is one statement: its tokens are numbered from the first.
  let ordinal = 0;
  for (let j = 0; j < from; j++) if (tokens[j]!.type === TokenType.Placeholder) ordinal++;
  const set: number[] = [];
  for (let j = from; j < to; j++) {
    if (tokens[j]!.type !== TokenType.Placeholder) continue;
    ordinal++;
    if (replace.has(j)) continue;
    replace.set(j, `?${ordinal}`);
    set.push(j);
  }
  if (set.length === 0) return text(from, to);
  try {
    return text(from, to);
  } finally {
    for (const j of set) replace.delete(j);
  }
}
