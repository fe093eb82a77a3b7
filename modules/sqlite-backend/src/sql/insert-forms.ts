import {
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  tableName,
  topLevelList,
} from './lexer.js';
import { withNumberedPlaceholders } from './numbered-placeholders.js';
import type { OnUpdateColumn } from './on-update.js';

/** What may stand between INSERT / REPLACE and the table's name. */
const BEFORE_TABLE = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO']);

/**
 * An `ON DUPLICATE KEY UPDATE` list: the columns it sets and their expressions (token ranges),
 * for the WHERE that leaves a row alone when nothing in it would change (see rewriteInsertForms).
 */
export interface UpsertAssignments {
  /** The columns set, quoted for SQLite. */
  columns: string[];
  /** The same, lower-cased as written (to find them in a later expression). */
  names: string[];
  expressions: [number, number][];
  /** The statement's last token, after which the WHERE goes. */
  last: number;
  /** The table inserted into, as written. */
  schema: string | undefined;
  table: string;
}

/**
 * `col = expr` at `[from, to)`: the column's name token (after any `t.` qualifier) and where the
 * expression starts. Undefined when it is no assignment.
 */
function assigned(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { name: number; expression: number } | undefined {
  let name = from;
  while (isPunct(sql, tokens[name + 1], '.') && isName(tokens[name + 2])) name += 2;
  const eq = name + 1;
  if (!isName(tokens[name]) || eq >= to || !isPunct(sql, tokens[eq], '=')) return undefined;
  return { name, expression: eq + 1 };
}

/**
 * {@link assigned}'s column as named, its qualifier going (SQLite's SET takes the bare name only).
 */
function assignment(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): { column: string; expression: number } | undefined {
  const found = assigned(sql, tokens, from, to);
  if (found === undefined) return undefined;
  for (let j = from; j < found.name; j++) replace.set(j, '');
  return { column: identifierValue(sql, tokens[found.name]!), expression: found.expression };
}

/** The ON of a top-level `ON DUPLICATE KEY UPDATE` in `tokens[from, to)`, or -1. */
function onDuplicateKey(sql: string, tokens: readonly Token[], from: number, to: number): number {
  let depth = 0;
  for (let j = from; j + 3 < to; j++) {
    if (isPunct(sql, tokens[j], '(')) depth++;
    else if (isPunct(sql, tokens[j], ')')) depth--;
    else if (
      depth === 0 &&
      keyword(sql, tokens[j]) === 'ON' &&
      keyword(sql, tokens[j + 1]) === 'DUPLICATE' &&
      keyword(sql, tokens[j + 2]) === 'KEY' &&
      keyword(sql, tokens[j + 3]) === 'UPDATE'
    )
      return j;
  }
  return -1;
}

/**
 * The columns `SET a = 1, t.b = 2` at `tokens[set]` (an `INSERT … SET`'s, the statement ending at
 * `to`) assigns, lower-cased, as {@link rewriteInsertForms} reads them; undefined when a part is
 * no assignment (the rewrite leaves the statement to SQLite's 1064 then).
 */
export function setColumns(
  sql: string,
  tokens: readonly Token[],
  set: number,
  to: number,
): string[] | undefined {
  const on = onDuplicateKey(sql, tokens, set, to);
  const columns: string[] = [];
  for (const [a, b] of topLevelList(sql, tokens, set + 1, on < 0 ? to : on)) {
    const found = assigned(sql, tokens, a, b);
    if (found === undefined) return undefined;
    columns.push(identifierValue(sql, tokens[found.name]!).toLowerCase());
  }
  return columns;
}

/**
 * MariaDB's forms of INSERT that SQLite's grammar lacks, in the statement `tokens[from, to)`:
 *
 * - `VALUE (…)` for `VALUES (…)`;
 * - `INSERT INTO t SET a = 1, b = 2`, which becomes `INSERT INTO t (a, b) SELECT 1, 2` (a SELECT
 *   rather than VALUES needs no closing parenthesis after an expression another rewrite may
 *   change);
 * - `ON DUPLICATE KEY UPDATE a = expr, …`, which becomes SQLite's `ON CONFLICT DO UPDATE SET a =
 *   expr, …` (without a conflict target it takes a conflict on any UNIQUE or PRIMARY KEY, as
 *   MariaDB's does), `VALUES(col)` becoming `excluded.col`. An INSERT … SELECT is read by SQLite
 *   as a join's ON unless its SELECT has a WHERE, so the SELECT is wrapped in one that has.
 *
 * Replacements go into `replace`. Returns the ON DUPLICATE KEY UPDATE's assignments, whose
 * expressions the caller repeats in a WHERE once the other rewrites are made: MariaDB counts a
 * row the update leaves as it was as no change (0 affected rows, not 2), and SQLite counts no
 * change for a DO UPDATE its WHERE skips.
 */
export function rewriteInsertForms(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): UpsertAssignments | undefined {
  let i = from + 1;
  while (BEFORE_TABLE.has(keyword(sql, tokens[i]))) i++;
  const named = i < to ? tableName(sql, tokens, i) : undefined;
  if (named === undefined) return undefined;
  i = named.next;
  if (isPunct(sql, tokens[i], '(')) {
    const next = keyword(sql, tokens[i + 1]);
    if (next !== 'SELECT' && next !== 'WITH') {
      let depth = 0;
      for (; i < to; i++) {
        if (isPunct(sql, tokens[i], '(')) depth++;
        else if (isPunct(sql, tokens[i], ')') && --depth === 0) break;
      }
      i++;
    }
  }
  const body = i;
  const bodyWord = keyword(sql, tokens[body]);
  const on = onDuplicateKey(sql, tokens, body, to);
  const end = on < 0 ? to : on;
  if (bodyWord === 'VALUE' && !replace.has(body)) replace.set(body, 'VALUES');
  else if (bodyWord === 'SET') {
    const columns: string[] = [];
    for (const [a, b] of topLevelList(sql, tokens, body + 1, end)) {
      const set = assignment(sql, tokens, a, b, replace);
      if (set === undefined) return undefined;
      columns.push(`"${set.column.replaceAll('"', '""')}"`);
      for (let j = a; j < set.expression; j++) replace.set(j, '');
    }
    replace.set(body, `(${columns.join(', ')}) SELECT`);
    if (on >= 0) replace.set(on, 'WHERE true ON');
  } else if (on >= 0 && (bodyWord === 'SELECT' || bodyWord === 'WITH' || isPunct(sql, tokens[body], '('))) {
    replace.set(
      body,
      `SELECT * FROM (${replace.get(body) ?? sql.slice(tokens[body]!.start, tokens[body]!.end)}`,
    );
    replace.set(on, ') WHERE true ON');
  }
  if (on < 0) return undefined;
  replace.set(on + 1, 'CONFLICT');
  replace.set(on + 2, 'DO');
  replace.set(on + 3, 'UPDATE SET');
  const upsert: UpsertAssignments = {
    columns: [],
    names: [],
    expressions: [],
    last: to - 1,
    schema: named.table.schema,
    table: named.table.name,
  };
  for (const [a, b] of topLevelList(sql, tokens, on + 4, to)) {
    const set = assignment(sql, tokens, a, b, replace);
    if (set === undefined) return undefined;
    upsert.columns.push(`"${set.column.replaceAll('"', '""')}"`);
    upsert.names.push(set.column.toLowerCase());
    upsert.expressions.push([set.expression, b]);
    for (let j = set.expression; j + 3 < b; j++) {
      // VALUES(col): the value the row would have inserted.
      if (
        keyword(sql, tokens[j]) === 'VALUES' &&
        isPunct(sql, tokens[j + 1], '(') &&
        isName(tokens[j + 2]) &&
        isPunct(sql, tokens[j + 3], ')')
      ) {
        replace.set(j, '');
        replace.set(j + 1, '');
        replace.set(j + 2, `excluded."${identifierValue(sql, tokens[j + 2]!).replaceAll('"', '""')}"`);
        replace.set(j + 3, '');
      }
    }
  }
  // Repeated in the WHERE, an assignment to a user variable would run twice: without the WHERE,
  // a row left as it was counts 2 (a `?` is repeated with its number: finishUpsert).
  for (let j = on + 4; j < to; j++) if (tokens[j]!.type === TokenType.UserVariable) return undefined;
  return upsert;
}

/**
 * Finishes the DO UPDATE made of `u` once every other rewrite is in `replace` (`text` gives the
 * rewritten text of a token range). MariaDB assigns from left to right, so a column named in a
 * later expression is the value an earlier assignment gave it; SQLite's SET reads the row as it
 * was, so the name is replaced by that expression. Then a WHERE skips the update of a row it would
 * leave as it was (see rewriteInsertForms).
 */
export function finishUpsert(
  sql: string,
  tokens: readonly Token[],
  u: UpsertAssignments,
  replace: Map<number, string>,
  text: (from: number, to: number) => string,
  stamped: readonly OnUpdateColumn[] = [],
): void {
  const values: string[] = [];
  u.expressions.forEach(([a, b], k) => {
    for (let j = a; j < b; j++) {
      const t = tokens[j]!;
      if (replace.has(j) || !isName(t) || isPunct(sql, tokens[j - 1], '.')) continue;
      if (isPunct(sql, tokens[j + 1], '(') || isPunct(sql, tokens[j + 1], '.')) continue;
      const earlier = u.names.lastIndexOf(identifierValue(sql, t).toLowerCase(), k - 1);
      if (earlier >= 0 && k > 0) replace.set(j, `(${values[earlier]})`);
    }
    // Repeated below (and in later expressions): a `?` in it keeps its parameter.
    values.push(withNumberedPlaceholders(tokens, a, b, replace, text));
  });
  let last = replace.get(u.last) ?? sql.slice(tokens[u.last]!.start, tokens[u.last]!.end);
  // ON UPDATE CURRENT_TIMESTAMP columns the list does not set take the time: the WHERE below
  // leaves a row it would not change alone, as MariaDB leaves them then.
  for (const c of stamped)
    if (!u.names.includes(c.name.toLowerCase()))
      last += `, "${c.name.replaceAll('"', '""')}" = NOW(${c.fsp || ''})`;
  replace.set(u.last, `${last} WHERE (${u.columns.join(', ')}) IS NOT (${values.join(', ')})`);
}
