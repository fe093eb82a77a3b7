import type { SqlValue } from '@scalestack/mysql-protocol';
import { MysqlError, noDatabaseSelected, notSupported } from '../errors.js';
import { columnFacts } from '../functions/catalog-facts.js';
import type { Session } from '../session/session.js';
import { variableText } from '../session/variables.js';
import { declaredAutoIncrementType } from '../sql/auto-increment-type.js';
import { mysqlTableLayout } from '../sql/create-table-layout.js';
import { enumColumnsAsMysql, mysqlColumnType } from '../sql/enum-columns.js';
import { mysqlIndexName } from '../sql/index-ddl.js';
import { informationSchemaTable, temporaryStatistics } from '../sql/information-schema.js';
import {
  backquoted,
  identifierValue,
  keyword,
  stringValue,
  type Token,
  TokenType,
  tokenize,
} from '../sql/lexer.js';
import { onUpdateAsMysql, onUpdateColumns, onUpdateExtraOf } from '../sql/on-update.js';
import { REAL_DIVISION, withOperatorCallsAsWritten } from '../sql/real-division.js';
import { shownDefault } from '../sql/shown-default.js';
import { integerColumn, textColumn } from './column-types.js';
import type { SharedDatabase } from './database.js';
import type { EngineContext, Outcome } from './outcome.js';

/** A character in lower case, where that keeps it one character (`İ` stays). */
function fold(c: string): string {
  const lower = c.toLowerCase();
  return lower.length === c.length ? lower : c;
}

/** A compiled LIKE pattern: `test(name)` says whether a name matches it. */
export interface LikePattern {
  test(name: string): boolean;
}

/**
 * A MySQL LIKE pattern (`%`, `_`, `escapeChar` escapes: `\` unless told), matched
 * case-insensitively. Matched by the classic wildcard walk, which backtracks only to the last
 * `%` — at most length × length steps —, not by a regular expression, whose `.*` runs could take
 * exponential time on a pattern like `%a%a%a…b` while every client waited (JSON_SEARCH too).
 */
export function likePattern(pattern: string, escapeChar = '\\'): LikePattern {
  // Each unit: a literal character (a code point, its case folded one for one), or ANY (`_`) /
  // MANY (`%`).
  const p = Array.from(pattern);
  const units: (string | 1 | 2)[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === escapeChar && i + 1 < p.length) units.push(fold(p[++i]!));
    else if (c === '%') units.push(2);
    else if (c === '_') units.push(1);
    else units.push(fold(c));
  }
  return {
    test(name: string): boolean {
      const s = Array.from(name, fold);
      let p = 0;
      let i = 0;
      let star = -1;
      let resume = 0;
      while (i < s.length) {
        const u = units[p];
        if (u === 2) {
          star = p++;
          resume = i;
        } else if (u !== undefined && (u === 1 || u === s[i])) {
          p++;
          i++;
        } else if (star >= 0) {
          p = star + 1;
          i = ++resume;
        } else return false;
      }
      while (units[p] === 2) p++;
      return p === units.length;
    },
  };
}

/** Reads the optional `LIKE 'pattern'` at `tokens[i]`. */
function likeFilter(sql: string, tokens: readonly Token[], i: number, to: number): LikePattern | undefined {
  if (i < to && keyword(sql, tokens[i]) === 'LIKE' && tokens[i + 1]?.type === TokenType.String) {
    return likePattern(stringValue(sql, tokens[i + 1]!));
  }
  if (i < to && keyword(sql, tokens[i]) === 'WHERE') {
    throw notSupported('SHOW … WHERE', '; use LIKE');
  }
  return undefined;
}

function rows(names: string[], data: SqlValue[][]): Outcome {
  return { kind: 'rows', columns: names.map((n) => textColumn(n)), rows: data };
}

/** `"name"` quoted for SQLite. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Resolves `[FROM|IN] db` at `tokens[i]`; returns the schema (without the clause: `fallback`, or
 * the session's) and the next index.
 */
function schemaClause(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  i: number,
  fallback?: string,
): [string, number] {
  const k = keyword(sql, tokens[i]);
  if ((k === 'FROM' || k === 'IN') && tokens[i + 1]) {
    const name = identifierValue(sql, tokens[i + 1]!);
    const schema = db.findSchema(name);
    if (schema === undefined) throw new MysqlError(1049, `Unknown database '${name}'`);
    return [schema, i + 2];
  }
  return [fallback ?? selectedSchema(session), i];
}

