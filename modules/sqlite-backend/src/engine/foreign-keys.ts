import { MysqlError, noDatabaseSelected, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import {
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  tableName,
  tokenize,
} from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';

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
): Outcome {
  const named = tableName(sql, tokens, from + 2)!;
  const wanted = named.table.schema ?? session.schema;
  if (wanted === null) throw noDatabaseSelected();
  const schema = db.findSchema(wanted);
  if (schema === undefined) throw new MysqlError(1049, `Unknown database '${wanted}'`);
  const table = named.table.name;
  const row = db.db
    .prepare(
      `SELECT name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
    )
    .get(table) as { name: string; sql: string } | undefined;
  if (row === undefined) throw new MysqlError(1146, `Table '${schema}.${table}' doesn't exist`);
  const i = named.next;
  if (keyword(sql, tokens[i]) === 'DROP') {
    const symbol = tokens[i + 3];
    if (!isName(symbol) || !atEnd(tokens, i + 4, to))
      throw new MysqlError(
        1064,
        'You have an error in your SQL syntax: ALTER TABLE t DROP FOREIGN KEY <name>',
        '42000',
      );
    const name = identifierValue(sql, symbol);
    const edited = withoutConstraint(row.sql, name);
    if (edited === undefined)
      throw new MysqlError(1091, `Can't DROP FOREIGN KEY \`${name}\`; check that it exists`, '42000');
    editTableText(db, schema, row.name, edited, false);
    return OK;
  }
  const constraint = foreignKeyClause(sql, tokens, i + 1, to, schema, db);
  const count = (
    db.db
      .prepare(`SELECT count(DISTINCT id) AS n FROM pragma_foreign_key_list(?, ?)`)
      .get(row.name, schema) as { n: number }
  ).n;
  const name = constraint.name ?? `${row.name}_ibfk_${Number(count) + 1}`;
  const close = row.sql.lastIndexOf(')');
  const edited = `${row.sql.slice(0, close)}, CONSTRAINT ${quote(name)} ${constraint.text}${row.sql.slice(close)}`;
  editTableText(db, schema, row.name, edited, true);
  return OK;
}

function quote(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

function atEnd(tokens: readonly Token[], i: number, to: number): boolean {
  return i >= to || tokens[i]!.type === TokenType.Semicolon;
}

/** The `FOREIGN KEY (cols) REFERENCES r (cols) [ON DELETE|UPDATE …]` of an ADD, in SQLite's words. */
function foreignKeyClause(
  sql: string,
  tokens: readonly Token[],
  i: number,
  to: number,
  schema: string,
  db: SharedDatabase,
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
  // MySQL's optional name of the index it makes for the key: SQLite needs none.
  if (isName(tokens[i]) && !isPunct(sql, tokens[i], '(')) i++;
  const columns = (at: number): { list: string; next: number } => {
    if (!isPunct(sql, tokens[at], '(')) throw syntax();
    const names: string[] = [];
    let j = at + 1;
    while (j < to && isName(tokens[j])) {
      names.push(quote(identifierValue(sql, tokens[j]!)));
      j++;
      if (isPunct(sql, tokens[j], ',')) j++;
    }
    if (names.length === 0 || !isPunct(sql, tokens[j], ')')) throw syntax();
    return { list: `(${names.join(', ')})`, next: j + 1 };
  };
  const own = columns(i);
  if (keyword(sql, tokens[own.next]) !== 'REFERENCES') throw syntax();
  const parent = tableName(sql, tokens, own.next + 1);
  if (parent === undefined) throw syntax();
  if (parent.table.schema !== undefined && db.findSchema(parent.table.schema) !== schema)
    throw notSupported('a foreign key to a table of another database');
  const referenced = columns(parent.next);
  // ON DELETE / ON UPDATE actions read the same in SQLite.
  let j = referenced.next;
  const actions: string[] = [];
  while (!atEnd(tokens, j, to)) {
    const t = tokens[j]!;
    if (t.type !== TokenType.Word) throw syntax();
    actions.push(keyword(sql, t));
    j++;
  }
  const text = `FOREIGN KEY ${own.list} REFERENCES ${quote(parent.table.name)} ${referenced.list}${actions.length > 0 ? ` ${actions.join(' ')}` : ''}`;
  return { name, text };
}

/** `createSql` without its `CONSTRAINT <name> FOREIGN KEY …` entry, or undefined when it has none. */
function withoutConstraint(createSql: string, name: string): string | undefined {
  const tokens = tokenize(createSql);
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(createSql, t, '(')) depth++;
    else if (isPunct(createSql, t, ')')) depth--;
    if (
      depth !== 1 ||
      keyword(createSql, t) !== 'CONSTRAINT' ||
      !isName(tokens[i + 1]) ||
      identifierValue(createSql, tokens[i + 1]!).toLowerCase() !== name.toLowerCase() ||
      keyword(createSql, tokens[i + 2]) !== 'FOREIGN'
    )
      continue;
    // From the comma before the entry to the end of the entry (the next comma or the closing
    // parenthesis at the table's level).
    let end = i;
    let d = 0;
    while (end < tokens.length) {
      const e = tokens[end]!;
      if (isPunct(createSql, e, '(')) d++;
      else if (isPunct(createSql, e, ')')) {
        if (d === 0) break;
        d--;
      } else if (d === 0 && isPunct(createSql, e, ',')) break;
      end++;
    }
    const comma = tokens[i - 1]!;
    return createSql.slice(0, comma.start) + createSql.slice(tokens[end]!.start);
  }
  return undefined;
}

/**
 * Writes `text` as table `table`'s CREATE TABLE in `schema`'s catalog and reloads the schema, in
 * a savepoint; with `check`, rows that break a foreign key undo it (ER 1452).
 */
function editTableText(
  db: SharedDatabase,
  schema: string,
  table: string,
  text: string,
  check: boolean,
): void {
  const d = db.db;
  const q = quoteIdentifier(schema);
  d.exec('SAVEPOINT scalestack_alter_foreign_key');
  try {
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
    if (
      check &&
      d.prepare(`SELECT 1 FROM pragma_foreign_key_check(?, ?) LIMIT 1`).get(table, schema) !== undefined
    )
      throw new MysqlError(1452, 'Cannot add or update a child row: a foreign key constraint fails', '23000');
    d.exec('RELEASE scalestack_alter_foreign_key');
  } catch (e) {
    d.exec('ROLLBACK TO scalestack_alter_foreign_key');
    d.exec('RELEASE scalestack_alter_foreign_key');
    throw e;
  }
  db.schemaChanged();
}
