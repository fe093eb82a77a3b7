import type { DatabaseSync } from 'node:sqlite';
import { isPunct, keyword, type Token, tableName } from '../sql/lexer.js';
import { quoteIdentifier } from './show-statement.js';

/** The table a `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] t [AS] SELECT …` fills. */
export interface CreateSelect {
  /** As written (`temp` for TEMPORARY); undefined: the session's. */
  schema: string | undefined;
  table: string;
  ifNotExists: boolean;
}

const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES']);

/** `tokens[from…]` as a CREATE TABLE from a query, or undefined for any other statement. */
export function createSelect(sql: string, tokens: readonly Token[], from: number): CreateSelect | undefined {
  if (keyword(sql, tokens[from]) !== 'CREATE') return undefined;
  let i = from + 1;
  const k1 = keyword(sql, tokens[i]);
  const temporary = k1 === 'TEMPORARY' || k1 === 'TEMP';
  if (temporary) i++;
  if (keyword(sql, tokens[i++]) !== 'TABLE') return undefined;
  const ifNotExists = keyword(sql, tokens[i]) === 'IF';
  if (ifNotExists) i += 3;
  const named = tableName(sql, tokens, i);
  if (named === undefined) return undefined;
  i = named.next;
  if (keyword(sql, tokens[i]) === 'AS') i++;
  while (isPunct(sql, tokens[i], '(')) i++;
  if (!QUERY_STARTS.has(keyword(sql, tokens[i]))) return undefined;
  return { schema: temporary ? 'temp' : named.table.schema, table: named.table.name, ifNotExists };
}

/** The name table `name` is stored under in `schema` (names ignore case), or undefined. */
export function storedTable(db: DatabaseSync, schema: string, name: string): string | undefined {
  const found = db
    .prepare(
      `SELECT name FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
    )
    .get(name) as { name: string } | undefined;
  return found?.name;
}

/**
 * The rows of table `stored` in `schema`: SQLite counts no change for the rows a CREATE TABLE
 * … AS SELECT stores, and MariaDB reports them, so they are counted in the table.
 */
export function tableRows(db: DatabaseSync, schema: string, stored: string): bigint {
  const count = db.prepare(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(schema)}.${quoteIdentifier(stored)}`);
  count.setReadBigInts(true);
  return (count.get() as { n: bigint }).n;
}
