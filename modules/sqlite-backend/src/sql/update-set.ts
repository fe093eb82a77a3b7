import { MysqlError } from '../errors.js';
import {
  identifierValue,
  isName,
  isPunct,
  keyword,
  type TableName,
  type Token,
  TokenType,
  tableName,
} from './lexer.js';

/** Words between UPDATE and the table (MySQL's hints; SQLite's `OR …` is skipped apart). */
const MODIFIERS = new Set(['LOW_PRIORITY', 'IGNORE']);

/** Words that end an UPDATE's SET list. */
const SET_ENDS = new Set(['WHERE', 'ORDER', 'LIMIT', 'RETURNING', 'FROM']);

/** A single-table UPDATE read up to the end of its SET list. */
export interface UpdateStatement {
  table: TableName;
  /** The alias after the table (`UPDATE t [AS] x`): its token, and whether AS was written. */
  alias: { at: number; name: string; as: boolean } | undefined;
  /** Each assignment's tokens `[from, to)`, the SET list split at its top-level commas. */
  assignments: [number, number][];
}

/**
 * The UPDATE at `tokens[from, to)`, or undefined for one of several tables (a join, a list:
 * SQLite refuses those) or one it cannot read.
 */
export function readUpdate(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): UpdateStatement | undefined {
  let i = from + 1;
  while (MODIFIERS.has(keyword(sql, tokens[i]))) i++;
  if (keyword(sql, tokens[i]) === 'OR') i += 2;
  const named = tableName(sql, tokens, i);
  if (named === undefined) return undefined;
  i = named.next;
  let alias: UpdateStatement['alias'];
  const as = keyword(sql, tokens[i]) === 'AS';
  if (as) i++;
  if (isName(tokens[i]) && keyword(sql, tokens[i]) !== 'SET') {
    alias = { at: i, name: identifierValue(sql, tokens[i]!), as };
    i++;
  }
  if (keyword(sql, tokens[i]) !== 'SET') return undefined;
  const assignments: [number, number][] = [];
  let depth = 0;
  let start = i + 1;
  let j = start;
  for (; j < to; j++) {
    const t = tokens[j]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    if (depth !== 0) continue;
    if (SET_ENDS.has(keyword(sql, t)) || t.type === TokenType.Semicolon) break;
    if (isPunct(sql, t, ',')) {
      assignments.push([start, j]);
      start = j + 1;
    }
  }
  assignments.push([start, j]);
  return { table: named.table, alias, assignments };
}

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
  const update = readUpdate(sql, tokens, from, to);
  if (update === undefined) return;
  const { table, alias } = update;
  // SQLite takes an alias only after AS.
  if (alias !== undefined && !alias.as)
    replace.set(alias.at, `AS ${sql.slice(tokens[alias.at]!.start, tokens[alias.at]!.end)}`);
  const same = (a: string, b: string | null | undefined) => b != null && a.toLowerCase() === b.toLowerCase();
  for (const [j] of update.assignments) {
    // The target: `a.b.c =` or `a.b =`.
    const parts: number[] = [j];
    while (isPunct(sql, tokens[parts.at(-1)! + 1], '.') && isName(tokens[parts.at(-1)! + 2]))
      parts.push(parts.at(-1)! + 2);
    if (parts.length < 2 || parts.length > 3 || !isPunct(sql, tokens[parts.at(-1)! + 1], '=')) continue;
    const words = parts.map((p) => identifierValue(sql, tokens[p]!));
    const qualifier = words.at(-2)!;
    const fits =
      alias !== undefined
        ? parts.length === 2 && same(qualifier, alias.name)
        : same(qualifier, table.name) && (parts.length === 2 || same(words[0]!, table.schema ?? schema));
    if (!fits) throw new MysqlError(1054, `Unknown column '${words.join('.')}' in 'SET'`, '42S22');
    for (let p = j; p < parts.at(-1)!; p++) replace.set(p, '');
  }
}
