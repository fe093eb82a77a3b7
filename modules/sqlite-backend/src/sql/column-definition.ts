import { identifierValue, isPunct, keyword, type Token, TokenType } from './lexer.js';
import { tableEntries } from './table-entries.js';

/** One clause of a column definition, as SQLite's grammar splits them. */
export interface ColumnClause {
  kind:
    | 'primary'
    | 'not-null'
    | 'null'
    | 'unique'
    | 'check'
    | 'default'
    | 'collate'
    | 'references'
    | 'generated';
  text: string;
  /** Where the clause starts and ends in the text read: its words, not the same words in a string. */
  start: number;
  end: number;
}

/** A column definition of a stored CREATE TABLE, read into its parts. */
export interface ColumnDefinition {
  name: string;
  /** The declared type as written (`VARCHAR(20)`), or ''. */
  type: string;
  clauses: ColumnClause[];
  /** Where the definition starts and ends in the table's text. */
  start: number;
  end: number;
}

const CLAUSE_STARTS: ReadonlyMap<string, ColumnClause['kind']> = new Map([
  ['PRIMARY', 'primary'],
  ['NOT', 'not-null'],
  ['NULL', 'null'],
  ['UNIQUE', 'unique'],
  ['CHECK', 'check'],
  ['DEFAULT', 'default'],
  ['COLLATE', 'collate'],
  ['REFERENCES', 'references'],
  ['GENERATED', 'generated'],
  ['AS', 'generated'],
]);

/**
 * The column definitions of `createSql` (SQLite's text, no backslash escapes), in order; table
 * constraints (PRIMARY KEY (…), FOREIGN KEY …, UNIQUE (…), CHECK …) are not columns.
 */
export function columnDefinitions(createSql: string): ColumnDefinition[] {
  const { tokens, entries } = tableEntries(createSql);
  const out: ColumnDefinition[] = [];
  for (const e of entries) {
    const column = readColumn(createSql, tokens, e.from, e.to);
    if (column !== undefined) out.push(column);
  }
  return out;
}

const TABLE_CONSTRAINTS = new Set(['CONSTRAINT', 'PRIMARY', 'FOREIGN', 'UNIQUE', 'CHECK', 'KEY', 'INDEX']);

/** The column definition in `tokens[from, to)`, or undefined for a table constraint. */
export function readColumn(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): ColumnDefinition | undefined {
  const first = tokens[from];
  if (first === undefined || from >= to) return undefined;
  if (first.type === TokenType.Word && TABLE_CONSTRAINTS.has(keyword(sql, first))) return undefined;
  if (first.type !== TokenType.Word && first.type !== TokenType.QuotedId && first.type !== TokenType.String)
    return undefined;
  let i = from + 1;
  // The type: words, then an optional (n[, m]).
  const typeStart = i;
  while (
    i < to &&
    tokens[i]!.type === TokenType.Word &&
    !CLAUSE_STARTS.has(keyword(sql, tokens[i])) &&
    keyword(sql, tokens[i]) !== 'CONSTRAINT'
  )
    i++;
  if (i > typeStart && isPunct(sql, tokens[i], '(')) {
    while (i < to && !isPunct(sql, tokens[i], ')')) i++;
    i++;
  }
  // `bigint(20) unsigned` is stored as one quoted name (create-table.ts); an ENUM's quoted
  // stored type is not a type to carry over.
  if (
    i === typeStart &&
    tokens[i]?.type === TokenType.QuotedId &&
    /\)\s*(?:(?:un)?signed|zerofill)/i.test(identifierValue(sql, tokens[i]!))
  )
    i++;
  const type = i > typeStart ? sql.slice(tokens[typeStart]!.start, tokens[i - 1]!.end) : '';
  const clauses: ColumnClause[] = [];
  let clauseStart = i;
  let kind: ColumnClause['kind'] | undefined;
  let depth = 0;
  const close = (at: number) => {
    if (kind !== undefined && at > clauseStart) {
      const start = tokens[clauseStart]!.start;
      const end = tokens[at - 1]!.end;
      clauses.push({ kind, text: sql.slice(start, end), start, end });
    }
  };
  for (; i < to; i++) {
    const t = tokens[i]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    if (depth !== 0 || t.type !== TokenType.Word) continue;
    const k = keyword(sql, t);
    // `NOT NULL` is one clause; `NULL` after NOT is not a new one, nor NULL after DEFAULT.
    const previous = keyword(sql, tokens[i - 1]);
    if (k === 'NULL' && (previous === 'NOT' || previous === 'DEFAULT')) continue;
    const starts = CLAUSE_STARTS.get(k);
    if (k === 'CONSTRAINT' || (starts !== undefined && keyword(sql, tokens[i - 2]) !== 'CONSTRAINT')) {
      // A `CONSTRAINT name` opens the clause that follows it.
      if (keyword(sql, tokens[i - 2]) === 'CONSTRAINT' && k !== 'CONSTRAINT') continue;
      close(i);
      clauseStart = i;
      kind = starts ?? CLAUSE_STARTS.get(keyword(sql, tokens[i + 2])) ?? undefined;
    }
  }
  close(to);
  return {
    name: identifierValue(sql, first),
    type,
    clauses,
    start: first.start,
    end: tokens[to - 1]!.end,
  };
}