/** The session's database; with none selected (it was dropped), ERR 1046 as in MySQL. */
function selectedSchema(session: Session): string {
  if (session.schema === null) throw noDatabaseSelected();
  return session.schema;
}

/**
 * Reads a table name (`t` or `db.t`) at `tokens[i]`. Unqualified, a temporary table of the name
 * (`isTemporary`) comes first, as it hides the others in MySQL: its schema is then `temp`.
 */
function tableName(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  i: number,
  isTemporary: (name: string) => boolean = () => false,
): { schema: string; table: string; next: number } {
  const t = tokens[i];
  if (
    t === undefined ||
    (t.type !== TokenType.Word && t.type !== TokenType.QuotedId && t.type !== TokenType.String)
  ) {
    throw new MysqlError(1064, 'You have an error in your SQL syntax: a table name is expected');
  }
  let schema = session.schema;
  let table = identifierValue(sql, t);
  let next = i + 1;
  if (tokens[next] && sql[tokens[next]!.start] === '.' && tokens[next + 1]) {
    const found = db.findSchema(table);
    if (found === undefined) throw new MysqlError(1049, `Unknown database '${table}'`);
    schema = found;
    table = identifierValue(sql, tokens[next + 1]!);
    next += 2;
  } else if (isTemporary(table)) {
    return { schema: 'temp', table, next };
  }
  // `SHOW COLUMNS FROM t FROM db` names it after the table: only then is none selected fine.
  if (schema === null) {
    const k = keyword(sql, tokens[next]);
    if ((k !== 'FROM' && k !== 'IN') || tokens[next + 1] === undefined) schema = selectedSchema(session);
    else schema = 'main';
  }
  return { schema, table, next };
}

/** Whether a temporary table is called `name`, as the session's names resolve. */
function temporaryIn(ctx: EngineContext, session: Session): (name: string) => boolean {
  return (name) => ctx.resolution(session).isTemporary(name);
}

/** `SHOW COLUMNS FROM t` / `DESCRIBE t`: Field, Type, Null, Key, Default, Extra. */
export function describeTable(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  i: number,
  to: number,
  full = false,
): Outcome {
  const db = ctx.database;
  let { schema, table, next } = tableName(db, session, sql, tokens, i, temporaryIn(ctx, session));
  [schema, next] = schemaClause(db, session, sql, tokens, next, schema);
  const like = likeFilter(sql, tokens, next, to);
  const info = db.db
    .prepare(`PRAGMA ${quoteIdentifier(schema)}.table_xinfo(${quoteIdentifier(table)})`)
    .all() as {
    name: string;
    type: string;
    notnull: number;
    dflt_value: string | null;
    pk: number;
    hidden: number;
  }[];
  if (info.length === 0) throw new MysqlError(1146, `Table '${schema}.${table}' doesn't exist`);
  const keys = keyColumns(db, schema, table);
  const text = db.tableText(schema, table) ?? '';
  const onUpdate = onUpdateColumns(text);
  const pkCount = info.filter((c) => c.pk > 0).length;
  const data: SqlValue[][] = [];
  for (const c of info) {
    if (c.hidden !== 0 && c.hidden !== 2 && c.hidden !== 3) continue;
    if (like && !like.test(c.name)) continue;
    const rowid = c.pk > 0 && pkCount === 1 && c.type.toUpperCase() === 'INTEGER';
    const key = c.pk > 0 ? 'PRI' : (keys.get(c.name) ?? '');
    const row: SqlValue[] = [
      c.name,
      mysqlColumnType(rowid ? (declaredAutoIncrementType(text) ?? c.type) : c.type),
      c.notnull || c.pk > 0 ? 'NO' : 'YES',
      key,
      c.dflt_value === null ? null : shownDefault(c.dflt_value),
      rowid ? 'auto_increment' : c.hidden >= 2 ? 'VIRTUAL GENERATED' : onUpdateExtraOf(onUpdate, c.name),
    ];
    if (full) {
      // The column's collation, as information_schema.COLUMNS gives it (text and enum columns).
      row.splice(2, 0, columnFacts(c.type).COLLATION_NAME ?? null);
      row.push('select,insert,update,references', '');
    }
    data.push(row);
  }
  const names = full
    ? ['Field', 'Type', 'Collation', 'Null', 'Key', 'Default', 'Extra', 'Privileges', 'Comment']
    : ['Field', 'Type', 'Null', 'Key', 'Default', 'Extra'];
  return rows(names, data);
}

