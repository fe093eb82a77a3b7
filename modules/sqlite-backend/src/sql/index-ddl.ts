import {
  backquoted,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  tableName,
  tokenize,
} from './lexer.js';

/**
 * The name SQLite knows MySQL's index `name` of `table` by: MySQL's index names are one namespace
 * per table, SQLite's one per database, so two tables' `KEY user_id` would clash.
 * information_schema and SHOW INDEX show the part after the table.
 */
export function sqliteIndexName(table: string, name: string): string {
  return `${table}.${name}`;
}

/**
 * MySQL's name of SQLite index `index` on `table` ({@link sqliteIndexName} undone). A rename
 * names the table's indexes anew (engine/rename-table.ts), but in a database an earlier version
 * renamed tables in, an index may keep its table's old name: then the part after the first dot.
 */
export function mysqlIndexName(index: string, table: string): string {
  if (index.toLowerCase().startsWith(`${table.toLowerCase()}.`)) return index.slice(table.length + 1);
  const dot = index.indexOf('.');
  return dot < 0 ? index : index.slice(dot + 1);
}

/**
 * `CREATE [UNIQUE] INDEX [IF NOT EXISTS]` of MySQL's index `name` on `[schema.]table (columns)`:
 * `columns` may also be a stored index's tail ({@link indexTail}).
 */
