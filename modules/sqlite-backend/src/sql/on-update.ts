import { readColumn } from './column-definition.js';
import { identifierValue, isName, isPunct, keyword, type Token } from './lexer.js';
import { withNumberedPlaceholders } from './numbered-placeholders.js';
import { tableEntries } from './table-entries.js';
import { readUpdate } from './update-set.js';

/*
 * MySQL's `ON UPDATE CURRENT_TIMESTAMP[(fsp)]` column attribute, which SQLite lacks. The
 * CREATE TABLE keeps it as a comment in the column's definition, where SQLite keeps comments:
 *
 *   u TIMESTAMP NULL DEFAULT NULL /* on update current_timestamp() *\/
 *
 * and each single-table UPDATE of the table assigns such a column, unless it assigns it itself:
 * the current time when the row changes, its own value when it does not — as MariaDB, which
 * leaves the column alone when the UPDATE leaves the row as it was.
 */

/** A column that takes the time of the UPDATE that changes its row. */
export interface OnUpdateColumn {
  name: string;
  /** Fractional seconds digits, 0–6. */
  fsp: number;
}

const MARKER = /\/\* on update current_timestamp\(([0-6]?)\) \*\//;

/** The comment a column's `ON UPDATE CURRENT_TIMESTAMP(fsp)` becomes in SQLite's text. */
export function onUpdateMarker(fsp: string): string {
  return `/* on update current_timestamp(${fsp === '0' ? '' : fsp}) */`;
}

/**
 * The `ON UPDATE CURRENT_TIMESTAMP[([n])]` (or `NOW()`, `LOCALTIMESTAMP`…) whose ON is
 * `tokens[at]`, before `to`: its last token and its fractional digits ('' for none).
 */
export function readOnUpdate(
  sql: string,
  tokens: readonly Token[],
  at: number,
  to: number,
): { last: number; fsp: string } {
  let last = at + 2;
  let fsp = '';
  if (isPunct(sql, tokens[last + 1], '(')) {
    const n = tokens[last + 2];
    if (n !== undefined && /^[0-6]$/.test(sql.slice(n.start, n.end))) fsp = sql.slice(n.start, n.end);
    while (last < to && !isPunct(sql, tokens[last], ')')) last++;
  }
  return { last: Math.min(last, to - 1), fsp };
}

/** The marker of the first `ON UPDATE …` in a column definition `tokens[from, to)`, or ''. */
export function onUpdateMarkerIn(sql: string, tokens: readonly Token[], from: number, to: number): string {
  for (let j = from; j < to; j++)
    if (keyword(sql, tokens[j]) === 'ON' && keyword(sql, tokens[j + 1]) === 'UPDATE')
      return onUpdateMarker(readOnUpdate(sql, tokens, j, to).fsp);
  return '';
}

/** A stored table text's rest after a column's last token, without that column's marker. */
export function withoutLeadingMarker(rest: string): string {
  const m = /^\s*\/\* on update current_timestamp\([0-6]?\) \*\//.exec(rest);
  return m === null ? rest : rest.slice(m[0].length);
}

/**
 * A stored table text with each marker written back as MariaDB's clause, for SHOW CREATE TABLE:
 * a client re-running the text (a dump of this backend re-imported) makes the column again,
 * where the comment, dropped with the other comments, left it without its ON UPDATE.
 */
export function onUpdateAsMysql(text: string): string {
  return mayHaveOnUpdate(text)
    ? text.replace(new RegExp(MARKER.source, 'g'), (_, fsp: string) => `ON UPDATE current_timestamp(${fsp})`)
    : text;
}

/** What DESCRIBE and information_schema show in Extra for such a column. */
export function onUpdateExtra(column: OnUpdateColumn): string {
  return `on update current_timestamp(${column.fsp > 0 ? column.fsp : ''})`;
}

/** Extra for column `name` among a table's `columns` with ON UPDATE ('' for none of them). */
export function onUpdateExtraOf(columns: readonly OnUpdateColumn[], name: string): string {
  const lower = name.toLowerCase();
  const column = columns.find((c) => c.name.toLowerCase() === lower);
  return column === undefined ? '' : onUpdateExtra(column);
}