/**
 * DESCRIBE's Key of the columns other than the primary key's, as MariaDB (and information_schema
 * here) gives it: `UNI` for the column of a one-column unique index, `MUL` for the first column
 * of any other index, the unique one winning.
 */
function keyColumns(db: SharedDatabase, schema: string, table: string): Map<string, 'UNI' | 'MUL'> {
  const out = new Map<string, 'UNI' | 'MUL'>();
  const indexes = db.db
    .prepare(`PRAGMA ${quoteIdentifier(schema)}.index_list(${quoteIdentifier(table)})`)
    .all() as { name: string; unique: number; origin: string }[];
  for (const ix of indexes) {
    if (ix.origin === 'pk') continue;
    const cols = db.db
      .prepare(`PRAGMA ${quoteIdentifier(schema)}.index_info(${quoteIdentifier(ix.name)})`)
      .all() as { name: string | null; seqno: number }[];
    const first = cols.find((c) => Number(c.seqno) === 0)?.name;
    if (first === undefined || first === null) continue;
    if (ix.unique && cols.length === 1) out.set(first, 'UNI');
    else if (!out.has(first)) out.set(first, 'MUL');
  }
  return out;
}

/**
 * SQLite's stored text as MySQL would read it: a `\\` in a string literal is a character in
 * SQLite and an escape in MySQL, so it is doubled (a dump of `DEFAULT 'C:\\'` loads again).
 */
function asMysqlText(stored: string): string {
  // A CHECK, DEFAULT or generated column's DIV, MOD and `%` are stored as the calls they run as.
  const sqliteSql = withOperatorCallsAsWritten(stored);
  let out = '';
  let at = 0;
  const tokens = tokenize(sqliteSql, false);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Punct && sqliteSql.startsWith(REAL_DIVISION, t.start)) {
      // A `/` the rewrite sent as a division of reals (a DEFAULT or CHECK expression).
      out += `${sqliteSql.slice(at, t.start)}/`;
      at = t.start + REAL_DIVISION.length;
      while (i + 1 < tokens.length && tokens[i + 1]!.start < at) i++;
      continue;
    }
    if (t.type === TokenType.String && sqliteSql[t.start] === '"') {
      // SQLite writes a renamed table or column "so": a name, where MySQL would read a string.
      out +=
        sqliteSql.slice(at, t.start) +
        backquoted(sqliteSql.slice(t.start + 1, t.end - 1).replaceAll('""', '"'));
      at = t.end;
      continue;
    }
    if (t.type !== TokenType.String || !sqliteSql.slice(t.start, t.end).includes('\\')) continue;
    out += sqliteSql.slice(at, t.start) + sqliteSql.slice(t.start, t.end).replaceAll('\\', '\\\\');
    at = t.end;
  }
  return out + sqliteSql.slice(at);
}

/**
 * A table's CREATE TABLE text with its indexes in it, as MySQL's SHOW CREATE TABLE lists them
 * (`UNIQUE KEY name (…)`, `KEY name (…)`): SQLite keeps them apart, and a dump of the table
 * without them (mariadb-dump reads this) would come back without its unique rules. Read from
 * SQLite's own account of each index (its text changes with renames); one MySQL could not
 * make — partial, or on an expression — is left out.
 */
function createTableText(db: SharedDatabase, schema: string, table: string, text: string): string {
  const s = quoteIdentifier(schema);
  const indexes = db.db
    .prepare(
      `SELECT name FROM ${s}.sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid`,
    )
    .all(table) as { name: string }[];
  const facts = new Map(
    (
      db.db.prepare(`PRAGMA ${s}.index_list(${quoteIdentifier(table)})`).all() as unknown as IndexListRow[]
    ).map((r) => [r.name, r]),
  );
  const keys: string[] = [];
  for (const { name } of indexes) {
    const index = facts.get(name);
    if (index === undefined || Number(index.partial) !== 0) continue;
    const columns = (
      db.db.prepare(`PRAGMA ${s}.index_xinfo(${quoteIdentifier(name)})`).all() as unknown as IndexColumnRow[]
    )
      .filter((c) => Number(c.key) !== 0)
      .sort((a, b) => Number(a.seqno) - Number(b.seqno));
    if (columns.length === 0 || columns.some((c) => Number(c.cid) < 0 || c.name === null)) continue;
    const own = mysqlIndexName(name, table);
    const list = columns.map((c) => `${backquoted(c.name!)}${Number(c.desc) !== 0 ? ' DESC' : ''}`).join(',');
    keys.push(`${Number(index.unique) !== 0 ? 'UNIQUE KEY' : 'KEY'} ${backquoted(own)} (${list})`);
  }
  const seq = autoIncrementCounter(db, schema, table);
  return mysqlTableLayout(text, table, keys, seq === undefined ? undefined : BigInt(seq) + 1n);
}

