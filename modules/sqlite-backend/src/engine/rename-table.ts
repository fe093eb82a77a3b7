import type { DatabaseSync } from 'node:sqlite';
import { MysqlError, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { createIndexText, indexTail, mysqlIndexName, sqliteIndexName } from '../sql/index-ddl.js';
import { isPunct, keyword, type TableName, type Token, TokenType, tableName } from '../sql/lexer.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';
import { tableSchema } from './table-text.js';

/**
 * `RENAME TABLE a TO b [, c TO d]…`, or `ALTER TABLE a RENAME [TO | AS] b`, `tokens[from, to)`:
 * SQLite renames one table per ALTER TABLE … RENAME TO, so each pair is one, in order (`a TO tmp,
 * b TO a, tmp TO b` swaps), all or none as in MariaDB. A table stays in its database (SQLite
 * cannot move one), and a view cannot be renamed (SQLite alters no view): both 1235. The table's
 * indexes are named after it anew ({@link remakeIndexes}).
 */
export function renameTables(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const alter = keyword(sql, tokens[from]) === 'ALTER' ? alterRename(sql, tokens, from) : undefined;
  const pairs: [TableName, TableName][] = [];
  let i = from + 2;
  if (alter !== undefined) {
    pairs.push([alter.old, alter.renamed]);
    i = alter.next;
  } else
    for (;;) {
      const old = tableName(sql, tokens, i);
      const renamed = old === undefined ? undefined : tableName(sql, tokens, old.next + 1);
      if (old === undefined || renamed === undefined || keyword(sql, tokens[old.next]) !== 'TO')
        throw new MysqlError(
          1064,
          'You have an error in your SQL syntax: RENAME TABLE <name> TO <name> [, <name> TO <name>]…',
        );
      pairs.push([old.table, renamed.table]);
      i = renamed.next;
      if (!isPunct(sql, tokens[i], ',')) break;
      i++;
    }
  if (i < to && tokens[i]!.type !== TokenType.Semicolon)
    throw new MysqlError(1064, `You have an error in your SQL syntax near '${sql.slice(tokens[i]!.start)}'`);
  const db = ctx.database;
  const resolution = ctx.resolution(session);
  const schemaOf = (named: TableName): string =>
    tableSchema(db, session, named, named.schema === undefined && resolution.isTemporary(named.name));
  ctx.atomically(session, () => {
    for (const [old, renamed] of pairs) {
      const schema = schemaOf(old);
      const type = (name: string) =>
        (
          db.db
            .prepare(
              `SELECT type FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
            )
            .get(name) as { type: string } | undefined
        )?.type;
      const shown = schema === 'temp' ? (session.schema ?? 'main') : schema;
      const found = type(old.name);
      if (found === undefined) throw new MysqlError(1146, `Table '${shown}.${old.name}' doesn't exist`);
      if (found === 'view') throw notSupported('RENAME TABLE of a view');
      if (renamed.schema !== undefined && schema !== 'temp' && schemaOf(renamed) !== schema)
        throw notSupported('RENAME TABLE into another database');
      if (type(renamed.name) !== undefined)
        throw new MysqlError(1050, `Table '${renamed.name}' already exists`);
      db.db.exec(
        `ALTER TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(old.name)} RENAME TO ${quoteIdentifier(renamed.name)}`,
      );
      // A later table of the old name would otherwise find its indexes' names taken.
      remakeIndexes(db.db, schema, renamed.name, old.name, schema, renamed.name, true);
    }
  });
  return OK;
}

/**
 * `ALTER TABLE a RENAME [TO | AS] b` at `tokens[from]`, MySQL's other way to rename a table, or
 * undefined for any other ALTER — SQLite's `RENAME [COLUMN] x TO y` and MySQL's `RENAME
 * {INDEX | KEY} x TO y` included.
 */
export function alterRename(
  sql: string,
  tokens: readonly Token[],
  from: number,
): { old: TableName; renamed: TableName; next: number } | undefined {
  if (keyword(sql, tokens[from]) !== 'ALTER' || keyword(sql, tokens[from + 1]) !== 'TABLE') return undefined;
  const old = tableName(sql, tokens, from + 2);
  if (old === undefined || keyword(sql, tokens[old.next]) !== 'RENAME') return undefined;
  let i = old.next + 1;
  const k = keyword(sql, tokens[i]);
  if (k === 'TO' || k === 'AS') i++;
  else if (k === 'COLUMN' || k === 'INDEX' || k === 'KEY') return undefined;
  const renamed = tableName(sql, tokens, i);
  if (renamed === undefined) return undefined;
  const end = tokens[renamed.next];
  if (end !== undefined && end.type !== TokenType.Semicolon) return undefined;
  return { old: old.table, renamed: renamed.table, next: renamed.next };
}

/**
 * Makes the indexes stored for table `table` of `schema` (its CREATE INDEXes, not the keys in its
 * own text) again from their stored text, as indexes of table `into` in schema `intoSchema`, each
 * named after it ({@link sqliteIndexName}) under its MySQL name ({@link mysqlIndexName}; `named`
 * is the table name the indexes were made under). Without IF NOT EXISTS: a name already taken (an
 * older build's rename left indexes under their table's old name) fails the statement (1061)
 * rather than the index, a UNIQUE key maybe, being silently not made. With `moved` (a rename:
 * `table` and `into` are the renamed table, `named` its old name) only the indexes named after
 * the old name are made again, each dropped first (SQLite has no RENAME INDEX); those named
 * otherwise (SQLite's own CREATE INDEX) keep their names.
 */
export function remakeIndexes(
  db: DatabaseSync,
  schema: string,
  table: string,
  named: string,
  intoSchema: string,
  into: string,
  moved: boolean,
): void {
  const q = quoteIdentifier(schema);
  const indexes = db
    .prepare(
      `SELECT name, sql FROM ${q}.sqlite_schema WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL`,
    )
    .all(table) as { name: string; sql: string }[];
  const prefix = sqliteIndexName(named, '').toLowerCase();
  for (const index of indexes) {
    const on = indexTail(index.sql);
    if (on === undefined) continue;
    if (moved) {
      if (!index.name.toLowerCase().startsWith(prefix)) continue;
      db.exec(`DROP INDEX ${q}.${quoteIdentifier(index.name)}`);
    }
    db.exec(createIndexText(intoSchema, into, mysqlIndexName(index.name, named), on.unique, on.tail, false));
  }
}
