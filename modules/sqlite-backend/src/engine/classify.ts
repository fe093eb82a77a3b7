import { MysqlError } from '../errors.js';
import { columnPlacement } from '../sql/column-placement.js';
import { indexDrop } from '../sql/index-ddl.js';
import { setColumns } from '../sql/insert-forms.js';
import {
  identifierValue,
  isPunct,
  keyword,
  statementEndIndex,
  type TableName,
  type Token,
  TokenType,
  tableName,
} from '../sql/lexer.js';
import { isPrimaryKeyAdd } from './add-primary-key.js';
import { alterList } from './alter-list.js';
import { isColumnChange } from './change-column.js';
import { isDefaultChange } from './column-default.js';
import { createLike } from './create-like.js';
import { isCreateOrReplace } from './create-or-replace.js';
import { droppedColumn } from './drop-column.js';
import { isForeignKeyChange } from './foreign-keys.js';
import { alterRename } from './rename-table.js';
import { isTableMaintenance } from './table-maintenance.js';
import { dropsSeveralTables } from './truncate-drop.js';

/** Statements this server answers itself instead of handing them to SQLite. */
export type MysqlStatement =
  | 'set'
  | 'use'
  | 'show'
  | 'describe'
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'create-database'
  | 'drop-database'
  | 'drop-temporary'
  | 'drop-view'
  | 'no-op'
  | 'do'
  | 'kill'
  | 'foreign-key'
  | 'drop-index'
  | 'change-column'
  | 'create-like'
  | 'rename-table'
  | 'create-or-replace'
  | 'column-default'
  | 'truncate'
  | 'drop-tables'
  | 'add-primary-key'
  | 'alter-list'
  | 'drop-column'
  | 'place-column'
  | 'table-maintenance'
  | 'refused';

const DML = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'WITH',
  'QUERY',
  'FORMAT',
  'EXTENDED',
  'ANALYZE',
]);

/** Which of our own statements `tokens[i…]` starts, or undefined for SQL that goes to SQLite. */
export function classify(sql: string, tokens: readonly Token[], i: number): MysqlStatement | undefined {
  const k0 = keyword(sql, tokens[i]);
  const k1 = keyword(sql, tokens[i + 1]);
  switch (k0) {
    case 'SET':
      return 'set';
    case 'USE':
      return 'use';
    case 'SHOW':
      return 'show';
    case 'DESCRIBE':
    case 'DESC':
    case 'EXPLAIN':
      return tokens[i + 1] !== undefined && !DML.has(k1) && tokens[i + 1]!.type !== TokenType.Punct
        ? 'describe'
        : undefined;
    case 'BEGIN':
      return 'begin';
    case 'START':
      return k1 === 'TRANSACTION' ? 'begin' : undefined;
    case 'COMMIT':
      return 'commit';
    case 'ROLLBACK': {
      const k2 = keyword(sql, tokens[i + 2]);
      return k1 === 'TO' || (k1 === 'WORK' && k2 === 'TO') ? undefined : 'rollback';
    }
    case 'CREATE':
      if (k1 === 'DATABASE' || k1 === 'SCHEMA') return 'create-database';
      if (isCreateOrReplace(sql, tokens, i)) return 'create-or-replace';
      return createLike(sql, tokens, i) !== undefined ? 'create-like' : undefined;
    case 'DROP': {
      if (k1 === 'DATABASE' || k1 === 'SCHEMA') return 'drop-database';
      if (k1 === 'INDEX' && indexDrop(sql, tokens, i, tokens.length) !== undefined) return 'drop-index';
      if (k1 === 'VIEW') return 'drop-view';
      if (dropsSeveralTables(sql, tokens, i)) return 'drop-tables';
      const k2 = keyword(sql, tokens[i + 2]);
      // SQLite drops one table per statement, and knows no TEMPORARY: we drop the list ourselves.
      return (k1 === 'TEMPORARY' || k1 === 'TEMP') && (k2 === 'TABLE' || k2 === 'TABLES')
        ? 'drop-temporary'
        : undefined;
    }
    case 'LOCK':
    case 'UNLOCK':
    case 'FLUSH':
      return 'no-op';
    case 'ALTER': {
      if (k1 !== 'TABLE') return undefined;
      // `ALTER TABLE t DISABLE|ENABLE KEYS`, around every table's rows in a mysqldump: MyISAM's
      // deferred index build, which SQLite has no use for.
      if (isKeysSwitch(sql, tokens, i)) return 'no-op';
      if (alterList(sql, tokens, i) !== undefined) return 'alter-list';
      if (indexDrop(sql, tokens, i, tokens.length) !== undefined) return 'drop-index';
      const named = tableName(sql, tokens, i + 2);
      if (named === undefined) return undefined;
      if (alterRename(sql, tokens, i) !== undefined) return 'rename-table';
      if (isColumnChange(sql, tokens, named.next)) return 'change-column';
      if (isDefaultChange(sql, tokens, named.next)) return 'column-default';
      if (isPrimaryKeyAdd(sql, tokens, named.next)) return 'add-primary-key';
      if (droppedColumn(sql, tokens, named.next) !== undefined) return 'drop-column';
      if (columnPlacement(sql, tokens, i, statementEndIndex(tokens, i)) !== undefined) return 'place-column';
      return isForeignKeyChange(sql, tokens, named.next) ? 'foreign-key' : undefined;
    }
    case 'DO':
      return 'do';
    case 'RENAME':
      return k1 === 'TABLE' || k1 === 'TABLES' ? 'rename-table' : undefined;
    // SQLite's ATTACH opens (and creates) a file at any path the process may write, and
    // `VACUUM INTO` writes one: MySQL has neither, and a client must not reach the file system.
    // Databases are CREATE DATABASE's, whose files the server chooses (see schemas.ts).
    case 'ATTACH':
    case 'DETACH':
      return 'refused';
    case 'VACUUM':
      return keyword(sql, tokens[i + 1]) === 'INTO' || keyword(sql, tokens[i + 2]) === 'INTO'
        ? 'refused'
        : undefined;
    case 'KILL':
      return 'kill';
    case 'TRUNCATE':
      return 'truncate';
    case 'OPTIMIZE':
    case 'ANALYZE':
    case 'CHECK':
    case 'REPAIR':
      return isTableMaintenance(sql, tokens, i) ? 'table-maintenance' : undefined;
  }
  return undefined;
}

