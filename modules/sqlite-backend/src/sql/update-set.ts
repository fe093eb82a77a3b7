import { MysqlError } from '../errors.js';
import { identifierValue, isName, isPunct, keyword, type Token, tableName } from './lexer.js';

/** Words between UPDATE and the table (MySQL's hints; SQLite's `OR …` is skipped apart). */
const MODIFIERS = new Set(['LOW_PRIORITY', 'IGNORE']);

/** Words that end an UPDATE's SET list. */
const SET_ENDS = new Set(['WHERE', 'ORDER', 'LIMIT', 'RETURNING', 'FROM']);

/**
 * `UPDATE t [AS] x SET x.c = …` / `UPDATE [db.]t SET [db.]t.c = …` at `tokens[from, to)`: MySQL
 * takes a column of the SET list named through its table (or the table's alias), SQLite only the
 * bare column, so the qualifier goes. A qualifier that is neither is 1054, as MySQL answers. An UPDATE of several
 * tables (a join, a list) is left alone: SQLite refuses it.
 */
export function rewriteSetTargets(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  schema: string | null | undefined,
  replace: Map<number, string>,
): void {
  let i = from + 1;
  while (MODIFIERS.has(keyword(sql, tokens[i]))) i++;
  if (keyword(sql, tokens[i]) === 'OR') i += 2;
  const named = tableName(sql, tokens, i);
  if (named === undefined) return;
  i = named.next;
  let alias: string | undefined;
  const as = keyword(sql, tokens[i]) === 'AS';
  if (as) i++;
  if (isName(tokens[i]) && keyword(sql, tokens[i]) !== 'SET') {
    // SQLite takes an alias only after AS.
    if (!as) replace.set(i, `AS ${sql.slice(tokens[i]!.start, tokens[i]!.end)}`);
    alias = identifierValue(sql, tokens[i++]!);
  }
  if (keyword(sql, tokens[i]) !== 'SET') return;
  const same = (a: string, b: string | null | undefined) => b != null && a.toLowerCase() === b.toLowerCase();
  let depth = 0;
  let start = i + 1;
  for (let j = start; j < to; j++) {
    const t = tokens[j]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    if (depth !== 0) continue;
    if (SET_ENDS.has(keyword(sql, t))) break;
    if (isPunct(sql, t, ',')) start = j + 1;
    if (j !== start) continue;
    // The target: `a.b.c =` or `a.b =`.
    const parts: number[] = [j];
    while (isPunct(sql, tokens[parts.at(-1)! + 1], '.') && isName(tokens[parts.at(-1)! + 2]))
      parts.push(parts.at(-1)! + 2);
    if (parts.length < 2 || parts.length > 3 || !isPunct(sql, tokens[parts.at(-1)! + 1], '=')) continue;
    const words = parts.map((p) => identifierValue(sql, tokens[p]!));
    const table = words.at(-2)!;
    const fits =
      alias !== undefined
        ? parts.length === 2 && same(table, alias)
        : same(table, named.table.name) &&
          (parts.length === 2 || same(words[0]!, named.table.schema ?? schema));
    if (!fits) throw new MysqlError(1054, `Unknown column '${words.join('.')}' in 'SET'`, '42S22');
    for (let p = j; p < parts.at(-1)!; p++) replace.set(p, '');
  }
}
