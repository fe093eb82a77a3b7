import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { columnDefinitions } from '../sql/column-definition.js';
import { foreignKeyClauses } from '../sql/foreign-key-clauses.js';
import {
  isPunct,
  keyword,
  type TableName,
  type Token,
  TokenType,
  tableName,
  tokenize,
} from '../sql/lexer.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { remakeIndexes } from './rename-table.js';
import { quoteIdentifier } from './show-statement.js';
import { tableSchema } from './table-text.js';

/** `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t LIKE src`, read. */
interface CreateLike {
  temporary: boolean;
  ifNotExists: boolean;
  target: TableName;
  source: TableName;
}

/**
 * `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t LIKE src` (or `(LIKE src)`) at `tokens[i]`, or
 * undefined for any other statement.
 */
export function createLike(sql: string, tokens: readonly Token[], i: number): CreateLike | undefined {
  if (keyword(sql, tokens[i]) !== 'CREATE') return undefined;
  let k = i + 1;
  const temporary = ['TEMPORARY', 'TEMP'].includes(keyword(sql, tokens[k]));
  if (temporary) k++;
  if (keyword(sql, tokens[k++]) !== 'TABLE') return undefined;
  const ifNotExists = keyword(sql, tokens[k]) === 'IF';
  if (ifNotExists) k += 3;
  const target = tableName(sql, tokens, k);
  if (target === undefined) return undefined;
  k = target.next;
  const parenthesised = isPunct(sql, tokens[k], '(');
  if (parenthesised) k++;
  if (keyword(sql, tokens[k]) !== 'LIKE') return undefined;
  const source = tableName(sql, tokens, k + 1);
  if (source === undefined) return undefined;
  k = source.next;
  if (parenthesised && !isPunct(sql, tokens[k++], ')')) return undefined;
  if (k < tokens.length && tokens[k]!.type !== TokenType.Semicolon) return undefined;
  return { temporary, ifNotExists, target: target.table, source: source.table };
}

/**
 * Makes the empty copy MariaDB's `CREATE TABLE … LIKE` makes: the source's columns with their
 * types, defaults and checks, its keys and its indexes, under the new name — not its foreign
 * keys, nor its rows or AUTO_INCREMENT counter. SQLite keeps the source's definition as text,
 * so the copy is that text under the new name, and each of its indexes made again for the copy.
 */
export function runCreateLike(ctx: EngineContext, session: Session, like: CreateLike): Outcome {
  const db = ctx.database;
  const resolution = ctx.resolution(session);
  const inSchema = (named: TableName, temporary: boolean): string =>
    tableSchema(
      db,
      session,
      named,
      temporary || (named.schema === undefined && resolution.isTemporary(named.name)),
    );
  const catalog = (schema: string, name: string) =>
    db.db
      .prepare(
        `SELECT type, name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
      )
      .get(name) as { type: string; name: string; sql: string } | undefined;
  const from = inSchema(like.source, false);
  const source = catalog(from, like.source.name);
  const written = `${from === 'temp' ? (session.schema ?? 'main') : from}.${like.source.name}`;
  if (source === undefined) throw new MysqlError(1146, `Table '${written}' doesn't exist`);
  if (source.type !== 'table') throw new MysqlError(1347, `'${written}' is not of type 'BASE TABLE'`);
  const to = inSchema(like.target, like.temporary);
  if (like.temporary) db.refuseOthersTemporary(session, { type: 'table', name: like.target.name });
  if (catalog(to, like.target.name) !== undefined) {
    if (like.ifNotExists) return OK;
    throw new MysqlError(1050, `Table '${like.target.name}' already exists`);
  }
  const table = `${quoteIdentifier(to)}.${quoteIdentifier(like.target.name)}`;
  const definition = withoutForeignKeys(source.sql, source.name);
  const open = tokenize(definition, false).find((t) => isPunct(definition, t, '('))!;
  ctx.atomically(session, () => {
    db.db.exec(`CREATE TABLE ${table} ${definition.slice(open.start)}`);
    remakeIndexes(db.db, from, source.name, source.name, to, like.target.name, false);
  });
  return OK;
}

/** Table `table`'s stored CREATE TABLE without its foreign keys, as MariaDB's LIKE leaves them out. */
function withoutForeignKeys(text: string, table: string): string {
  const cuts: [number, number][] = [];
  for (const key of foreignKeyClauses(text, table))
    if (key.tableLevel) cuts.push([key.commaBefore < 0 ? key.start : key.commaBefore, key.end]);
  for (const column of columnDefinitions(text))
    for (const clause of column.clauses)
      if (clause.kind === 'references') cuts.push([clause.start, clause.end]);
  let out = text;
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + out.slice(end);
  return out;
}