/** `ALTER TABLE [schema.]t DISABLE|ENABLE KEYS` at `tokens[i]`. */
function isKeysSwitch(sql: string, tokens: readonly Token[], i: number): boolean {
  const named = tableName(sql, tokens, i + 2);
  if (named === undefined) return false;
  const k = keyword(sql, tokens[named.next]);
  const end = tokens[named.next + 2];
  return (
    (k === 'DISABLE' || k === 'ENABLE') &&
    keyword(sql, tokens[named.next + 1]) === 'KEYS' &&
    (end === undefined || end.type === TokenType.Semicolon)
  );
}

/**
 * Statements that only read: in autocommit=0 they do not open a transaction (see README).
 * A locking read (`FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`) is not one: the client
 * relies on nobody changing the rows before it writes them, so it must hold the database.
 */
export function isReadOnly(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  if (k0 === 'SELECT' || k0 === 'VALUES' || k0 === 'EXPLAIN') return !hasLockingClause(sql, tokens, from, to);
  if (k0 !== 'WITH') return false;
  for (let i = from + 1; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'INSERT' || k === 'UPDATE' || k === 'DELETE' || k === 'REPLACE') return false;
  }
  // `WITH … SELECT … FOR SHARE` / `LOCK IN SHARE MODE` lock as the plain SELECT does.
  return !hasLockingClause(sql, tokens, from, to);
}

function hasLockingClause(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    const next = keyword(sql, tokens[i + 1]);
    if (k === 'FOR' && (next === 'UPDATE' || next === 'SHARE')) return true;
    if (k === 'LOCK' && next === 'IN' && keyword(sql, tokens[i + 2]) === 'SHARE') return true;
  }
  return false;
}

const CHANGES_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/**
 * INSERT / UPDATE / DELETE / REPLACE (also after WITH): the statements whose OK reports
 * affected rows. SQLite's change count is left over from the last such statement (maybe
 * another session's), so for anything else it means nothing.
 */
export function changesRows(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  if (CHANGES_ROWS.has(k0)) return true;
  if (k0 !== 'WITH') return false;
  for (let i = from + 1; i < to; i++) if (CHANGES_ROWS.has(keyword(sql, tokens[i]))) return true;
  return false;
}