/** Whether a stored CREATE TABLE text may have such a column (a cheap look before reading it). */
export function mayHaveOnUpdate(createSql: string): boolean {
  return createSql.includes('/* on update current_timestamp(');
}

/** The columns of a stored CREATE TABLE text that have `ON UPDATE CURRENT_TIMESTAMP`. */
export function onUpdateColumns(createSql: string): OnUpdateColumn[] {
  if (!mayHaveOnUpdate(createSql)) return [];
  const { tokens, entries } = tableEntries(createSql);
  const out: OnUpdateColumn[] = [];
  for (const e of entries) {
    // The comment may follow the entry's last token: read up to the comma or `)` after it.
    const text = createSql.slice(tokens[e.from]!.start, tokens[e.to]?.start ?? createSql.length);
    const m = MARKER.exec(text);
    if (m === null) continue;
    const column = readColumn(createSql, tokens, e.from, e.to);
    if (column !== undefined) out.push({ name: column.name, fsp: Number(m[1] || 0) });
  }
  return out;
}

/** An UPDATE's table as written and where its SET list's assignments stand. */
export interface UpdateTarget {
  schema: string | undefined;
  table: string;
  /** Per assignment: the column (lower-cased) and its expression's tokens `[from, to)`. */
  assignments: { column: string; from: number; to: number }[];
}

/**
 * The table and SET list of the single-table `UPDATE` at `tokens[from, to)` (see readUpdate), or
 * undefined for one it cannot read.
 */
export function updateTarget(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): UpdateTarget | undefined {
  const update = readUpdate(sql, tokens, from, to);
  if (update === undefined) return undefined;
  const assignments: UpdateTarget['assignments'] = [];
  for (const [start, end] of update.assignments) {
    // `[t.]c = expr`: the column is the name just before the `=`.
    let eq = start;
    while (eq < end && !isPunct(sql, tokens[eq], '=')) eq++;
    if (eq >= end || eq === start || !isName(tokens[eq - 1])) return undefined;
    assignments.push({ column: identifierValue(sql, tokens[eq - 1]!).toLowerCase(), from: eq + 1, to: end });
  }
  return { schema: update.table.schema, table: update.table.name, assignments };
}

/**
 * Adds to the UPDATE `target` the assignments of its table's ON UPDATE columns it does not
 * assign itself: `c = CASE WHEN <a row value changes> THEN NOW(fsp) ELSE c END`, after its last
 * assignment. A value changes when a column's new value IS NOT its old one (SQLite's SET reads
 * the row as it was, so the assigned expression is compared with the column). An expression
 * that assigns a user variable (`:=`) is not run twice: the row counts as changed.
 * `text` gives the rewritten text of a token range, once every other rewrite is made.
 */
export function addOnUpdateAssignments(
  sql: string,
  tokens: readonly Token[],
  target: UpdateTarget,
  columns: readonly OnUpdateColumn[],
  replace: Map<number, string>,
  text: (from: number, to: number) => string,
): void {
  const assigned = new Set(target.assignments.map((a) => a.column));
  const wanted = columns.filter((c) => !assigned.has(c.name.toLowerCase()));
  if (wanted.length === 0 || target.assignments.length === 0) return;
  const assignsVariable = target.assignments.some(({ from, to }) =>
    sql.slice(tokens[from]!.start, tokens[to - 1]!.end).includes(':='),
  );
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const changed = assignsVariable
    ? '1'
    : target.assignments
        .map(
          (a) =>
            `${quote(a.column)} IS NOT (${withNumberedPlaceholders(tokens, a.from, a.to, replace, text)})`,
        )
        .join(' OR ');
  const added = wanted
    .map((c) => `${quote(c.name)} = CASE WHEN ${changed} THEN NOW(${c.fsp || ''}) ELSE ${quote(c.name)} END`)
    .join(', ');
  const last = target.assignments.at(-1)!.to - 1;
  replace.set(last, `${replace.get(last) ?? sql.slice(tokens[last]!.start, tokens[last]!.end)}, ${added}`);
}
