import { MysqlError, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { foreignKeyClauses } from '../sql/foreign-key-clauses.js';
import {
  backquoted,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  tableName,
} from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { OK, type Outcome } from './outcome.js';
import { alteredTable, editTableText } from './table-text.js';

/** Whether `tokens[i…]` (after `ALTER TABLE [db.]t`) adds or drops a foreign key. */
export function isForeignKeyChange(sql: string, tokens: readonly Token[], i: number): boolean {
  const action = keyword(sql, tokens[i]);
  if (action === 'DROP')
    return keyword(sql, tokens[i + 1]) === 'FOREIGN' && keyword(sql, tokens[i + 2]) === 'KEY';
  if (action !== 'ADD') return false;
  let j = i + 1;
  if (keyword(sql, tokens[j]) === 'CONSTRAINT') j += keyword(sql, tokens[j + 1]) === 'FOREIGN' ? 1 : 2;
  return keyword(sql, tokens[j]) === 'FOREIGN' && keyword(sql, tokens[j + 1]) === 'KEY';
}

/**
 * `ALTER TABLE t ADD [CONSTRAINT [c]] FOREIGN KEY [name] (cols) REFERENCES r (cols) [ON …]` and
 * `ALTER TABLE t DROP FOREIGN KEY c`. SQLite's ALTER TABLE cannot change constraints; a foreign
 * key, though, changes nothing of how rows are stored, so the table's stored CREATE TABLE text is
 * edited in place (SQLite documents this for CHECK, FOREIGN KEY and NOT NULL constraints) and the
 * schema reloaded. An added key is checked against the rows there: one without its parent row
 * undoes the change and answers 1452, as MySQL refuses it.
 */
export function alterForeignKey(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  isTemporary: (name: string) => boolean,
  checked: boolean,
): Outcome {
  const {
    schema,
    name: table,
    sql: createSql,
    next,
  } = alteredTable(db, session, sql, tokens, from, isTemporary, 'foreign keys on temporary tables');
  // Keys declared without a name get theirs written in, so that removing one never renumbers
  // the others (MySQL's names stay what they were).
  const text = withNamesWritten(createSql, table);
  const keys = foreignKeyClauses(text, table);
  const i = next;
  if (keyword(sql, tokens[i]) === 'DROP') {
    const symbol = tokens[i + 3];
    if (!isName(symbol) || !atEnd(tokens, i + 4, to))
      throw new MysqlError(
        1064,
        'You have an error in your SQL syntax: ALTER TABLE t DROP FOREIGN KEY <name>',
        '42000',
      );
    const name = identifierValue(sql, symbol);
    const key = keys.find((k) => k.name.toLowerCase() === name.toLowerCase());
    if (key === undefined)
      throw new MysqlError(1091, `Can't DROP FOREIGN KEY \`${name}\`; check that it exists`, '42000');
    if (!key.tableLevel || key.commaBefore < 0)
      throw notSupported("dropping a foreign key declared in its column's definition");
    editTableText(db, schema, table, text.slice(0, key.commaBefore) + text.slice(key.end));
    return OK;
  }
  const constraint = foreignKeyClause(sql, tokens, i + 1, to, schema, db, table, checked);
  const given = constraint.name;
  if (given !== undefined && keys.some((k) => k.name.toLowerCase() === given.toLowerCase()))
    // MariaDB names the key's index after it too, and answers for that: a duplicate key name.
    throw new MysqlError(1061, `Duplicate key name '${given}'`, '42000');
  // MySQL numbers a new unnamed key after the highest `<table>_ibfk_<n>` there is.
  const prefix = `${table.toLowerCase()}_ibfk_`;
  const numbers = keys.map((k) =>
    k.name.toLowerCase().startsWith(prefix) ? Number(/^\d+$/.exec(k.name.slice(prefix.length))?.[0] ?? 0) : 0,
  );
  const name = given ?? `${table}_ibfk_${Math.max(0, ...numbers) + 1}`;
  const close = text.lastIndexOf(')');
  const edited = `${text.slice(0, close)}, CONSTRAINT ${backquoted(name)} ${constraint.text}${text.slice(close)}`;
  // Under FOREIGN_KEY_CHECKS = 0 the rows are not checked, as in MySQL.
  editTableText(db, schema, table, edited, (edit) => {
    // The new key is the last declared: SQLite's id 0. Rows that break the others are not its.
    if (
      checked &&
      edit.get(
        `SELECT 1 FROM pragma_foreign_key_check(${sqlString(table)}, ${sqlString(schema)}) WHERE fkid = 0 LIMIT 1`,
      ) !== undefined
    )
      throw new MysqlError(1452, 'Cannot add or update a child row: a foreign key constraint fails', '23000');
  });
  return OK;
}

/** `createSql` with a `CONSTRAINT <MySQL's name>` written before each foreign key without one. */
function withNamesWritten(createSql: string, table: string): string {
  let out = createSql;
  for (const key of foreignKeyClauses(createSql, table).reverse()) {
    if (!key.named)
      out = `${out.slice(0, key.nameAt)}CONSTRAINT ${backquoted(key.name)} ${out.slice(key.nameAt)}`;
  }
  return out;
}

function atEnd(tokens: readonly Token[], i: number, to: number): boolean {
  return i >= to || tokens[i]!.type === TokenType.Semicolon;
}

/**
 * The `FOREIGN KEY (cols) REFERENCES r (cols) [ON DELETE|UPDATE …]` of an ADD to `table`, in
 * SQLite's words; its parent table and columns must exist (MariaDB's 1005 otherwise).
 */
function foreignKeyClause(
  sql: string,
  tokens: readonly Token[],
  i: number,
  to: number,
  schema: string,
  db: SharedDatabase,
  table: string,
  checked: boolean,
): { name: string | undefined; text: string } {
  const syntax = () =>
    new MysqlError(
      1064,
      'You have an error in your SQL syntax: ALTER TABLE t ADD [CONSTRAINT c] FOREIGN KEY (cols) REFERENCES r (cols)',
      '42000',
    );
  let name: string | undefined;
  if (keyword(sql, tokens[i]) === 'CONSTRAINT') {
    i++;
    if (keyword(sql, tokens[i]) !== 'FOREIGN') name = identifierValue(sql, tokens[i++]!);
  }
  i += 2; // FOREIGN KEY
  // MySQL's optional index name, which names the key too when no CONSTRAINT does.
  if (isName(tokens[i]) && !isPunct(sql, tokens[i], '(')) {
    name ??= identifierValue(sql, tokens[i]!);
    i++;
  }
  const columns = (at: number): { list: string; names: string[]; next: number } => {
    if (!isPunct(sql, tokens[at], '(')) throw syntax();
    const names: string[] = [];
    let j = at + 1;
    while (j < to && isName(tokens[j])) {
      names.push(identifierValue(sql, tokens[j]!));
      j++;
      if (isPunct(sql, tokens[j], ',')) j++;
    }
    if (names.length === 0 || !isPunct(sql, tokens[j], ')')) throw syntax();
    return { list: `(${names.map(backquoted).join(', ')})`, names, next: j + 1 };
  };
  const own = columns(i);
  if (keyword(sql, tokens[own.next]) !== 'REFERENCES') throw syntax();
  const parent = tableName(sql, tokens, own.next + 1);
  if (parent === undefined) throw syntax();
  if (parent.table.schema !== undefined && db.findSchema(parent.table.schema) !== schema)
    throw notSupported('a foreign key to a table of another database');
  const referenced = columns(parent.next);
  const parentColumns = (
    db.db.prepare('SELECT name FROM pragma_table_info(?, ?)').all(parent.table.name, schema) as {
      name: string;
    }[]
  ).map((r) => r.name.toLowerCase());
  const missing =
    parentColumns.length === 0 || referenced.names.some((c) => !parentColumns.includes(c.toLowerCase()));
  // Under FOREIGN_KEY_CHECKS = 0 MySQL takes a key to a table made later (dumps do this).
  if (checked && missing)
    throw new MysqlError(
      1005,
      `Can't create table \`${schema}\`.\`${table}\` (errno: 150 "Foreign key constraint is incorrectly formed")`,
      'HY000',
    );
  // ON DELETE / ON UPDATE actions read the same in SQLite.
  let j = referenced.next;
  const actions: string[] = [];
  while (!atEnd(tokens, j, to)) {
    const t = tokens[j]!;
    if (t.type !== TokenType.Word) throw syntax();
    actions.push(keyword(sql, t));
    j++;
  }
  const text = `FOREIGN KEY ${own.list} REFERENCES ${backquoted(parent.table.name)} ${referenced.list}${actions.length > 0 ? ` ${actions.join(' ')}` : ''}`;
  return { name, text };
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
