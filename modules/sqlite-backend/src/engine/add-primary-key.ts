import { MysqlError, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { columnDefinitions } from '../sql/column-definition.js';
import {
  backquoted,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  tableName,
  tokenize,
} from '../sql/lexer.js';
import type { EngineContext, Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';
import { rebuildTable } from './table-rebuild.js';
import { alteredTable, tableSchema } from './table-text.js';
import { referencingTable } from './truncate-drop.js';

/** Whether `tokens[i…]` (after `ALTER TABLE [db.]t`) is `ADD [CONSTRAINT [c]] PRIMARY KEY`. */
export function isPrimaryKeyAdd(sql: string, tokens: readonly Token[], i: number): boolean {
  if (keyword(sql, tokens[i]) !== 'ADD') return false;
  let j = i + 1;
  if (keyword(sql, tokens[j]) === 'CONSTRAINT') j += keyword(sql, tokens[j + 1]) === 'PRIMARY' ? 1 : 2;
  return keyword(sql, tokens[j]) === 'PRIMARY' && keyword(sql, tokens[j + 1]) === 'KEY';
}

const INDEX_TYPES = new Set(['BTREE', 'HASH']);

/**
 * `ALTER TABLE t ADD [CONSTRAINT [c]] PRIMARY KEY [USING BTREE|HASH] (cols) [USING BTREE|HASH]`.
 * SQLite cannot give a table a primary key but in its CREATE TABLE, and a key is how rows are
 * stored (an index of its own, or the rowid), so the table is made again: a copy with the key and
 * the rows, the old one dropped, the copy renamed, its indexes and triggers made again — all or
 * none. Checked first as MariaDB checks: 1068 for a table with a primary key, 1072 for a column
 * it lacks, 1265 for a NULL in a key column (which becomes NOT NULL), 1062 for rows the key would
 * make duplicates; 1347 for a view. A table other tables' foreign keys reference is refused (1235):
 * dropping it would run their ON DELETE actions on its rows.
 */
export function addPrimaryKey(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const db = ctx.database;
  const resolution = ctx.resolution(session);
  refuseView(ctx, session, sql, tokens, from, resolution.isTemporary);
  const table = alteredTable(
    db,
    session,
    sql,
    tokens,
    from,
    resolution.isTemporary,
    'ALTER TABLE … ADD PRIMARY KEY of a temporary table',
  );
  const key = keyColumns(sql, tokens, table.next, to);
  const { schema } = table;
  const q = quoteIdentifier(schema);
  const data = `${q}.${quoteIdentifier(table.name)}`;
  const info = db.db.prepare('SELECT name, pk FROM pragma_table_info(?, ?)').all(table.name, schema) as {
    name: string;
    pk: number;
  }[];
  if (info.some((c) => c.pk > 0)) throw new MysqlError(1068, 'Multiple primary key defined', '42000');
  const columns = columnDefinitions(table.sql);
  const keyed = key.map(({ name, order }) => {
    const column = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (column === undefined)
      throw new MysqlError(1072, `Key column '${name}' doesn't exist in table`, '42000');
    return { column, order };
  });
  if (columns.some((c) => c.clauses.some((k) => k.kind === 'generated')))
    throw notSupported('ALTER TABLE … ADD PRIMARY KEY of a table with generated columns');
  // The table itself counts: the copy's own REFERENCES name the old table, so dropping that one
  // would run the copy's ON DELETE actions (CASCADE emptied a self-referencing tree).
  if (referencingTable(db, schema, table.name, true) !== undefined)
    throw notSupported("ALTER TABLE … ADD PRIMARY KEY of a table other tables' foreign keys reference");
  const names = keyed.map(({ column }) => quoteIdentifier(column.name));
  // MariaDB reads the rows in order; the first with a NULL in the key is the one it names.
  const firstNull = `COALESCE(${names.map((n, k) => `CASE WHEN ${n} IS NULL THEN ${k} END`).join(', ')}, NULL)`;
  const nulls = db.db
    .prepare(
      `SELECT n, c FROM (SELECT ROW_NUMBER() OVER () AS n, ${firstNull} AS c FROM ${data}) WHERE c IS NOT NULL LIMIT 1`,
    )
    .get() as { n: number | bigint; c: number | bigint } | undefined;
  if (nulls !== undefined)
    throw new MysqlError(
      1265,
      `Data truncated for column '${keyed[Number(nulls.c)]!.column.name}' at row ${nulls.n}`,
      '01000',
    );
  const duplicate = db.db
    .prepare(
      `SELECT ${names.join(', ')} FROM ${data} GROUP BY ${names.join(', ')} HAVING COUNT(*) > 1 LIMIT 1`,
    )
    .get() as Record<string, unknown> | undefined;
  if (duplicate !== undefined)
    throw new MysqlError(
      1062,
      `Duplicate entry '${Object.values(duplicate).map(String).join('-')}' for key 'PRIMARY'`,
      '23000',
    );
  // The CREATE TABLE made again with the key, its columns NOT NULL as MariaDB makes them — but a
  // lone INTEGER column, which becomes the rowid and numbers a NULL, as in a CREATE TABLE here.
  const rowid = keyed.length === 1 && keyed[0]!.column.type.toUpperCase() === 'INTEGER';
  let text = table.sql;
  const sqliteTokens = tokenize(text, false);
  const close = [...sqliteTokens].reverse().find((t) => isPunct(text, t, ')'))!;
  const constraint = `, PRIMARY KEY (${keyed.map(({ column, order }) => `${backquoted(column.name)}${order}`).join(', ')})`;
  text = `${text.slice(0, close.start)}${constraint}${text.slice(close.start)}`;
  const notNull = rowid
    ? []
    : keyed
        .map(({ column }) => column)
        .filter((c) => !c.clauses.some((k) => k.kind === 'not-null'))
        .sort((a, b) => b.end - a.end);
  for (const c of notNull) text = `${text.slice(0, c.end)} NOT NULL${text.slice(c.end)}`;
  rebuildTable(ctx, session, schema, table.name, text);
  return { kind: 'ok', affectedRows: 0, lastInsertId: 0n, info: 'Records: 0  Duplicates: 0  Warnings: 0' };
}

/** 1347 when the ALTER TABLE at `tokens[from]` names a view (not the session's temporary table). */
function refuseView(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  isTemporary: (name: string) => boolean,
): void {
  const named = tableName(sql, tokens, from + 2);
  if (named === undefined || (named.table.schema === undefined && isTemporary(named.table.name))) return;
  const schema = tableSchema(ctx.database, session, named.table, false);
  const view = ctx.database.db
    .prepare(
      `SELECT 1 FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'view' AND name = ? COLLATE NOCASE`,
    )
    .get(named.table.name);
  if (view !== undefined)
    throw new MysqlError(
      1347,
      `'${named.table.schema ?? session.schema}.${named.table.name}' is not of type 'BASE TABLE'`,
      'HY000',
    );
}

/**
 * The key's columns of `ADD [CONSTRAINT [c]] PRIMARY KEY [USING t] (a [ASC|DESC], …) [USING t]` at
 * `tokens[i]`, each with its order (' ASC', ' DESC' or ''); the index type means nothing to
 * SQLite. 1235 for another change after it, 1064 for anything else.
 */
function keyColumns(
  sql: string,
  tokens: readonly Token[],
  i: number,
  to: number,
): { name: string; order: string }[] {
  const syntax = new MysqlError(
    1064,
    'You have an error in your SQL syntax: ALTER TABLE t ADD [CONSTRAINT [c]] PRIMARY KEY [USING BTREE|HASH] (<column>, …)',
    '42000',
  );
  i++;
  if (keyword(sql, tokens[i]) === 'CONSTRAINT') i += keyword(sql, tokens[i + 1]) === 'PRIMARY' ? 1 : 2;
  i += 2;
  const using = () => {
    if (keyword(sql, tokens[i]) !== 'USING') return;
    if (!INDEX_TYPES.has(keyword(sql, tokens[i + 1]))) throw syntax;
    i += 2;
  };
  using();
  if (!isPunct(sql, tokens[i], '(')) throw syntax;
  const columns: { name: string; order: string }[] = [];
  for (;;) {
    i++;
    if (!isName(tokens[i])) throw syntax;
    const name = identifierValue(sql, tokens[i++]!);
    // A prefix length (`name(10)`): SQLite keys whole values.
    if (isPunct(sql, tokens[i], '(') && isPunct(sql, tokens[i + 2], ')')) i += 3;
    const order = keyword(sql, tokens[i]);
    columns.push({ name, order: order === 'ASC' || order === 'DESC' ? ` ${order}` : '' });
    if (order === 'ASC' || order === 'DESC') i++;
    if (isPunct(sql, tokens[i], ')')) break;
    if (!isPunct(sql, tokens[i], ',')) throw syntax;
  }
  i++;
  using();
  if (i < to && isPunct(sql, tokens[i], ',')) throw notSupported('several changes in one ALTER TABLE');
  if (i < to) throw syntax;
  return columns;
}