/**
 * The AUTO_INCREMENT counter of `table` in SQLite's schema `schema` (its sqlite_sequence row: the
 * last id handed out), or undefined when it has none.
 */
export function autoIncrementCounter(
  db: SharedDatabase,
  schema: string,
  table: string,
): number | bigint | undefined {
  const s = quoteIdentifier(schema);
  if (db.db.prepare(`SELECT 1 FROM ${s}.sqlite_schema WHERE name = 'sqlite_sequence'`).get() === undefined)
    return undefined;
  const row = db.db.prepare(`SELECT seq FROM ${s}.sqlite_sequence WHERE name = ?`).get(table) as
    | { seq: number | bigint }
    | undefined;
  return row?.seq;
}

/** PRAGMA index_list's row (integers as the database reads them: bigint or number). */
interface IndexListRow {
  name: string;
  unique: number | bigint;
  partial: number | bigint;
}

/** PRAGMA index_xinfo's row: cid -2 is an expression, -1 the rowid. */
interface IndexColumnRow {
  seqno: number | bigint;
  cid: number | bigint;
  name: string | null;
  desc: number | bigint;
  key: number | bigint;
}

/** `SHOW INDEX FROM t`: information_schema.STATISTICS of the table, in SHOW's columns. */
function indexes(db: SharedDatabase, schema: string, table: string): Outcome {
  const exists = db.db
    .prepare(
      `SELECT 1 FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table', 'view') AND name = ?`,
    )
    .get(table);
  if (exists === undefined) throw new MysqlError(1146, `Table '${schema}.${table}' doesn't exist`);
  const data = db.db
    .prepare(
      `SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, CARDINALITY, SUB_PART,
        PACKED, NULLABLE, INDEX_TYPE, COMMENT, INDEX_COMMENT, IGNORED
        FROM ${schema === 'temp' ? temporaryStatistics() : informationSchemaTable('STATISTICS')}
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
        ORDER BY NON_UNIQUE, INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX`,
    )
    .all(schema, table)
    .map((r) =>
      Object.values(r as Record<string, SqlValue>).map((v) =>
        typeof v === 'number' || typeof v === 'bigint' ? String(v) : v,
      ),
    );
  return rows(
    [
      'Table',
      'Non_unique',
      'Key_name',
      'Seq_in_index',
      'Column_name',
      'Collation',
      'Cardinality',
      'Sub_part',
      'Packed',
      'Null',
      'Index_type',
      'Comment',
      'Index_comment',
      'Ignored',
    ],
    data,
  );
}

/** `SHOW CREATE TRIGGER [db.]name`, in MariaDB's columns (mysqldump reads it for each trigger). */
function createTrigger(
  db: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  i: number,
): Outcome {
  const { schema, table: name } = tableName(db, session, sql, tokens, i);
  const row = db.db
    .prepare(
      `SELECT name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'trigger' AND name = ? COLLATE NOCASE`,
    )
    .get(name) as { name: string; sql: string } | undefined;
  if (row === undefined) throw new MysqlError(1360, 'Trigger does not exist', 'HY000');
  return rows(
    [
      'Trigger',
      'sql_mode',
      'SQL Original Statement',
      'character_set_client',
      'collation_connection',
      'Database Collation',
      'Created',
    ],
    [[row.name, '', asMysqlText(row.sql), 'utf8mb4', 'utf8mb4_general_ci', 'utf8mb4_general_ci', null]],
  );
}

/**
 * `SHOW TABLE STATUS`: information_schema.TABLES in SHOW's columns (mysqldump reads it for each
 * table), with the next AUTO_INCREMENT value where SQLite keeps one.
 */
