import type { Session } from '../session/session.js';
import { isPunct, keyword, tokenize } from '../sql/lexer.js';
import type { EngineContext } from './outcome.js';
import { autoIncrementCounter, quoteIdentifier } from './show-statement.js';
import { editTableText } from './table-text.js';
import { referencingTables } from './truncate-drop.js';

/**
 * Makes `schema`.`table` again from the CREATE TABLE `text` (SQLite's words), for a change SQLite's
 * ALTER TABLE cannot make (a primary key, a column's place): a copy with the rows, the old table
 * dropped, the copy renamed, its indexes and triggers made again — all or none. `columns`, the
 * old table's in its order, are copied by name (the new text may order them otherwise); without
 * them the rows are copied as they are. The AUTO_INCREMENT counter is kept (DROP TABLE forgets
 * it), and other tables' foreign keys to the table keep referencing it, their ON DELETE actions
 * not run. The caller refuses what a copy would break: a table whose own foreign keys reference
 * it (the copy's would name the old one), generated columns (not to be copied into).
 */
export function rebuildTable(
  ctx: EngineContext,
  session: Session,
  schema: string,
  table: string,
  text: string,
  columns?: readonly string[],
): void {
  const db = ctx.database;
  const q = quoteIdentifier(schema);
  const data = `${q}.${quoteIdentifier(table)}`;
  const open = tokenize(text, false).find((t) => isPunct(text, t, '('))!;
  const scratch = `${q}.${quoteIdentifier(`scalestack_rebuild_${process.pid}`)}`;
  const dependents = db.db
    .prepare(
      `SELECT sql FROM ${q}.sqlite_schema WHERE type IN ('index', 'trigger') AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY type = 'trigger'`,
    )
    .all(table) as { sql: string }[];
  const named = columns?.map(quoteIdentifier).join(', ');
  // Other tables whose foreign keys reference this one, as they are defined now.
  const children = referencingTables(db, schema, table);
  const old = `scalestack_old_${process.pid}`;
  ctx.atomically(session, () => {
    const d = db.db;
    const sequence = autoIncrementCounter(db, schema, table);
    d.exec(`CREATE TABLE ${scratch} ${text.slice(open.start)}`);
    d.exec(
      named === undefined
        ? `INSERT INTO ${scratch} SELECT * FROM ${data}`
        : `INSERT INTO ${scratch} (${named}) SELECT ${named} FROM ${data}`,
    );
    // Views and triggers of other tables naming the table would make SQLite's checked rename
    // fail while it is gone; the legacy rename leaves them be, and they find the new one.
    d.exec('PRAGMA legacy_alter_table = ON');
    try {
      if (children.length === 0) d.exec(`DROP TABLE ${data}`);
      // DROP TABLE would delete the rows first, running the children's ON DELETE actions: the old
      // table is renamed out of the way instead (which points the children's REFERENCES at it),
      // the copy takes its name, the children get their own definitions back, and only then is
      // the old one, which nothing references any more, dropped.
      else d.exec(`ALTER TABLE ${data} RENAME TO ${quoteIdentifier(old)}`);
      d.exec(`ALTER TABLE ${scratch} RENAME TO ${quoteIdentifier(table)}`);
    } finally {
      d.exec('PRAGMA legacy_alter_table = OFF');
    }
    for (const child of children) editTableText(db, schema, child.name, child.sql);
    if (children.length > 0) d.exec(`DROP TABLE ${q}.${quoteIdentifier(old)}`);
    if (sequence !== undefined)
      d.prepare(`UPDATE ${q}.sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`).run(sequence, table);
    for (const { sql: made } of dependents) d.exec(inSchema(made, schema));
  });
}

/**
 * A stored `CREATE INDEX` / `CREATE TRIGGER` text with `schema` before the name it makes: SQLite
 * would otherwise make it where the unqualified table name first resolves (temp, then main).
 */
function inSchema(text: string, schema: string): string {
  const tokens = tokenize(text, false);
  let i = tokens.findIndex((t) => {
    const k = keyword(text, t);
    return k === 'INDEX' || k === 'TRIGGER';
  });
  if (i < 0) return text;
  i++;
  if (keyword(text, tokens[i]) === 'IF') i += 3;
  const name = tokens[i];
  if (name === undefined || isPunct(text, tokens[i + 1], '.')) return text;
  return `${text.slice(0, name.start)}${quoteIdentifier(schema)}.${text.slice(name.start)}`;
}