/** Words between INSERT/REPLACE and the table name (MySQL's and SQLite's). */
const INSERT_MODIFIERS = new Set([
  'LOW_PRIORITY',
  'DELAYED',
  'HIGH_PRIORITY',
  'IGNORE',
  'INTO',
  'OR',
  'REPLACE',
  'ROLLBACK',
  'ABORT',
  'FAIL',
]);

/** An INSERT / REPLACE: the table it writes to and how its rows give their columns. */
export interface InsertTarget {
  schema: string | undefined;
  table: string;
  /** The column list (lower-cased), or undefined when the rows give every column in order. */
  columns: string[] | undefined;
  /** The statement: `tokens[from, to)` of `sql`. */
  sql: string;
  tokens: readonly Token[];
  from: number;
  to: number;
  /** Index of the token after the column list (or the table name). */
  body: number;
}

/** The table an INSERT / REPLACE writes to (`[schema.]table`), or undefined for other statements. */
export function insertTarget(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): InsertTarget | undefined {
  const k0 = keyword(sql, tokens[from]);
  if (k0 !== 'INSERT' && k0 !== 'REPLACE') return undefined;
  let i = from + 1;
  while (INSERT_MODIFIERS.has(keyword(sql, tokens[i]))) i++;
  const first = tokens[i];
  if (first === undefined || (first.type !== TokenType.Word && first.type !== TokenType.QuotedId))
    return undefined;
  const dot = tokens[i + 1];
  const second = tokens[i + 2];
  const qualified = dot !== undefined && sql[dot.start] === '.' && second !== undefined;
  const target: InsertTarget = {
    schema: qualified ? identifierValue(sql, first) : undefined,
    table: identifierValue(sql, qualified ? second : first),
    columns: undefined,
    sql,
    tokens,
    from,
    to,
    body: i + (qualified ? 3 : 1),
  };
  if (isPunct(sql, tokens[target.body], '(') && !isSelect(sql, tokens[target.body + 1])) {
    const columns: string[] = [];
    let j = target.body + 1;
    for (; j < to && !isPunct(sql, tokens[j], ')'); j++) {
      const t = tokens[j]!;
      if (t.type === TokenType.Word || t.type === TokenType.QuotedId)
        columns.push(identifierValue(sql, t).toLowerCase());
    }
    target.columns = columns;
    target.body = j + 1;
  } else if (keyword(sql, tokens[target.body]) === 'SET') {
    // `INSERT INTO t SET a = 1, t.b = 2`: the columns are those set.
    target.columns = setColumns(
      sql,
      tokens,
      target.body,
      Math.min(to, statementEndIndex(tokens, target.body)),
    );
  }
  return target;
}

/**
 * True when every row `target` inserts leaves its rowid-alias column (`name`, at `position` among
 * the table's columns) to be numbered, as MySQL's AUTO_INCREMENT does: the column list leaves it
 * out, `DEFAULT VALUES`, or each `VALUES` row gives NULL there (the literal, or a `?` whose
 * parameter `isNullParam` says is NULL). False when a row may give its own value, and when that
 * cannot be told (`INSERT … SELECT` naming the column, or a row giving an expression).
 */
