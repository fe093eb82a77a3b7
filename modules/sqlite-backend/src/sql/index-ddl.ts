import { identifierValue, isName, isPunct, keyword, type Token, TokenType, tableName } from './lexer.js';

/** `name` in backticks, which SQLite and MySQL both read as an identifier. */
function quoted(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The column list of an index at `tokens[open]` (its `(`), as SQLite takes it: prefix lengths
 * (`name(10)`) go — SQLite indexes whole values —, ASC/DESC stay. Undefined when there is none.
 */
function indexColumns(
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
        current = quoted(name);
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

/**
 * MySQL's index DDL in SQLite's words, for the statement at `tokens[from]` (to `to`):
 * `ALTER TABLE t ADD [CONSTRAINT [c]] UNIQUE [INDEX|KEY] [name] (cols)` and
 * `ALTER TABLE t ADD {INDEX|KEY} [name] (cols)` become `CREATE [UNIQUE] INDEX`;
 * `ALTER TABLE t DROP {INDEX|KEY} name` and `DROP INDEX name ON t` become `DROP INDEX`. SQLite's
 * index names are one namespace per database, MySQL's one per table: an index given no name is
 * named `<table>_<first column>` (MySQL would call it after the column alone).
 *
 * @returns the statement's SQLite text, or undefined when it is none of these
 */
export function indexDdl(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  schema: string | null,
): string | undefined {
  const k0 = keyword(sql, tokens[from]);
  const k1 = keyword(sql, tokens[from + 1]);
  if (k0 === 'DROP' && k1 === 'INDEX') {
    // DROP INDEX name ON [db.]t
    const index = tokens[from + 2];
    if (!isName(index) || keyword(sql, tokens[from + 3]) !== 'ON') return undefined;
    const named = tableName(sql, tokens, from + 4);
    if (named === undefined || !onlyIndexOptions(sql, tokens, named.next, to)) return undefined;
    const db = named.table.schema ?? schema;
    return `DROP INDEX ${db === null ? '' : `${quoted(db)}.`}${quoted(identifierValue(sql, index))}`;
  }
  if (k0 !== 'ALTER' || k1 !== 'TABLE') return undefined;
  const named = tableName(sql, tokens, from + 2);
  if (named === undefined) return undefined;
  const db = named.table.schema ?? schema;
  const prefix = db === null ? '' : `${quoted(db)}.`;
  let i = named.next;
  const action = keyword(sql, tokens[i++]);
  if (action === 'DROP') {
    const what = keyword(sql, tokens[i]);
    const index = tokens[i + 1];
    if ((what !== 'INDEX' && what !== 'KEY') || !isName(index) || !onlyIndexOptions(sql, tokens, i + 2, to))
      return undefined;
    return `DROP INDEX ${prefix}${quoted(identifierValue(sql, index))}`;
  }
  if (action !== 'ADD') return undefined;
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
  name ??= `${named.table.name}_${columns.first}`;
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${prefix}${quoted(name)} ON ${quoted(named.table.name)} ${columns.text}`;
}
