import { MysqlError, noDatabaseSelected, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { type ColumnDefinition, columnDefinitions, readColumn } from '../sql/column-definition.js';
import {
  backquoted,
  isPunct,
  type TableName,
  type Token,
  TokenType,
  tableName,
  tokenize,
} from '../sql/lexer.js';
import { rewrite } from '../sql/rewrite.js';
import type { SharedDatabase } from './database.js';
import { quoteIdentifier } from './show-statement.js';

/** A permanent table an ALTER TABLE names, as it is stored. */
export interface AlteredTable {
  schema: string;
  /** Its name as stored, and its CREATE TABLE text. */
  name: string;
  sql: string;
  /** The token after the table's name in the ALTER. */
  next: number;
  /** The table's row of the catalog read again (after a change made in the same edit). */
  reread(): { name: string; sql: string };
}

/**
 * The table `ALTER TABLE [db.]t` at `tokens[from]` names: 1046 without a database, 1049 for an
 * unknown one, 1146 for a missing table; a session's temporary table of the name (which hides
 * the permanent one) is refused with 1235, as `what` it cannot have done.
 */
export function alteredTable(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  isTemporary: (name: string) => boolean,
  what: string,
): AlteredTable {
  const named = tableName(sql, tokens, from + 2)!;
  if (named.table.schema === undefined && isTemporary(named.table.name)) throw notSupported(what);
  const schema = tableSchema(db, session, named.table, false);
  const lookup = () =>
    db.db
      .prepare(
        `SELECT name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
      )
      .get(named.table.name) as { name: string; sql: string } | undefined;
  const row = lookup();
  if (row === undefined) throw new MysqlError(1146, `Table '${schema}.${named.table.name}' doesn't exist`);
  return { schema, name: row.name, sql: row.sql, next: named.next, reread: () => lookup()! };
}

/**
 * The SQLite schema table `named` is in: 'temp' for a `temporary` one, else the database it names
 * or the session's — 1046 without one, 1049 for an unknown one.
 */
export function tableSchema(
  db: SharedDatabase,
  session: Session,
  named: TableName,
  temporary: boolean,
): string {
  if (temporary) return 'temp';
  const wanted = named.schema ?? session.schema;
  if (wanted === null) throw noDatabaseSelected();
  const schema = db.findSchema(wanted);
  if (schema === undefined) throw new MysqlError(1049, `Unknown database '${wanted}'`);
  return schema;
}

/** Column `name` of a table's stored CREATE TABLE text (`table.sql`); 1054 when it has none. */
export function storedColumn(table: { name: string; sql: string }, name: string): ColumnDefinition {
  const column = columnDefinitions(table.sql).find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (column === undefined)
    throw new MysqlError(1054, `Unknown column '${name}' in '${table.name}'`, '42S22');
  return column;
}

/**
 * Column definition `definition` (MySQL's text after the column's name) for column `name`, read in
 * SQLite's words as a CREATE TABLE would store it; undefined when it reads as no column.
 */
export function sqliteColumn(name: string, definition: string): ColumnDefinition | undefined {
  const wrapped = `CREATE TABLE x (${backquoted(name)} ${definition})`;
  const translated = rewrite(wrapped, tokenize(wrapped)).text;
  const sqliteTokens = tokenize(translated, false);
  const open = sqliteTokens.findIndex((t) => isPunct(translated, t, '('));
  const column = readColumn(translated, sqliteTokens, open + 1, sqliteTokens.length - 1);
  // An ENUM's type is a quoted name (enum-columns.ts), which readColumn takes for none.
  const declared = sqliteTokens[open + 2];
  if (column !== undefined && column.type === '' && declared?.type === TokenType.QuotedId)
    column.type = translated.slice(declared.start, declared.end);
  return column;
}

/** What an edit may do inside its savepoint before the table's text is written. */
export interface TableEdit {
  exec(sql: string): void;
  /** The first row of `sql`, or undefined. */
  get(sql: string): unknown;
}

/**
 * Writes a new CREATE TABLE text for `table` into `schema`'s catalog and reloads the schema, for
 * changes that leave how rows are stored alone (constraints, a column's declared type, NULL,
 * DEFAULT — SQLite documents this use of `writable_schema`). All of it runs in a savepoint:
 * `text` (or what `compute` returns, having run what it needs first) is parsed by SQLite under a
 * scratch name before it is written, so a text SQLite cannot read never reaches the catalog, and
 * `check`, run once the table has its new definition, may throw to undo everything.
 */
export function editTableText(
  db: SharedDatabase,
  schema: string,
  table: string,
  compute: string | ((edit: TableEdit) => string),
  check?: (edit: TableEdit) => void,
): void {
  const d = db.db;
  const q = quoteIdentifier(schema);
  const edit: TableEdit = {
    exec: (sql) => d.exec(sql),
    get: (sql) => d.prepare(sql).get(),
  };
  d.exec('SAVEPOINT scalestack_table_text');
  try {
    const text = typeof compute === 'string' ? compute : compute(edit);
    const open = tokenize(text, false).find((t) => isPunct(text, t, '('));
    if (open === undefined) throw new MysqlError(1105, 'Proxy: a table definition without columns', 'HY000');
    // Prepared, never run: SQLite parses the whole definition.
    d.prepare(`CREATE TABLE temp."scalestack_check_${process.pid}" ${text.slice(open.start)}`);
    const version = (d.prepare(`PRAGMA ${q}.schema_version`).get() as { schema_version: number })
      .schema_version;
    d.enableDefensive(false);
    try {
      d.exec('PRAGMA writable_schema = ON');
      d.prepare(`UPDATE ${q}.sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?`).run(text, table);
      d.exec(`PRAGMA ${q}.schema_version = ${Number(version) + 1}`);
    } finally {
      d.exec('PRAGMA writable_schema = OFF');
      d.enableDefensive(true);
    }
    // A statement that reads the table makes SQLite load the changed schema.
    d.prepare(`SELECT 1 FROM ${q}.${quoteIdentifier(table)} LIMIT 0`).all();
    check?.(edit);
    d.exec('RELEASE scalestack_table_text');
  } catch (e) {
    d.exec('ROLLBACK TO scalestack_table_text');
    d.exec('RELEASE scalestack_table_text');
    throw e;
  }
  db.schemaChanged();
}