function tableStatus(db: SharedDatabase, schema: string, like: LikePattern | undefined): Outcome {
  const tables = db.db
    .prepare(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, VERSION AS version, ROW_FORMAT AS rowFormat,
        TABLE_COLLATION AS collation, TABLE_COMMENT AS comment
        FROM ${informationSchemaTable('TABLES')} WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
    )
    .all(schema) as {
    name: string;
    engine: string | null;
    version: number | null;
    rowFormat: string | null;
    collation: string | null;
    comment: string;
  }[];
  const q = quoteIdentifier(schema);
  const sequences = new Map<string, number>();
  const hasSequences = db.db.prepare(`SELECT 1 FROM ${q}.sqlite_schema WHERE name = 'sqlite_sequence'`).get();
  if (hasSequences !== undefined)
    for (const r of db.db.prepare(`SELECT name, seq FROM ${q}.sqlite_sequence`).all() as {
      name: string;
      seq: number;
    }[])
      sequences.set(r.name, Number(r.seq));
  const counting = new Set(
    (
      db.db
        .prepare(`SELECT name FROM ${q}.sqlite_schema WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'`)
        .all() as { name: string }[]
    ).map((r) => r.name),
  );
  const data: SqlValue[][] = [];
  for (const t of tables) {
    if (like && !like.test(t.name)) continue;
    const next = counting.has(t.name) ? String((sequences.get(t.name) ?? 0) + 1) : null;
    const version = t.version === null ? null : String(t.version);
    data.push([
      t.name,
      t.engine,
      version,
      t.rowFormat,
      null,
      null,
      null,
      null,
      null,
      null,
      next,
      null,
      null,
      null,
      t.collation,
      null,
      '',
      t.comment,
      null,
      'N',
    ]);
  }
  return rows(
    [
      'Name',
      'Engine',
      'Version',
      'Row_format',
      'Rows',
      'Avg_row_length',
      'Data_length',
      'Max_data_length',
      'Index_length',
      'Data_free',
      'Auto_increment',
      'Create_time',
      'Update_time',
      'Check_time',
      'Collation',
      'Checksum',
      'Create_options',
      'Comment',
      'Max_index_length',
      'Temporary',
    ],
    data,
  );
}

/**
 * The SHOW statements clients, ORMs and people type: DATABASES, [FULL] TABLES, [FULL]
 * COLUMNS/FIELDS, INDEX, TABLE STATUS, VARIABLES, STATUS, WARNINGS/ERRORS (always empty: SQLite
 * raises no warnings), CREATE TABLE | VIEW | TRIGGER, ENGINES, COLLATION, CHARACTER SET.
 * PROCESSLIST is not kept (one shared SQLite connection runs everything).
 */
