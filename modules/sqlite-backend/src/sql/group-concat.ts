import { isPunct, keyword, type Token, TokenType } from './lexer.js';

/** The aggregate a DISTINCT GROUP_CONCAT with a SEPARATOR becomes (registered by the database). */
export const GROUP_CONCAT_DISTINCT = '__mysql_group_concat_distinct';

/**
 * Rewrites MySQL's `GROUP_CONCAT([DISTINCT] e1[, e2…] [ORDER BY …] [SEPARATOR 's'])`, the call
 * at `at` closed at `close`, into SQLite's `group_concat`. SQLite reads a second argument as the
 * separator, so `GROUP_CONCAT(a, b)` would silently join the `a`s with the `b`s: several
 * expressions are joined by CONCAT first (NULL when any is NULL, so the row is skipped as MySQL
 * skips it). SEPARATOR becomes that second argument, written before the ORDER BY, where SQLite
 * (3.44 on) takes an aggregate's ORDER BY. SQLite's DISTINCT aggregates take one argument only,
 * so a DISTINCT one with a separator goes to an aggregate of ours that drops repeats itself.
 * A LIMIT inside the call is left for SQLite to refuse.
 *
 * @returns whether the call was rewritten
 */
export function rewriteGroupConcat(
  sql: string,
  tokens: readonly Token[],
  at: number,
  close: number,
  replace: Map<number, string>,
): boolean {
  const distinct = keyword(sql, tokens[at + 2]) === 'DISTINCT';
  let commas = 0;
  let orderAt = -1;
  let separatorAt = -1;
  let depth = 0;
  for (let j = at + 2; j < close; j++) {
    const t = tokens[j]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    else if (depth > 0) continue;
    else if (isPunct(sql, t, ',') && orderAt < 0 && separatorAt < 0) commas++;
    else {
      const k = keyword(sql, t);
      if (k === 'ORDER' && separatorAt < 0) orderAt = j;
      else if (k === 'SEPARATOR') separatorAt = j;
      else if (k === 'LIMIT') return false;
    }
  }
  const literal = separatorAt < 0 ? undefined : tokens[separatorAt + 1];
  // MySQL takes only a string literal there; anything else is left for SQLite to refuse.
  if (separatorAt >= 0 && (literal?.type !== TokenType.String || separatorAt + 2 !== close)) return false;
  if (commas === 0 && literal === undefined) return false;
  const joined = commas > 0;
  let separator = '';
  if (literal !== undefined) {
    // The literal as the rewrite has it already (escapes resolved), moved; SEPARATOR dropped.
    separator = `, ${replace.get(separatorAt + 1) ?? sql.slice(literal.start, literal.end)}`;
    replace.set(separatorAt + 1, '');
    replace.set(separatorAt, '');
  }
  if (distinct && literal !== undefined) {
    replace.set(at, GROUP_CONCAT_DISTINCT);
    replace.set(at + 2, joined ? 'CONCAT(' : '');
  } else if (distinct) {
    replace.set(at + 2, 'DISTINCT CONCAT(');
  } else if (joined) {
    replace.set(at + 1, `${replace.get(at + 1) ?? '('}CONCAT(`);
  }
  // The expressions end where the ORDER BY stands, else where the SEPARATOR or the `)` does.
  const closing = `${joined ? ')' : ''}${separator}`;
  if (orderAt >= 0) replace.set(orderAt, `${closing} ORDER`);
  else replace.set(close, `${closing}${replace.get(close) ?? ')'}`);
  return true;
}
