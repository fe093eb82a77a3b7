import {
  identifierValue,
  isPunct,
  keyword,
  type TableName,
  type Token,
  TokenType,
  tableName,
} from './lexer.js';

/** The token ranges of the items of the parenthesised list opening at `open`, and its `)`. */
function items(
  sql: string,
  tokens: readonly Token[],
  open: number,
  to: number,
): { items: [number, number][]; close: number } | undefined {
  if (!isPunct(sql, tokens[open], '(')) return undefined;
  const out: [number, number][] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return undefined;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) {
      if (depth === 0) {
        out.push([start, i]);
        return { items: out, close: i };
      }
      depth--;
    } else if (depth === 0 && isPunct(sql, t, ',')) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  return undefined;
}

/** Whether the item `tokens[a, b)` of a VALUES row is the one word DEFAULT. */
function isDefault(sql: string, tokens: readonly Token[], [a, b]: [number, number]): boolean {
  return b === a + 1 && keyword(sql, tokens[a]) === 'DEFAULT';
}

/**
 * The DEFAULT of each column of a table, by lower-cased name: SQLite's text of the expression (as
 * PRAGMA table_info gives it), null for a column without one; undefined for no such table.
 */
export type ColumnDefaults = (table: TableName) => ReadonlyMap<string, string | null> | undefined;

/**
 * MySQL's `DEFAULT` as a value in `INSERT … (cols) VALUES (…)`, which SQLite does not take (ORMs
 * write `VALUES (DEFAULT, ?, …)` for an AUTO_INCREMENT id): a column whose value is DEFAULT in
 * every row is left out of the statement, so SQLite gives it its default. Its tokens go blank in
 * `replace`. A column DEFAULT in some rows only (knex's multi-row insert writes DEFAULT for a key
 * a row lacks) gets, in those rows, its default expression from `defaults` (NULL where it has
 * none: an AUTO_INCREMENT column then numbers the row); without `defaults`, or for a table it does
 * not know, it is left as it is (SQLite then refuses it).
 */
export function dropDefaultValues(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
  defaults?: ColumnDefaults,
): void {
  const k0 = keyword(sql, tokens[from]);
  if (k0 !== 'INSERT' && k0 !== 'REPLACE') return;
  let i = from + 1;
  while (
    i < to &&
    !isPunct(sql, tokens[i], '(') &&
    keyword(sql, tokens[i]) !== 'VALUES' &&
    keyword(sql, tokens[i]) !== 'VALUE'
  )
    i++;
  const columns = items(sql, tokens, i, to);
  if (columns === undefined) return;
  const values = keyword(sql, tokens[columns.close + 1]);
  if (values !== 'VALUES' && values !== 'VALUE') return;
  const rows: [number, number][][] = [];
  let at = columns.close + 2;
  for (;;) {
    const row = items(sql, tokens, at, to);
    if (row === undefined || row.items.length !== columns.items.length) return;
    rows.push(row.items);
    if (!isPunct(sql, tokens[row.close + 1], ',')) break;
    at = row.close + 2;
  }
  const dropped = columns.items.map((_, c) => rows.every((r) => isDefault(sql, tokens, r[c]!)));
  if (rows.length > 1 && defaults !== undefined)
    fillDefaults(sql, tokens, from, i, columns.items, rows, dropped, replace, defaults);
  if (!dropped.includes(true)) return;
  // An INSERT of nothing but defaults: SQLite's DEFAULT VALUES (one row).
  if (dropped.every(Boolean)) {
    if (rows.length !== 1) return;
    replace.set(columns.items[0]![0] - 1, 'DEFAULT VALUES');
    for (let j = columns.items[0]![0]; j <= rows[0]![rows[0]!.length - 1]![1]; j++) replace.set(j, '');
    return;
  }
  const lastKept = dropped.lastIndexOf(false);
  // A dropped item goes with the comma after it; after the last kept one, with the comma before.
  const blank = (list: [number, number][]) => {
    list.forEach(([a, b], c) => {
      if (!dropped[c]) return;
      const [first, last] = c > lastKept ? [a - 1, b - 1] : [a, b];
      for (let j = first; j <= last; j++) replace.set(j, '');
    });
  };
  blank(columns.items);
  for (const r of rows) blank(r);
}

/**
 * Each DEFAULT of a column that is not DEFAULT in every row (`dropped`) becomes the column's
 * default expression in `replace`, when the INSERT's table (its name ends at `tokens[open]`, the
 * column list's `(`) is one `defaults` knows.
 */
function fillDefaults(
  sql: string,
  tokens: readonly Token[],
  from: number,
  open: number,
  columns: [number, number][],
  rows: [number, number][][],
  dropped: boolean[],
  replace: Map<number, string>,
  defaults: ColumnDefaults,
): void {
  const some = columns.map((_, c) => !dropped[c] && rows.some((r) => isDefault(sql, tokens, r[c]!)));
  if (!some.includes(true)) return;
  // The table's name ends where the column list opens: `[schema.]name (`.
  const at = isPunct(sql, tokens[open - 2], '.') ? open - 3 : open - 1;
  const named = at > from ? tableName(sql, tokens, at) : undefined;
  if (named === undefined || named.next !== open) return;
  const known = defaults(named.table);
  if (known === undefined) return;
  columns.forEach(([a, b], c) => {
    if (!some[c] || b !== a + 1) return;
    const column = identifierValue(sql, tokens[a]!).toLowerCase();
    const value = known.get(column);
    if (value === undefined) return;
    const text = value === null ? 'NULL' : `(${value})`;
    for (const r of rows) if (isDefault(sql, tokens, r[c]!)) replace.set(r[c]![0], text);
  });
}
