import { MysqlError } from '../errors.js';
import { isPunct, tokenize } from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { quoteIdentifier } from './show-statement.js';

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