export function runShow(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const db = ctx.database;
  let i = from + 1;
  let full = false;
  let scope: 'session' | 'global' = 'session';
  let k = keyword(sql, tokens[i]);
  if (k === 'FULL') {
    full = true;
    k = keyword(sql, tokens[++i]);
  }
  if (k === 'GLOBAL' || k === 'SESSION' || k === 'LOCAL') {
    if (k === 'GLOBAL') scope = 'global';
    k = keyword(sql, tokens[++i]);
  }
  i++;
  switch (k) {
    case 'DATABASES':
    case 'SCHEMAS': {
      const like = likeFilter(sql, tokens, i, to);
      const names = db.schemas().filter((s) => !like || like.test(s));
      return rows(
        ['Database'],
        names.map((n) => [n]),
      );
    }
    case 'TABLES': {
      const [schema, next] = schemaClause(db, session, sql, tokens, i);
      const like = likeFilter(sql, tokens, next, to);
      const list = db.db
        .prepare(
          `SELECT name, type FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
        )
        .all() as { name: string; type: string }[];
      const data = list
        .filter((t) => !like || like.test(t.name))
        .map((t) => (full ? [t.name, t.type === 'view' ? 'VIEW' : 'BASE TABLE'] : [t.name]));
      return rows(full ? [`Tables_in_${schema}`, 'Table_type'] : [`Tables_in_${schema}`], data);
    }
    case 'INDEX':
    case 'INDEXES':
    case 'KEYS': {
      const kw = keyword(sql, tokens[i]);
      if (kw !== 'FROM' && kw !== 'IN')
        throw new MysqlError(1064, 'You have an error in your SQL syntax: SHOW INDEX FROM <table>');
      // A temporary table of the name first, as for SHOW COLUMNS.
      let { schema, table, next } = tableName(db, session, sql, tokens, i + 1, temporaryIn(ctx, session));
      [schema, next] = schemaClause(db, session, sql, tokens, next, schema);
      // SHOW INDEX takes no LIKE; a WHERE is refused as for the other SHOWs.
      likeFilter(sql, tokens, next, to);
      return indexes(db, schema, table);
    }
    case 'TABLE': {
      if (keyword(sql, tokens[i]) !== 'STATUS') break;
      const [schema, next] = schemaClause(db, session, sql, tokens, i + 1);
      return tableStatus(db, schema, likeFilter(sql, tokens, next, to));
    }
    case 'COLUMNS':
    case 'FIELDS': {
      const kw = keyword(sql, tokens[i]);
      if (kw !== 'FROM' && kw !== 'IN')
        throw new MysqlError(1064, 'You have an error in your SQL syntax: SHOW COLUMNS FROM <table>');
      return describeTable(ctx, session, sql, tokens, i + 1, to, full);
    }
    case 'VARIABLES': {
      const like = likeFilter(sql, tokens, i, to);
      const names = new Set<string>(db.globalVariables.keys());
      if (scope === 'session') for (const n of session.variables.keys()) names.add(n);
      const data: SqlValue[][] = [];
      for (const name of [...names].sort()) {
        if (like && !like.test(name)) continue;
        const value = db.variable(session, scope === 'global' ? `global.${name}` : name);
        data.push([name, variableText(value)]);
      }
      return rows(['Variable_name', 'Value'], data);
    }
    case 'STATUS': {
      const like = likeFilter(sql, tokens, i, to);
      const f = ctx.facts;
      const status: [string, string][] = [
        ['Connections', String(f.connectionsTotal)],
        ['Questions', String(f.questions)],
        ['Threads_connected', String(f.connections)],
        ['Threads_running', '1'],
        ['Uptime', String(Math.floor((Date.now() - f.startedAt) / 1000))],
      ];
      return rows(
        ['Variable_name', 'Value'],
        status.filter(([n]) => !like || like.test(n)),
      );
    }
    case 'WARNINGS':
    case 'ERRORS':
      return {
        kind: 'rows',
        columns: [textColumn('Level', 7), integerColumn('Code'), textColumn('Message', 512)],
        rows: [],
      };
    case 'COUNT': {
      // SHOW COUNT(*) WARNINGS
      const what = keyword(sql, tokens[to - 1]);
      return {
        kind: 'rows',
        columns: [integerColumn(`@@session.${what === 'ERRORS' ? 'error' : 'warning'}_count`)],
        rows: [[0n]],
      };
    }
    case 'CREATE': {
      const what = keyword(sql, tokens[i]);
      if (what === 'TRIGGER') return createTrigger(db, session, sql, tokens, i + 1);
      if (what !== 'TABLE' && what !== 'VIEW') break;
      const { schema, table } = tableName(db, session, sql, tokens, i + 1, temporaryIn(ctx, session));
      const row = db.db
        .prepare(
          `SELECT name, sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table','view') AND name = ? COLLATE NOCASE`,
        )
        .get(table) as { name: string; sql: string } | undefined;
      if (row === undefined) throw new MysqlError(1146, `Table '${schema}.${table}' doesn't exist`);
      // SQLite keeps a temporary table's text as a plain CREATE TABLE; MySQL shows what it is.
      const text = asMysqlText(onUpdateAsMysql(enumColumnsAsMysql(row.sql))).replace(/^CREATE TABLE/i, (t) =>
        schema === 'temp' ? 'CREATE TEMPORARY TABLE' : t,
      );
      return rows(what === 'VIEW' ? ['View', 'Create View'] : ['Table', 'Create Table'], [
        [row.name, what === 'VIEW' ? text : createTableText(db, schema, row.name, text)],
      ]);
    }
    case 'ENGINES':
      return rows(
        ['Engine', 'Support', 'Comment', 'Transactions', 'XA', 'Savepoints'],
        [['SQLite', 'DEFAULT', `SQLite ${db.sqliteVersion} (node:sqlite)`, 'YES', 'NO', 'YES']],
      );
    case 'COLLATION':
      return rows(
        ['Collation', 'Charset', 'Id', 'Default', 'Compiled', 'Sortlen'],
        [['utf8mb4_general_ci', 'utf8mb4', '45', 'Yes', 'Yes', '1']],
      );
    case 'CHARACTER':
    case 'CHARSET':
      return rows(
        ['Charset', 'Description', 'Default collation', 'Maxlen'],
        [['utf8mb4', 'UTF-8 Unicode', 'utf8mb4_general_ci', '4']],
      );
  }
  const shown = sql.slice(tokens[from]!.start, tokens[Math.min(to, tokens.length) - 1]!.end);
  throw notSupported(shown);
}
