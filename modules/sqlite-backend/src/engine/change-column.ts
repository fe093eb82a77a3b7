import { MysqlError, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { type ColumnClause, columnDefinitions } from '../sql/column-definition.js';
import { isStoredEnum } from '../sql/enum-columns.js';
import { createIndexText } from '../sql/index-ddl.js';
import { backquoted, identifierValue, isName, keyword, type Token, TokenType } from '../sql/lexer.js';
import { onUpdateMarkerIn, withoutLeadingMarker } from '../sql/on-update.js';
import type { SharedDatabase } from './database.js';
import { OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';
import { alteredTable, editTableText, sqliteColumn, storedColumn } from './table-text.js';

/** Whether `tokens[i…]` (after `ALTER TABLE [db.]t`) is a MODIFY or CHANGE of a column. */
export function isColumnChange(sql: string, tokens: readonly Token[], i: number): boolean {
  const k = keyword(sql, tokens[i]);
  return k === 'MODIFY' || k === 'CHANGE';
}

/**
 * `ALTER TABLE t MODIFY [COLUMN] c <definition>` and `CHANGE [COLUMN] old new <definition>`, as
 * ORMs send them to bring a column in line (Sequelize's `sync({ alter })`, TypeORM's
 * `synchronize`). SQLite cannot alter a column; what changes nothing of how rows are stored — the
 * declared type, NULL / NOT NULL, the DEFAULT, the collation — is written into the table's stored
 * definition, as SQLite documents for such changes, and a new name goes through SQLite's own
 * RENAME COLUMN. NOT NULL is checked against the rows first (1138), a new UNIQUE becomes an index
 * (1062 for rows that break it). A primary-key column keeps its definition (a rowid's type is how
 * rows are stored); moving a column, or giving it a CHECK, a foreign key or a generated value,
 * is refused (1235).
 */
export function changeColumn(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  isTemporary: (name: string) => boolean,
): Outcome {
  const table = alteredTable(
    db,
    session,
    sql,
    tokens,
    from,
    isTemporary,
    'changing a column of a temporary table',
  );
  const { schema } = table;
  const q = quoteIdentifier(schema);
  let i = table.next;
  const change = keyword(sql, tokens[i++]) === 'CHANGE';
  if (keyword(sql, tokens[i]) === 'COLUMN') i++;
  if (!isName(tokens[i])) throw syntax();
  const oldName = identifierValue(sql, tokens[i++]!);
  let newName = oldName;
  if (change) {
    if (!isName(tokens[i])) throw syntax();
    newName = identifierValue(sql, tokens[i++]!);
  }
  let end = i;
  while (end < to && tokens[end]!.type !== TokenType.Semicolon) end++;
  const last = keyword(sql, tokens[end - 1]);
  if (keyword(sql, tokens[end - 2]) === 'AFTER' || last === 'FIRST')
    throw notSupported('moving a column (FIRST / AFTER)');
  const current = storedColumn(table, oldName);
  if (current.clauses.some((c) => c.kind === 'generated')) throw notSupported('changing a generated column');
  // The new definition in SQLite's words, as CREATE TABLE would have it.
  const definition = sql.slice(tokens[i]?.start ?? 0, tokens[end - 1]?.end ?? 0);
  const next = sqliteColumn(newName, definition);
  if (next === undefined) throw syntax();
  // An ENUM's members are its CHECK (enum-columns.ts): a new ENUM (Sequelize's sync({ alter })
  // sends its ENUM columns' CHANGE at every start) replaces the old one's, the rows checked
  // against the new members (1265). Into another type the old CHECK would stay, and refuse what
  // the new type takes.
  const enumCheck = (c: ColumnClause) => c.kind === 'check' && isStoredEnum([c]);
  const newEnum = next.clauses.filter(enumCheck);
  if (isStoredEnum(current.clauses) && newEnum.length === 0)
    throw notSupported('changing an ENUM column into another type');
  const refused = next.clauses.find(
    (c) => (c.kind === 'check' && !enumCheck(c)) || c.kind === 'references' || c.kind === 'generated',
  );
  if (refused !== undefined)
    throw notSupported(
      `giving a column ${refused.kind === 'check' ? 'a CHECK' : refused.kind === 'references' ? 'a foreign key' : 'a generated value'} with ALTER TABLE … ${change ? 'CHANGE' : 'MODIFY'}`,
    );
  // Part of the primary key — inline, table-level or WITHOUT ROWID: its type is how rows are
  // stored (a rowid, or the key's order), so its definition stays.
  const info = db.db.prepare('SELECT name, pk FROM pragma_table_info(?, ?)').all(table.name, schema) as {
    name: string;
    pk: number;
  }[];
  const keyed = info.some((c) => c.pk > 0 && c.name.toLowerCase() === current.name.toLowerCase());
  const makesKey = next.clauses.some((c) => c.kind === 'primary');
  if (makesKey && !keyed) throw notSupported('making a column the primary key with ALTER TABLE');
  const of = (list: ColumnClause[], kinds: ColumnClause['kind'][]) =>
    list.filter((c) => kinds.includes(c.kind));
  const data = `${q}.${quoteIdentifier(table.name)}`;
  const hasValues = () =>
    db.db
      .prepare(`SELECT 1 FROM ${data} WHERE ${quoteIdentifier(current.name)} IS NOT NULL LIMIT 1`)
      .get() !== undefined;
  // Stored values keep the type they were stored with: a type of another affinity (or another
  // STRICT type) over values already there would leave them unlike the column's new ones.
  const strict = /\bSTRICT\s*$/i.test(table.sql.slice(table.sql.lastIndexOf(')')));
  // An ENUM's values are text (its stored type, a quoted name, reads as none here).
  const currentType = isStoredEnum(current.clauses) ? 'TEXT' : current.type;
  if (
    !keyed &&
    (strict
      ? currentType.toUpperCase() !== next.type.toUpperCase()
      : affinity(currentType) !== affinity(next.type)) &&
    hasValues()
  )
    throw notSupported(
      `changing the type of a column that holds values from ${current.type || 'none'} to ${next.type || 'none'}`,
    );
  // An index, a CHECK or a partial index's WHERE compares by the column's collation: a new one
  // (only BINARY, NOCASE and RTRIM reach SQLite; MySQL's are dropped, keeping the column's) would
  // leave them out of order.
  const collation = (list: ColumnClause[]) =>
    list
      .filter((c) => c.kind === 'collate')
      .map((c) => c.text.toUpperCase().replace(/\s+/g, ' '))
      .join();
  const newCollation = next.clauses.some((c) => c.kind === 'collate');
  if (
    !keyed &&
    newCollation &&
    collation(current.clauses) !== collation(next.clauses) &&
    (hasIndexes(db, schema, table.name) || /\bCHECK\b/i.test(table.sql))
  )
    throw notSupported('changing the collation of a column of a table with indexes or checks');
  const taken = keyed
    ? of(current.clauses, ['not-null', 'default', 'collate'])
    : [
        ...of(next.clauses, ['not-null', 'default']),
        ...of(newCollation ? next.clauses : current.clauses, ['collate']),
      ];
  const type = keyed ? current.type : next.type;
  const addsNotNull =
    !keyed && taken.some((c) => c.kind === 'not-null') && !current.clauses.some((c) => c.kind === 'not-null');
  const wantsUnique = !keyed && next.clauses.some((c) => c.kind === 'unique');
  editTableText(
    db,
    schema,
    table.name,
    (edit) => {
      if (newName !== oldName)
        edit.exec(
          `ALTER TABLE ${q}.${quoteIdentifier(table.name)} RENAME COLUMN ${quoteIdentifier(current.name)} TO ${quoteIdentifier(newName)}`,
        );
      const now = table.reread();
      const column = columnDefinitions(now.sql).find((c) => c.name.toLowerCase() === newName.toLowerCase())!;
      // Kept from the column as it reads now (a rename has rewritten its references): its key,
      // uniqueness, checks and foreign key; taken from the new definition: the rest.
      const kept = of(column.clauses, ['primary', 'unique', 'check', 'references']).filter(
        (c) => newEnum.length === 0 || !enumCheck(c),
      );
      // ON UPDATE CURRENT_TIMESTAMP as the new definition has it, or not (see on-update.ts).
      const stamp = onUpdateMarkerIn(sql, tokens, i, end);
      const text = [
        backquoted(newName),
        type,
        ...kept.map((c) => c.text),
        ...newEnum.map((c) => c.text),
        ...taken.map((c) => c.text),
        stamp,
      ]
        .filter((part) => part !== '')
        .join(' ');
      if (addsNotNull) {
        const nulls = edit.get(
          `SELECT 1 FROM ${q}.${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(newName)} IS NULL LIMIT 1`,
        );
        if (nulls) throw new MysqlError(1138, 'Invalid use of NULL value', '22004');
      }
      return now.sql.slice(0, column.start) + text + withoutLeadingMarker(now.sql.slice(column.end));
    },
    (edit) => {
      // SQLite checks no row against a CHECK written into the table's text: a value that is no
      // new member is 1265 (enumMember throws it), undoing all.
      for (const c of newEnum)
        edit.get(`SELECT 1 FROM ${data} WHERE NOT ${c.text.replace(/^CHECK\s*/i, '')} LIMIT 1`);
      // A UNIQUE the column does not have yet: its index (1062 if the rows break it, undoing all).
      if (wantsUnique && !hasUniqueIndex(db, schema, table.name, newName))
        edit.exec(createIndexText(schema, table.name, newName, true, `(${backquoted(newName)})`));
    },
  );
  return OK;

  function syntax(): MysqlError {
    return new MysqlError(
      1064,
      `You have an error in your SQL syntax: ALTER TABLE t ${change ? 'CHANGE [COLUMN] old new' : 'MODIFY [COLUMN] c'} <definition>`,
      '42000',
    );
  }
}

/** Whether a unique index of `table` covers exactly `column`. */
function hasUniqueIndex(db: SharedDatabase, schema: string, table: string, column: string): boolean {
  const indexes = db.db
    .prepare('SELECT name, "unique" AS u FROM pragma_index_list(?, ?)')
    .all(table, schema) as {
    name: string;
    u: number;
  }[];
  return indexes.some((ix) => {
    if (!ix.u) return false;
    const columns = db.db.prepare('SELECT name FROM pragma_index_info(?, ?)').all(ix.name, schema) as {
      name: string;
    }[];
    return columns.length === 1 && columns[0]!.name.toLowerCase() === column.toLowerCase();
  });
}

/** Whether `table` has any index (its own key's included). */
function hasIndexes(db: SharedDatabase, schema: string, table: string): boolean {
  return db.db.prepare('SELECT 1 FROM pragma_index_list(?, ?) LIMIT 1').get(table, schema) !== undefined;
}

/** SQLite's affinity of a declared type (its documented rules, in order). */
function affinity(type: string): string {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}
