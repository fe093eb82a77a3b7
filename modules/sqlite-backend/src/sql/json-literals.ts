import { isPunct, keyword, type Token } from './lexer.js';

/** The function a TRUE or FALSE given to a JSON builder becomes (functions/json.ts). */
export const JSON_LITERAL = '__json_literal';

/**
 * The JSON functions that build JSON from their arguments, and which of their arguments are
 * values (JSON_OBJECT's keys are not; JSON_SET's document and paths are not).
 */
const BUILDERS: ReadonlyMap<string, (arg: number) => boolean> = new Map([
  ['JSON_ARRAY', () => true],
  ['JSON_OBJECT', (arg: number) => arg % 2 === 1],
  ...['JSON_SET', 'JSON_INSERT', 'JSON_REPLACE', 'JSON_ARRAY_APPEND', 'JSON_ARRAY_INSERT'].map(
    (name) => [name, (arg: number) => arg >= 2 && arg % 2 === 0] as const,
  ),
]);

/**
 * MariaDB writes a TRUE or FALSE given to JSON_OBJECT, JSON_ARRAY, JSON_SET… as JSON's `true` /
 * `false`; SQLite reads them as 1 and 0, which a function cannot tell from numbers. Such a
 * literal, when it is a whole value argument, becomes `__json_literal('true')`, a JSON result
 * the builder embeds as JSON.
 *
 * @returns the token ranges `[first, last]` rewritten, to name their columns as written
 */
export function rewriteJsonBooleans(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number][] {
  const rewritten: [number, number][] = [];
  // Per open parenthesis: the builder it calls (if any) and the argument reached.
  const open: { values?: (arg: number) => boolean; arg: number }[] = [];
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    if (isPunct(sql, t, '(')) {
      const values = i > from ? BUILDERS.get(keyword(sql, tokens[i - 1])) : undefined;
      open.push(values === undefined ? { arg: 0 } : { values, arg: 0 });
      continue;
    }
    if (isPunct(sql, t, ')')) {
      open.pop();
      continue;
    }
    const level = open[open.length - 1];
    if (level === undefined) continue;
    if (isPunct(sql, t, ',')) {
      level.arg++;
      continue;
    }
    const k = keyword(sql, t);
    if (
      (k === 'TRUE' || k === 'FALSE') &&
      level.values?.(level.arg) === true &&
      (isPunct(sql, tokens[i - 1], '(') || isPunct(sql, tokens[i - 1], ',')) &&
      (isPunct(sql, tokens[i + 1], ')') || isPunct(sql, tokens[i + 1], ',')) &&
      !replace.has(i)
    ) {
      // As written, so that `TRUE` and `true` in one statement name their columns apart.
      replace.set(i, `${JSON_LITERAL}('${sql.slice(t.start, t.end)}')`);
      rewritten.push([i, i]);
    }
  }
  return rewritten;
}
