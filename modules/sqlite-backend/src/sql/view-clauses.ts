import { isPunct, keyword, type Token, TokenType } from './lexer.js';

const ALGORITHMS = new Set(['UNDEFINED', 'MERGE', 'TEMPTABLE']);

/**
 * The index of the VIEW after MySQL's clauses of a view between `CREATE [OR REPLACE]` and VIEW,
 * `tokens[i]` being the first of them: `ALGORITHM = {UNDEFINED | MERGE | TEMPTABLE}`, `DEFINER
 * = {user | CURRENT_USER[()] | CURRENT_ROLE}` and `SQL SECURITY {DEFINER | INVOKER}`, as
 * mysqldump and tools write them. SQLite has none of them; the backend has one user's rights
 * and plans a view as SQLite does, so they change nothing and go. `i` itself when there are
 * none, or when what follows them is not VIEW (then SQLite's error stands).
 */
export function afterViewClauses(sql: string, tokens: readonly Token[], i: number): number {
  let j = i;
  for (;;) {
    const k = keyword(sql, tokens[j]);
    if (k === 'ALGORITHM' && isPunct(sql, tokens[j + 1], '=') && ALGORITHMS.has(keyword(sql, tokens[j + 2])))
      j += 3;
    else if (k === 'DEFINER' && isPunct(sql, tokens[j + 1], '=')) {
      const user = definerEnd(sql, tokens, j + 2);
      if (user < 0) return i;
      j = user;
    } else if (
      k === 'SQL' &&
      keyword(sql, tokens[j + 1]) === 'SECURITY' &&
      ['DEFINER', 'INVOKER'].includes(keyword(sql, tokens[j + 2]))
    )
      j += 3;
    else break;
  }
  return j > i && keyword(sql, tokens[j]) === 'VIEW' ? j : i;
}

/** The index after the user a DEFINER names at `tokens[j]` (`'u'@'host'`, `u@host`, CURRENT_USER()…), or -1. */
function definerEnd(sql: string, tokens: readonly Token[], j: number): number {
  const k = keyword(sql, tokens[j]);
  if (k === 'CURRENT_USER' || k === 'CURRENT_ROLE')
    return isPunct(sql, tokens[j + 1], '(') && isPunct(sql, tokens[j + 2], ')') ? j + 3 : j + 1;
  const t = tokens[j];
  const named = t?.type === TokenType.Word || t?.type === TokenType.QuotedId || t?.type === TokenType.String;
  if (!named) return -1;
  // The host, `@'localhost'`: the lexer reads it as a user variable.
  return tokens[j + 1]?.type === TokenType.UserVariable ? j + 2 : j + 1;
}