export function idsGenerated(
  target: InsertTarget,
  name: string,
  position: number,
  isNullParam: (ordinal: number) => boolean,
): boolean {
  const { sql, tokens, to } = target;
  if (target.columns !== undefined) {
    const at = target.columns.indexOf(name.toLowerCase());
    if (at < 0) return true;
    position = at;
  }
  let i = target.body;
  const k = keyword(sql, tokens[i]);
  if (k === 'DEFAULT') return keyword(sql, tokens[i + 1]) === 'VALUES';
  if (k !== 'VALUES' && k !== 'VALUE') return false;
  let ordinal = 0;
  for (let j = target.from; j < i; j++) if (tokens[j]!.type === TokenType.Placeholder) ordinal++;
  // Each row: `(` then elements split by top-level commas; rows are split by commas too.
  for (i++; ; i++) {
    if (!isPunct(sql, tokens[i], '(')) return false;
    let element = 0;
    let nullAt = false;
    let depth = 1;
    let start = ++i;
    // `()`, a row of defaults (`INSERT INTO t VALUES (), ()`): the id is numbered.
    if (isPunct(sql, tokens[start], ')')) nullAt = true;
    for (; i < to && depth > 0; i++) {
      const t = tokens[i]!;
      if (t.type === TokenType.Placeholder) ordinal++;
      const c = t.type === TokenType.Punct ? sql[t.start] : '';
      if (c === '(') depth++;
      else if (c === ')') depth--;
      if ((depth === 1 && c === ',') || depth === 0) {
        if (element === position && i === start + 1) {
          const only = tokens[start]!;
          // NULL, a NULL parameter, or DEFAULT (which leaves the id to the table too).
          nullAt =
            keyword(sql, only) === 'NULL' ||
            keyword(sql, only) === 'DEFAULT' ||
            (only.type === TokenType.Placeholder && isNullParam(ordinal - 1));
        }
        element++;
        start = i + 1;
      }
    }
    if (!nullAt) return false;
    // `i` is past the row's `)`: a comma means another row.
    if (!isPunct(sql, tokens[i], ',')) return true;
  }
}

function isSelect(sql: string, token: Token | undefined): boolean {
  const k = keyword(sql, token);
  return k === 'SELECT' || k === 'WITH' || k === 'VALUES';
}

/** Statements after which what was read about the schema may be stale. */
export function changesSchema(sql: string, tokens: readonly Token[], from: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  // ROLLBACK here is `ROLLBACK TO [SAVEPOINT]` (a plain ROLLBACK is ours): it undoes DDL too.
  return (
    k0 === 'CREATE' ||
    k0 === 'DROP' ||
    k0 === 'ALTER' ||
    k0 === 'ATTACH' ||
    k0 === 'DETACH' ||
    k0 === 'ROLLBACK'
  );
}

/** The temporary object a CREATE statement makes. */
export interface TemporaryCreate {
  type: 'table' | 'view' | 'trigger';
  name: string;
}

const CREATE_TYPES: Record<string, TemporaryCreate['type']> = {
  TABLE: 'table',
  VIEW: 'view',
  TRIGGER: 'trigger',
};

/**
 * What `CREATE TEMPORARY|TEMP TABLE|VIEW|TRIGGER [IF NOT EXISTS] name`, or a CREATE naming the
 * temp schema (`temp.name`), makes; undefined for any other statement.
 */
export function temporaryCreate(
  sql: string,
  tokens: readonly Token[],
  from: number,
): TemporaryCreate | undefined {
  if (keyword(sql, tokens[from]) !== 'CREATE') return undefined;
  let i = from + 1;
  const k1 = keyword(sql, tokens[i]);
  const temporary = k1 === 'TEMPORARY' || k1 === 'TEMP';
  if (temporary) i++;
  const type = CREATE_TYPES[keyword(sql, tokens[i++])];
  if (type === undefined) return undefined;
  if (keyword(sql, tokens[i]) === 'IF') i += 3;
  const named = tableName(sql, tokens, i);
  if (named === undefined) return undefined;
  if (!temporary && named.table.schema?.toLowerCase() !== 'temp') return undefined;
  return { type, name: named.table.name };
}

/** `DROP TEMPORARY TABLE[S] [IF EXISTS] t [, t]… [RESTRICT | CASCADE]`, `tokens[from, to)`. */
export function dropTemporaryTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { ifExists: boolean; tables: TableName[] } {
  const syntaxError = new MysqlError(
    1064,
    'You have an error in your SQL syntax: DROP TEMPORARY TABLE [IF EXISTS] <name> [, <name>]…',
  );
  let i = from + 3;
  const ifExists = keyword(sql, tokens[i]) === 'IF' && keyword(sql, tokens[i + 1]) === 'EXISTS';
  if (ifExists) i += 2;
  const tables: TableName[] = [];
  for (;;) {
    const named = i < to ? tableName(sql, tokens, i) : undefined;
    if (named === undefined) throw syntaxError;
    tables.push(named.table);
    i = named.next;
    if (i >= to || !isPunct(sql, tokens[i], ',')) break;
    i++;
  }
  const option = keyword(sql, tokens[i]);
  if (i < to && (option === 'RESTRICT' || option === 'CASCADE')) i++;
  if (i < to) throw syntaxError;
  return { ifExists, tables };
}