export function createIndexText(
  schema: string | null | undefined,
  table: string,
  name: string,
  unique: boolean,
  columns: string,
  ifNotExists = true,
): string {
  const prefix = schema === null || schema === undefined ? '' : `${backquoted(schema)}.`;
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${ifNotExists ? 'IF NOT EXISTS ' : ''}${prefix}${backquoted(sqliteIndexName(table, name))} ON ${backquoted(table)} ${columns}`;
}

/**
 * A stored CREATE INDEX's text after its table's name (the columns and any WHERE), and whether
 * it is UNIQUE. The name is one token (SQLite's ON takes no schema); SQLite writes it in double
 * quotes after a rename, which MySQL's lexer reads as a string.
 */
export function indexTail(text: string): { unique: boolean; tail: string } | undefined {
  const tokens = tokenize(text, false);
  const on = tokens.findIndex((t) => keyword(text, t) === 'ON');
  const table = tokens[on + 1];
  const after = tokens[on + 2];
  if (on < 0 || table === undefined || after === undefined) return undefined;
  if (![TokenType.Word, TokenType.QuotedId, TokenType.String].includes(table.type)) return undefined;
  return { unique: keyword(text, tokens[1]) === 'UNIQUE', tail: text.slice(after.start) };
}

/**
 * The column list of an index at `tokens[open]` (its `(`), as SQLite takes it: prefix lengths
 * (`name(10)`) go — SQLite indexes whole values —, ASC/DESC stay. Undefined when there is none.
 */
export function indexColumns(
  sql: string,
  tokens: readonly Token[],
  open: number,
  to: number,
): { text: string; first: string; close: number } | undefined {
  if (!isPunct(sql, tokens[open], '(')) return undefined;
  const parts: string[] = [];
  let current = '';
  let first: string | undefined;
  for (let i = open + 1; i < to; i++) {
    const t = tokens[i]!;
    if (isPunct(sql, t, ')')) {
      parts.push(current.trim());
      return first === undefined ? undefined : { text: `(${parts.join(', ')})`, first, close: i };
    }
    if (isPunct(sql, t, ',')) {
      parts.push(current.trim());
      current = '';
    } else if (isPunct(sql, t, '(')) {
      // A prefix length: `(10)`.
      if (tokens[i + 2] === undefined || !isPunct(sql, tokens[i + 2], ')')) return undefined;
      i += 2;
    } else if (isName(t)) {
      const word = keyword(sql, t);
      if (current === '') {
        const name = identifierValue(sql, t);
        first ??= name;
        current = backquoted(name);
      } else if (word === 'ASC' || word === 'DESC') current += ` ${word}`;
      else return undefined;
    } else return undefined;
  }
  return undefined;
}

/** Whether `tokens[i…to)` holds nothing but optional `USING BTREE|HASH` and index options we drop. */
function onlyIndexOptions(sql: string, tokens: readonly Token[], i: number, to: number): boolean {
  while (i < to && tokens[i]!.type !== TokenType.Semicolon) {
    const k = keyword(sql, tokens[i]);
    if (k === 'USING' && (keyword(sql, tokens[i + 1]) === 'BTREE' || keyword(sql, tokens[i + 1]) === 'HASH'))
      i += 2;
    else if (k === 'COMMENT' && tokens[i + 1]?.type === TokenType.String) i += 2;
    else return false;
  }
  return true;
}

/** An index MySQL's DDL drops: `DROP INDEX name ON [db.]t` or `ALTER TABLE [db.]t DROP {INDEX|KEY} name`. */
export interface IndexDrop {
  schema: string | undefined;
  table: string;
  index: string;
}

/** The index the statement at `tokens[from]` drops, or undefined when it drops none. */
export function indexDrop(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): IndexDrop | undefined {
  const k0 = keyword(sql, tokens[from]);
  const k1 = keyword(sql, tokens[from + 1]);
  if (k0 === 'DROP' && k1 === 'INDEX') {
    const index = tokens[from + 2];
    if (!isName(index) || keyword(sql, tokens[from + 3]) !== 'ON') return undefined;
    const named = tableName(sql, tokens, from + 4);
    if (named === undefined || !onlyIndexOptions(sql, tokens, named.next, to)) return undefined;
    return { schema: named.table.schema, table: named.table.name, index: identifierValue(sql, index) };
  }
  if (k0 !== 'ALTER' || k1 !== 'TABLE') return undefined;
  const named = tableName(sql, tokens, from + 2);
  if (named === undefined || keyword(sql, tokens[named.next]) !== 'DROP') return undefined;
  const what = keyword(sql, tokens[named.next + 1]);
  const index = tokens[named.next + 2];
  if (
    (what !== 'INDEX' && what !== 'KEY') ||
    !isName(index) ||
    !onlyIndexOptions(sql, tokens, named.next + 3, to)
  )
    return undefined;
  return { schema: named.table.schema, table: named.table.name, index: identifierValue(sql, index) };
}

/**
 * MySQL's index-adding DDL in SQLite's words, for the statement at `tokens[from]` (to `to`):
 * `ALTER TABLE t ADD [CONSTRAINT [c]] UNIQUE [INDEX|KEY] [name] (cols)` and
 * `ALTER TABLE t ADD {INDEX|KEY} [name] (cols)` become `CREATE [UNIQUE] INDEX`, in `schema` (the
 * session's) for an unqualified table, or in temp for a session's temporary table of the name;
 * so does MySQL's `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name [USING …] ON t (cols)`. The index is
 * named per table ({@link sqliteIndexName}); one given no name after its first column, as MySQL
 * names it.
 *
 * @returns the statement's SQLite text, or undefined when it is none of these
 */
export function indexDdl(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  schema: string | null,
  isTemporary: (table: string) => boolean = () => false,
): string | undefined {
  if (keyword(sql, tokens[from]) === 'CREATE') return createIndex(sql, tokens, from, to, schema, isTemporary);
  if (keyword(sql, tokens[from]) !== 'ALTER' || keyword(sql, tokens[from + 1]) !== 'TABLE') return undefined;
  const named = tableName(sql, tokens, from + 2);
  if (named === undefined) return undefined;
  const db = named.table.schema ?? (isTemporary(named.table.name) ? 'temp' : schema);
  let i = named.next;
  if (keyword(sql, tokens[i++]) !== 'ADD') return undefined;
  let constraint: string | undefined;
  if (keyword(sql, tokens[i]) === 'CONSTRAINT') {
    i++;
    if (isName(tokens[i]) && keyword(sql, tokens[i]) !== 'UNIQUE')
      constraint = identifierValue(sql, tokens[i++]!);
  }
  let unique = false;
  if (keyword(sql, tokens[i]) === 'UNIQUE') {
    unique = true;
    i++;
    if (keyword(sql, tokens[i]) === 'INDEX' || keyword(sql, tokens[i]) === 'KEY') i++;
  } else if (
    constraint === undefined &&
    (keyword(sql, tokens[i]) === 'INDEX' || keyword(sql, tokens[i]) === 'KEY')
  ) {
    i++;
  } else return undefined;
  let name = constraint;
  if (isName(tokens[i]) && !isPunct(sql, tokens[i + 1], '.') && keyword(sql, tokens[i]) !== 'USING')
    name = identifierValue(sql, tokens[i++]!);
  if (keyword(sql, tokens[i]) === 'USING') i += 2;
  const columns = indexColumns(sql, tokens, i, to);
  if (columns === undefined || !onlyIndexOptions(sql, tokens, columns.close + 1, to)) return undefined;
  return createIndexText(db, named.table.name, name ?? columns.first, unique, columns.text);
}

/** MySQL's `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name [USING …] ON [db.]t (cols) [USING …]`. */
function createIndex(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  schema: string | null,
  isTemporary: (table: string) => boolean,
): string | undefined {
  let i = from + 1;
  const unique = keyword(sql, tokens[i]) === 'UNIQUE';
  if (unique) i++;
  if (keyword(sql, tokens[i++]) !== 'INDEX') return undefined;
  if (keyword(sql, tokens[i]) === 'IF') i += 3;
  // `CREATE INDEX db.name` is SQLite's form: left to SQLite, as a partial index (`WHERE`) is.
  if (!isName(tokens[i]) || isPunct(sql, tokens[i + 1], '.')) return undefined;
  const name = identifierValue(sql, tokens[i++]!);
  if (keyword(sql, tokens[i]) === 'USING') i += 2;
  if (keyword(sql, tokens[i++]) !== 'ON') return undefined;
  const named = tableName(sql, tokens, i);
  if (named === undefined) return undefined;
  const columns = indexColumns(sql, tokens, named.next, to);
  if (columns === undefined || !onlyIndexOptions(sql, tokens, columns.close + 1, to)) return undefined;
  const db = named.table.schema ?? (isTemporary(named.table.name) ? 'temp' : schema);
  return createIndexText(db, named.table.name, name, unique, columns.text);
}
