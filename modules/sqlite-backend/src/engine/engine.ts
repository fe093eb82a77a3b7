import type { StatementSync } from 'node:sqlite';
import {
  ColumnType,
  type DecodedParam,
  preparedStatementState,
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_STATUS_AUTOCOMMIT,
  SERVER_STATUS_IN_TRANS,
  type SqlValue,
} from '@scalestack/mysql-protocol';
import { MysqlError, noDatabaseSelected, notSupported, toMysqlError } from '../errors.js';
import type { ResponseWriter } from '../protocol/response-writer.js';
import type { PreparedStatement, Session } from '../session/session.js';
import { initOnlyDerivedTables } from '../sql/assignment.js';
import type { AutoIncrementStart } from '../sql/create-table.js';
import { indexDrop, sqliteIndexName } from '../sql/index-ddl.js';
import { identifierValue, invalidToken, keyword, type Token, TokenType, tokenize } from '../sql/lexer.js';
import { type OnUpdateColumn, onUpdateColumns } from '../sql/on-update.js';
import type { NameResolution } from '../sql/qualify.js';
import { rewrite } from '../sql/rewrite.js';
import { addPrimaryKey } from './add-primary-key.js';
import { runAlterList } from './alter-list.js';
import { changeColumn } from './change-column.js';
import {
  changesRows,
  changesSchema,
  classify,
  dropTemporaryTables,
  type InsertTarget,
  idsGenerated,
  insertTarget,
  isReadOnly,
  type MysqlStatement,
  type TemporaryCreate,
  temporaryCreate,
} from './classify.js';
import { changeDefault } from './column-default.js';
import {
  applyDecimalScale,
  decimalPadding,
  describeColumns,
  type SqliteColumn,
  type SqliteValue,
} from './column-types.js';
import { createLike, runCreateLike } from './create-like.js';
import { createOrReplace } from './create-or-replace.js';
import { type CreateSelect, createSelect, storedTable, tableRows } from './create-select.js';
import { findTemporary, type SharedDatabase } from './database.js';
import { dropColumn } from './drop-column.js';
import { dropView } from './drop-view.js';
import { evaluate } from './evaluate.js';
import { alterForeignKey } from './foreign-keys.js';
import { type InsertShape, insertShape } from './insert-info.js';
import { noDefaultError } from './no-default.js';
import { type EngineContext, OK, type Outcome, type ServerFacts } from './outcome.js';
import { placeColumn } from './place-column.js';
import { renameTables } from './rename-table.js';
import {
  defaultMaxResultSize,
  isTooBig,
  resultTooLarge,
  rowHeapBytes,
  valueLengthLimit,
} from './result-size.js';
import { createDatabase, dropDatabase } from './schemas.js';
import { runSet, setUserVariable, toVariableValue } from './set-statement.js';
import { describeTable, quoteIdentifier } from './show-statement.js';
import { showWithWhere } from './show-where.js';
import { tableMaintenance } from './table-maintenance.js';
import { dropTables, refuseDroppingReferenced, truncateTable } from './truncate-drop.js';

/** A statement SQLite will run, with what we need to report its outcome like MySQL. */
export interface SqliteStatement {
  stmt: StatementSync;
  names: Map<string, string>;
  /** Types for columns named after a cast's alias (`Rewritten.castTypes`, sql/rewrite.ts). */
  castTypes?: Map<string, string>;
  readOnly: boolean;
  /** INSERT/UPDATE/DELETE/REPLACE: its OK reports SQLite's change count as affected rows. */
  changesRows: boolean;
  /** INSERT/REPLACE: its OK reports the id of the rows when the table has a rowid alias. */
  insert: InsertTarget | undefined;
  /** The INSERT / REPLACE's {@link insertShape}, for its affected rows and info. */
  insertShape: InsertShape | undefined;
  /** DDL: facts read from the schema (the tables' rowid aliases) may be stale after it. */
  changesSchema: boolean;
  /** A CREATE of a temporary table, view or trigger: the name must not be another session's. */
  createsTemporary: TemporaryCreate | undefined;
  /** SELECT SQL_CALC_FOUND_ROWS … LIMIT: counts the rows without the LIMIT, for FOUND_ROWS(). */
  countWithoutLimit?: { stmt: StatementSync; params: number };
  /** A CREATE TABLE's `AUTO_INCREMENT=n`, set in sqlite_sequence once the table exists. */
  autoIncrementStart?: AutoIncrementStart;
  /** A CREATE TABLE's named indexes, made once the table exists (with it, or not at all). */
  indexes?: string[];
  /** A CREATE TABLE … AS SELECT: its OK reports the rows it stored, as an INSERT … SELECT's. */
  createSelect?: CreateSelect;
  /** The SQLite text (for error mapping). */
  text: string;
  /** Derived tables that only assign user variables, run before it ({@link initOnlyDerivedTables}). */
  before?: StatementSync[];
}

/** Statements reading an INSERT's target table ({@link Engine.targetQueries}), each prepared when first asked for. */
interface TargetQueries {
  count: () => StatementSync;
  maxRowid: () => StatementSync;
  /** The smallest rowid above its parameter. */
  minRowidAbove: () => StatementSync;
}

/** Bounds on what one statement may take. */
export interface EngineLimits {
  /** Bytes a result's rows may take on the heap ({@link rowHeapBytes}); beyond, ERR 1104. */
  maxResultSize: number;
}

/** A table's rowid-alias column. */
interface RowidAlias {
  name: string;
  /** Its position among the columns an INSERT without a column list gives. */
  position: number;
}

/** What the engine reads of a table's definition, kept until the schema may have changed. */
interface SchemaCaches {
  /** {@link Engine.rowidAlias} per `schema\0table` (null: none). */
  rowidAliases: Map<string, RowidAlias | null>;
  /** {@link Engine.targetQueries} per `schema\0table`. */
  targetQueries: Map<string, TargetQueries>;
  /** An UPDATE's table's ON UPDATE columns, per `schema as written\0session schema\0table`. */
  onUpdateColumns: Map<string, readonly OnUpdateColumn[]>;
}

const INTEGER_PARAM_TYPES = new Set<number>([
  ColumnType.TINY,
  ColumnType.SHORT,
  ColumnType.LONG,
  ColumnType.INT24,
  ColumnType.LONGLONG,
  ColumnType.YEAR,
]);

/** The server status flags of a session: autocommit and an open transaction. */
export function statusFlags(session: Session): number {
  return (
    (session.autocommit ? SERVER_STATUS_AUTOCOMMIT : 0) | (session.inTransaction ? SERVER_STATUS_IN_TRANS : 0)
  );
}

/**
 * Runs MySQL statements on the shared SQLite database: splits multi-statement text, answers
 * MySQL's own statements (SET, USE, SHOW, DESCRIBE, transaction control, CREATE/DROP DATABASE),
 * rewrites the rest into SQLite's dialect and runs it, turning errors into MySQL errors.
 */
export class Engine implements EngineContext {
  questions = 0;
  /** The rows of the table `target` writes to. */
  private targetRows(target: InsertTarget): bigint {
    return (this.targetQueries(target).count().get() as { n: bigint }).n;
  }

  /**
   * Before an upsert into `target`: a function giving, after it, the first rowid it inserted (the
   * smallest above the largest before it).
   */
  private upsertIdsAfter(target: InsertTarget): () => bigint {
    const queries = this.targetQueries(target);
    const before = (queries.maxRowid().get() as { id: bigint | null }).id ?? 0n;
    return () => (queries.minRowidAbove().get(before) as { id: bigint | null }).id ?? 0n;
  }

  readonly #caches: SchemaCaches = {
    rowidAliases: new Map(),
    targetQueries: new Map(),
    onUpdateColumns: new Map(),
  };
  #cacheGeneration = -1;

  /** The answers kept for the current schema generation, emptied when the schema may have changed. */
  private caches(): SchemaCaches {
    const generation = this.database.schemaGeneration;
    if (this.#cacheGeneration !== generation) {
      for (const cache of Object.values(this.#caches)) cache.clear();
      this.#cacheGeneration = generation;
    }
    return this.#caches;
  }

  /** The `schema\0table` key of `target` in the per-target caches. */
  private targetKey(target: InsertTarget): string {
    return `${target.schema ?? ''}\0${target.table}`;
  }

  /**
   * The statements reading the table `target` writes to, around every REPLACE and upsert (its
   * row count, before and after) — prepared once each, as SQLite's parse costs as much as a
   * small INSERT, and kept until the schema may have changed.
   */
  private targetQueries(target: InsertTarget): TargetQueries {
    const key = this.targetKey(target);
    const cache = this.caches().targetQueries;
    let queries = cache.get(key);
    if (queries === undefined) {
      const schema = target.schema === undefined ? undefined : this.database.findSchema(target.schema);
      const table = `${schema === undefined ? '' : `${quoteIdentifier(schema)}.`}${quoteIdentifier(target.table)}`;
      const lazily = (text: string) => {
        let stmt: StatementSync | undefined;
        return () => {
          if (stmt === undefined) {
            stmt = this.database.db.prepare(text);
            stmt.setReadBigInts(true);
          }
          return stmt;
        };
      };
      queries = {
        count: lazily(`SELECT COUNT(*) AS n FROM ${table}`),
        maxRowid: lazily(`SELECT MAX(rowid) AS id FROM ${table}`),
        minRowidAbove: lazily(`SELECT MIN(rowid) AS id FROM ${table} WHERE rowid > ?`),
      };
      cache.set(key, queries);
    }
    return queries;
  }

  constructor(
    readonly database: SharedDatabase,
    readonly facts: ServerFacts,
    readonly limits: EngineLimits = { maxResultSize: defaultMaxResultSize() },
  ) {
    // `@v := expr` inside a statement (see rewrite.ts): registered here, not with the database's
    // other functions, because the user variables' budget is the engine's max_result_size.
    const options = { deterministic: false, directOnly: false, useBigIntArguments: true };
    database.db.function('__setuservar', options, (name, value) => {
      const session = database.current;
      if (session !== undefined)
        setUserVariable(this, session, String(name), toVariableValue(value as SqliteValue));
      return value;
    });
  }

  /**
   * COM_QUERY: runs every statement of `sql` (several only when the session allows
   * multi-statements), writing one result per statement; stops at the first error.
   */
  query(session: Session, sql: string, out: ResponseWriter, binary = false): void {
    const tokens = tokenize(sql);
    let i = skipSemicolons(tokens, 0);
    if (i >= tokens.length) {
      out.err(1065, '42000', 'Query was empty');
      return;
    }
    if (!session.multiStatements && !startsTrigger(sql, tokens, i)) {
      const rest = skipSemicolons(tokens, nextSemicolon(tokens, i));
      if (rest < tokens.length) {
        out.err(1064, '42000', multiStatementsOff(sql, tokens[rest]!));
        return;
      }
    }
    while (i < tokens.length) {
      let next: number;
      let outcome: Outcome;
      try {
        [outcome, next] = this.runOne(session, sql, tokens, i);
        next = skipSemicolons(tokens, next);
        if (next < tokens.length && !session.multiStatements) {
          // Without CLIENT_MULTI_STATEMENTS MySQL refuses the whole text before running any of
          // it; we find out after the first statement, so refuse before running the second.
          throw new MysqlError(1064, multiStatementsOff(sql, tokens[next]!));
        }
      } catch (err) {
        const e = toMysqlError(err, sql);
        this.database.settle(session);
        out.err(e.errno, e.sqlState, e.message);
        return;
      }
      const more = next < tokens.length ? SERVER_MORE_RESULTS_EXISTS : 0;
      this.write(session, outcome, out, binary, more);
      i = next;
    }
  }

  /** Writes one statement's outcome. */
  write(session: Session, outcome: Outcome, out: ResponseWriter, binary: boolean, more = 0): void {
    const status = statusFlags(session) | more;
    if (outcome.kind === 'ok') {
      out.ok({
        affectedRows: outcome.affectedRows,
        lastInsertId: outcome.lastInsertId,
        statusFlags: status,
        info: outcome.info,
      });
    } else {
      out.resultSet(outcome.columns, outcome.rows, binary, status);
    }
  }

  /** Runs the statement starting at `tokens[i]`; returns its outcome and the index after it. */
  private runOne(session: Session, sql: string, tokens: readonly Token[], i: number): [Outcome, number] {
    this.questions++;
    refuseInvalid(sql, tokens, i, nextSemicolon(tokens, i));
    const kind = classify(sql, tokens, i);
    if (kind !== undefined) {
      const end = nextSemicolon(tokens, i);
      return [this.runMysql(kind, session, sql, tokens, i, end), end];
    }
    if (keyword(sql, tokens[i]) === 'DROP')
      refuseDroppingReferenced(
        this,
        session,
        sql,
        tokens,
        i,
        foreignKeyChecks(this.database.variable(session, 'foreign_key_checks')),
      );
    // SET FOREIGN_KEY_CHECKS = 0 (every dump starts with it: a child table's rows may come before
    // its parent table exists). SQLite's switch is read when a statement is prepared and holds
    // only outside a transaction; the connection is every session's, so it is off for this
    // statement alone.
    const db = this.database;
    // Only for a statement that cannot leave a transaction open (one would keep the switch off
    // for everybody): a write or DDL in autocommit.
    const unchecked =
      session.autocommit &&
      !session.inTransaction &&
      UNCHECKABLE.has(keyword(sql, tokens[i])) &&
      !foreignKeyChecks(db.variable(session, 'foreign_key_checks'));
    const run = (): [Outcome, number] => {
      let prepared: [SqliteStatement, number];
      try {
        prepared = this.prepareSqlite(session, sql, tokens, i, true);
      } catch (err) {
        // `DROP TABLE IF EXISTS v` of a view: MariaDB leaves the view and succeeds (with a note,
        // which this backend does not raise); SQLite refuses to prepare it (1965 without IF EXISTS).
        if (
          err instanceof MysqlError &&
          err.errno === 1965 &&
          keyword(sql, tokens[i + 2]) === 'IF' &&
          keyword(sql, tokens[i + 3]) === 'EXISTS'
        )
          return [OK, nextSemicolon(tokens, i)];
        throw err;
      }
      const [statement, next] = prepared;
      return [this.runSqlite(session, statement, undefined), next];
    };
    return unchecked ? db.withoutForeignKeys(run) : run();
  }

  /**
   * Runs `text`, a statement the engine made as one step of a client's (in that statement's
   * savepoint): as {@link runOne} would run it, but not counted as a question, and without the
   * PRAGMA foreign_keys switch (SQLite ignores it inside a transaction).
   */
  private runStep(session: Session, text: string): Outcome {
    const tokens = tokenize(text);
    const kind = classify(text, tokens, 0);
    if (kind !== undefined) return this.runMysql(kind, session, text, tokens, 0, nextSemicolon(tokens, 0));
    const [statement] = this.prepareSqlite(session, text, tokens, 0, false);
    return this.runSqlite(session, statement, undefined);
  }

  /**
   * Prepares the SQLite statement starting at `tokens[i]`. The text is cut at the next `;`
   * first; if SQLite finds it incomplete (a trigger body has semicolons of its own) more is
   * given until SQLite's parser says where the statement ends.
   */
  prepareSqlite(
    session: Session,
    sql: string,
    tokens: readonly Token[],
    i: number,
    allowTail: boolean,
  ): [SqliteStatement, number] {
    let end = nextSemicolon(tokens, i);
    for (;;) {
      const upTo = Math.min(end + 1, tokens.length);
      const rw = rewrite(sql, tokens, i, upTo, this.resolution(session));
      let stmt: StatementSync;
      try {
        stmt = this.database.db.prepare(rw.text);
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (/incomplete input/.test(message) && end < tokens.length) {
          end = nextSemicolon(tokens, end + 1);
          continue;
        }
        if ((err as { code?: string }).code === 'ERR_INVALID_ARG_VALUE')
          throw new MysqlError(1065, 'Query was empty', '42000');
        // SQLite refuses to prepare a CREATE of a name that exists: if another session's, say so.
        const created = /already exists/.test(message) ? temporaryCreate(sql, tokens, i) : undefined;
        if (created !== undefined) this.database.refuseOthersTemporary(session, created);
        throw toMysqlError(err, rw.text, session.schema ?? 'main');
      }
      const consumed = stmt.sourceSQL.length;
      let k = 0;
      while (k < upTo - i && (rw.offsets[k]! < consumed || rw.dropped[k] === 1)) k++;
      const next = i + k;
      if (!allowTail && skipSemicolons(tokens, next) < tokens.length) {
        throw new MysqlError(
          1064,
          'You have an error in your SQL syntax: a prepared statement holds one statement',
        );
      }
      const insert = insertTarget(sql, tokens, i, next);
      if (
        insert !== undefined &&
        insert.schema === undefined &&
        rw.qualified?.has(insert.table.toLowerCase())
      )
        insert.schema = session.schema!;
      return [
        {
          stmt,
          names: rw.names,
          castTypes: rw.castTypes,
          readOnly: isReadOnly(sql, tokens, i, next),
          changesRows: changesRows(sql, tokens, i, next),
          insert,
          insertShape: insert === undefined ? undefined : insertShape(insert),
          changesSchema: changesSchema(sql, tokens, i),
          createsTemporary: temporaryCreate(sql, tokens, i),
          countWithoutLimit: this.prepareCountWithoutLimit(session, sql, tokens, i, next),
          autoIncrementStart: rw.autoIncrementStart,
          indexes: rw.indexes,
          createSelect: createSelect(sql, tokens, i),
          text: rw.text,
          before: this.prepareInitOnly(session, sql, tokens, i, next),
        },
        next,
      ];
    }
  }

  /** How `session`'s unqualified table names resolve: in its schema, as MySQL's do. */
  resolution(session: Session): NameResolution {
    const db = this.database;
    let temporary: Set<string> | undefined;
    const resolution: NameResolution = {
      schema: session.schema,
      databases: () => db.schemas(),
      columnDefaults: (table) => {
        // An unqualified name is a temporary table first, as isTemporary finds it.
        const schemas = table.schema === undefined ? ['temp', session.schema] : [db.findSchema(table.schema)];
        for (const schema of schemas) {
          if (schema === null || schema === undefined) continue;
          const info = db.db
            .prepare(`PRAGMA ${quoteIdentifier(schema)}.table_xinfo(${quoteIdentifier(table.name)})`)
            .all() as { name: string; dflt_value: string | null }[];
          if (info.length > 0) return new Map(info.map((c) => [c.name.toLowerCase(), c.dflt_value]));
        }
        return undefined;
      },
      isTemporary: (name) => {
        temporary ??= new Set(
          [...db.temporaryObjects()]
            .filter((k) => !k.startsWith('trigger\0'))
            .map((k) => k.slice(k.indexOf('\0') + 1).toLowerCase()),
        );
        return temporary.has(name.toLowerCase());
      },
      onUpdateColumns: (schema, table) => {
        // Asked at every UPDATE: the table's stored text is read and parsed once per schema
        // generation (a temporary table's creation or drop is a schema change too).
        const key = `${schema ?? ''}\0${session.schema ?? ''}\0${table.toLowerCase()}`;
        const caches = this.caches();
        let columns = caches.onUpdateColumns.get(key);
        if (columns === undefined) {
          const stored =
            schema === undefined && resolution.isTemporary(table) ? 'temp' : (schema ?? session.schema);
          const text = stored === null ? undefined : db.tableText(stored, table);
          columns = text === undefined ? [] : onUpdateColumns(text);
          caches.onUpdateColumns.set(key, columns);
        }
        return columns;
      },
    };
    return resolution;
  }

  /**
   * The rowid alias of the table an INSERT writes to (`INTEGER PRIMARY KEY`, which is what
   * AUTO_INCREMENT becomes): its name and position among the columns. Into any other table the
   * rowid SQLite reports is hidden, and MySQL would report 0 and leave LAST_INSERT_ID() alone. A
   * primary key with an index of its own (any other type, several columns, DESC, WITHOUT ROWID)
   * is not a rowid alias.
   *
   * Asked after every INSERT, so the answer is cached (two PRAGMA prepares cost more than the
   * INSERT's own) until the schema may have changed (SharedDatabase.schemaGeneration).
   */
  private rowidAlias(target: InsertTarget): RowidAlias | undefined {
    const key = this.targetKey(target);
    const cache = this.caches().rowidAliases;
    let alias = cache.get(key);
    if (alias === undefined) {
      alias = this.readRowidAlias(target) ?? null;
      cache.set(key, alias);
    }
    return alias ?? undefined;
  }

  private readRowidAlias(target: InsertTarget): RowidAlias | undefined {
    const schema = target.schema === undefined ? '' : `${quoteIdentifier(target.schema)}.`;
    const table = quoteIdentifier(target.table);
    const db = this.database.db;
    const columns = db.prepare(`PRAGMA ${schema}table_info(${table})`).all() as {
      name: string;
      pk: number;
    }[];
    const position = columns.findIndex((c) => c.pk > 0);
    if (position < 0) return undefined;
    const indexes = db.prepare(`PRAGMA ${schema}index_list(${table})`).all() as { origin: string }[];
    if (indexes.some((x) => x.origin === 'pk')) return undefined;
    return { name: columns[position]!.name, position };
  }

  /**
   * For `SELECT SQL_CALC_FOUND_ROWS … LIMIT …`: the same query without its (top-level, hence
   * last) LIMIT clause, counted. It takes the parameters before the LIMIT.
   */
  private prepareCountWithoutLimit(
    session: Session,
    sql: string,
    tokens: readonly Token[],
    from: number,
    to: number,
  ): SqliteStatement['countWithoutLimit'] {
    let depth = 0;
    let calc = false;
    let limit = -1;
    for (let k = from; k < to; k++) {
      const t = tokens[k]!;
      if (t.type === TokenType.Punct) {
        if (sql[t.start] === '(') depth++;
        else if (sql[t.start] === ')') depth--;
      } else if (depth === 0) {
        const word = keyword(sql, t);
        if (word === 'SQL_CALC_FOUND_ROWS') calc = true;
        else if (word === 'LIMIT') limit = k;
      }
    }
    if (!calc || limit < 0) return undefined;
    let params = 0;
    for (let k = from; k < limit; k++) if (tokens[k]!.type === TokenType.Placeholder) params++;
    const text = rewrite(sql, tokens, from, limit, this.resolution(session)).text;
    const stmt = this.database.db.prepare(`SELECT COUNT(*) FROM (${text})`);
    stmt.setReadBigInts(true);
    stmt.setReturnArrays(true);
    return { stmt, params };
  }

  /** The SELECTs of the statement's {@link initOnlyDerivedTables}, prepared. */
  private prepareInitOnly(
    session: Session,
    sql: string,
    tokens: readonly Token[],
    from: number,
    to: number,
  ): StatementSync[] | undefined {
    if (!/:=/.test(sql.slice(tokens[from]!.start, tokens[to - 1]?.end))) return undefined;
    const ranges = initOnlyDerivedTables(sql, tokens, from, to);
    if (ranges.length === 0) return undefined;
    return ranges.map(([a, b]) =>
      this.database.db.prepare(rewrite(sql, tokens, a, b, this.resolution(session)).text),
    );
  }

  /** Runs a prepared SQLite statement for `session` with positional parameters. */
  runSqlite(session: Session, s: SqliteStatement, params: readonly DecodedParam[] | undefined): Outcome {
    const db = this.database;
    const { stmt } = s;
    const temporaryBefore = s.changesSchema ? db.temporaryObjects() : undefined;
    if (s.createsTemporary !== undefined)
      db.refuseOthersTemporary(session, s.createsTemporary, temporaryBefore);
    if (!s.readOnly) this.beginImplicitly(session);
    const args = params === undefined ? [] : params.map(bindValue);
    db.current = session;
    try {
      for (const init of s.before ?? []) init.all();
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      // DDL answers OK: SQLite's ADD COLUMN with a CHECK (an ENUM's) or NOT NULL reports the
      // column of the query it checks the rows with.
      const columns = (s.changesSchema ? [] : stmt.columns()) as SqliteColumn[];
      if (columns.length > 0) {
        const rows = this.readRows(stmt, args, columns.length, decimalPadding(columns));
        const count = s.countWithoutLimit;
        session.foundRows =
          count === undefined
            ? BigInt(rows.length)
            : (count.stmt.get(...(args.slice(0, count.params) as never[])) as unknown as [bigint])[0];
        session.rowCount = -1n;
        const described = describeColumns(columns, rows, s.names, s.castTypes);
        applyDecimalScale(described, rows);
        return { kind: 'rows', columns: described, rows: rows as SqlValue[][] };
      }
      const filled = s.createSelect === undefined ? undefined : this.filledSchema(session, s.createSelect);
      // With IF NOT EXISTS a table of the name stays as it was, and nothing is stored.
      const existed =
        filled !== undefined && s.createSelect!.ifNotExists
          ? storedTable(db.db, filled, s.createSelect!.table) !== undefined
          : false;
      const shape = s.insertShape;
      // MySQL counts the rows a REPLACE deleted as affected too; SQLite's changes leave them out.
      // An upsert's changes count a row it updated as 1, like one it inserted (MySQL: 2 and 1).
      const counted = shape?.replace || shape?.upsert;
      const rowsBefore = counted ? this.targetRows(s.insert!) : undefined;
      const idsAfter =
        shape?.upsert && this.rowidAlias(s.insert!) !== undefined
          ? this.upsertIdsAfter(s.insert!)
          : undefined;
      const result =
        s.indexes === undefined ? stmt.run(...(args as never[])) : this.createWithIndexes(s, args);
      if (s.autoIncrementStart !== undefined) this.startAutoIncrement(s.autoIncrementStart);
      if (filled !== undefined && !existed) {
        const stored = storedTable(db.db, filled, s.createSelect!.table);
        const rows = stored === undefined ? 0n : tableRows(db.db, filled, stored);
        session.rowCount = rows;
        const info = `Records: ${rows}  Duplicates: 0  Warnings: 0`;
        return { kind: 'ok', affectedRows: Number(rows), lastInsertId: 0n, info };
      }
      let inserted = s.changesRows ? BigInt(result.changes) : 0n;
      let deleted = rowsBefore === undefined ? 0n : inserted - (this.targetRows(s.insert!) - rowsBefore);
      let changes = inserted + deleted;
      let info: [bigint, bigint] = [inserted, deleted];
      if (shape?.upsert) {
        // `deleted` is the rows updated (changed); the unchanged ones SQLite's DO UPDATE skipped.
        const updated = deleted;
        inserted -= updated;
        deleted = 0n;
        const unchanged = shape.rows === undefined ? 0n : BigInt(shape.rows) - inserted - updated;
        const found = session.clientFoundRows ? unchanged : 0n;
        changes = inserted + 2n * updated + found;
        // MariaDB's Duplicates are the rows updated, and those left as they were when found rows
        // count (insertInfo takes the rows not duplicates for a VALUES list).
        info =
          shape.rows === undefined
            ? [inserted + updated, updated]
            : [BigInt(shape.rows) - updated - found, 0n];
      }
      session.rowCount = changes;
      let lastInsertId = 0n;
      const alias = s.insert !== undefined && inserted > 0n ? this.rowidAlias(s.insert) : undefined;
      if (alias !== undefined) {
        const last = BigInt(result.lastInsertRowid);
        if (idsGenerated(s.insert!, alias.name, alias.position, (k) => params?.[k]?.value == null)) {
          // MySQL reports the first id it generated, and LAST_INSERT_ID() returns it; the rowids
          // SQLite numbered are consecutive (max + 1).
          // An upsert's rows that updated used up rowids between them: the first is looked up.
          const first = idsAfter === undefined ? last - inserted + 1n : idsAfter();
          if (first > 0n) {
            session.lastInsertId = first;
            lastInsertId = first;
          }
        } else {
          // The rows gave their ids (or some may have): MySQL reports the last one given and
          // leaves LAST_INSERT_ID() alone. (For a mix it would report the first generated id,
          // which SQLite does not tell.)
          lastInsertId = last;
        }
      }
      // `ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)` of a row: MariaDB's OK gives the id.
      if (shape?.setsInsertId && inserted === 0n) lastInsertId = session.lastInsertId;
      return {
        kind: 'ok',
        affectedRows: Number(changes),
        lastInsertId,
        info: insertInfo(shape, ...info),
      };
    } catch (err) {
      throw noDefaultError(err, s.text) ?? toMysqlError(err, s.text, session.schema ?? 'main');
    } finally {
      db.current = undefined;
      if (temporaryBefore !== undefined) {
        db.schemaChanged();
        db.temporaryChanged(session, temporaryBefore);
      }
      db.settle(session);
    }
  }

  /** The SQLite schema a CREATE TABLE … AS SELECT makes its table in. */
  private filledSchema(session: Session, c: CreateSelect): string {
    if (c.schema === undefined) return session.schema ?? 'main';
    return this.database.findSchema(c.schema) ?? c.schema;
  }

  /**
   * Runs a CREATE TABLE and then its indexes, in a savepoint: an index that cannot be made (a
   * UNIQUE the rows of `CREATE TABLE … SELECT` break) takes the table with it, as in MySQL.
   */
  private createWithIndexes(s: SqliteStatement, args: unknown[]): ReturnType<StatementSync['run']> {
    const db = this.database.db;
    db.exec('SAVEPOINT scalestack_create_table');
    try {
      const result = s.stmt.run(...(args as never[]));
      for (const index of s.indexes!) db.exec(index);
      db.exec('RELEASE scalestack_create_table');
      return result;
    } catch (e) {
      db.exec('ROLLBACK TO scalestack_create_table');
      db.exec('RELEASE scalestack_create_table');
      throw e;
    }
  }

  /**
   * The rows of a result, refused with 1104 once they would take more than max_result_size
   * bytes: held whole (the column types come from the values), a larger one would exhaust the
   * heap, which aborts the process. `extraPerRow`: bytes each row will grow by after it is read
   * (DECIMAL values padded to their scale).
   */
  private readRows(
    stmt: StatementSync,
    args: unknown[],
    columns: number,
    extraPerRow: number,
  ): SqliteValue[][] {
    const limit = this.limits.maxResultSize;
    const db = this.database;
    const rows: SqliteValue[][] = [];
    let bytes = 0;
    // node:sqlite hands over a row only once it has made every value of it, so each value is
    // capped in SQLite first (SQLITE_TOOBIG): to what lets a whole row fit in the budget left.
    // Set a little below that, it needs setting again only after an eighth of what is left.
    let cap = 0;
    const lowerCap = () => {
      const allowed = valueLengthLimit(limit - bytes, columns);
      if (allowed >= cap && cap > 0) return;
      cap = Math.floor((allowed * 7) / 8);
      db.setLengthLimit(cap);
    };
    lowerCap();
    try {
      // Breaking out of the loop (the throw) ends the iterator, which resets the statement.
      for (const row of stmt.iterate(...(args as never[])) as unknown as Iterable<SqliteValue[]>) {
        bytes += rowHeapBytes(row) + extraPerRow;
        if (bytes > limit) throw resultTooLarge(limit);
        rows.push(row);
        lowerCap();
      }
    } catch (err) {
      if (isTooBig(err)) throw resultTooLarge(limit, true);
      throw err;
    } finally {
      db.restoreLengthLimit();
    }
    return rows;
  }

  /**
   * `AUTO_INCREMENT=n`: SQLite's AUTOINCREMENT hands out one more than the table's row in
   * sqlite_sequence. Not for a table that already had one (`CREATE TABLE IF NOT EXISTS` of a table
   * in use), as MySQL leaves an existing table alone.
   */
  private startAutoIncrement({ schema, table, next }: AutoIncrementStart): void {
    if (next < 1n) return;
    const sequence = `${quoteIdentifier(schema ?? 'main')}.sqlite_sequence`;
    this.database.db
      .prepare(
        `INSERT INTO ${sequence} (name, seq) SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM ${sequence} WHERE name = ?1)`,
      )
      .run(table, next - 1n);
  }

  atomically(session: Session, steps: () => void): void {
    const db = this.database;
    const before = db.temporaryObjects();
    this.beginImplicitly(session);
    db.db.exec(`SAVEPOINT ${ATOMIC_SAVEPOINT}`);
    try {
      steps();
      db.db.exec(`RELEASE ${ATOMIC_SAVEPOINT}`);
    } catch (e) {
      db.db.exec(`ROLLBACK TO ${ATOMIC_SAVEPOINT}`);
      db.db.exec(`RELEASE ${ATOMIC_SAVEPOINT}`);
      throw e;
    } finally {
      db.schemaChanged();
      db.temporaryChanged(session, before);
      db.settle(session);
    }
  }

  /** With autocommit off, a statement that writes opens a transaction (MySQL's implicit one). */
  private beginImplicitly(session: Session): void {
    if (session.autocommit || session.inTransaction) return;
    this.database.db.exec('BEGIN');
    this.database.settle(session);
  }

  /** Runs one of the statements we answer ourselves, `tokens[from, to)`. */
  runMysql(
    kind: MysqlStatement,
    session: Session,
    sql: string,
    tokens: readonly Token[],
    from: number,
    to: number,
  ): Outcome {
    const db = this.database;
    switch (kind) {
      case 'set':
        return runSet(this, session, sql, tokens, from, to);
      case 'show':
        return showWithWhere(this, session, sql, tokens, from, to);
      case 'describe':
        return describeTable(this, session, sql, tokens, from + 1, to);
      case 'use': {
        const t = tokens[from + 1];
        if (t === undefined || from + 1 >= to)
          throw new MysqlError(1064, 'You have an error in your SQL syntax: USE <database>');
        this.useSchema(session, identifierValue(sql, t));
        return OK;
      }
      case 'begin':
        if (session.inTransaction) db.db.exec('COMMIT');
        db.db.exec('BEGIN');
        db.settle(session);
        return OK;
      case 'commit':
      case 'rollback':
        if (session.inTransaction) db.db.exec(kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
        db.settle(session, kind === 'commit');
        return OK;
      case 'create-database':
        return createDatabase(db, sql, tokens, from, to);
      case 'drop-database':
        return dropDatabase(db, session, sql, tokens, from, to);
      case 'drop-temporary':
        return this.dropTemporary(session, sql, tokens, from, to);
      case 'drop-view':
        return dropView(this, session, sql, tokens, from, to);
      case 'no-op':
        return OK;
      case 'do':
        evaluate(this, session, sql, tokens, from + 1, to);
        return OK;
      case 'kill':
        return this.kill(session, sql, tokens, from, to);
      case 'change-column':
        return changeColumn(db, session, sql, tokens, from, to, (name) =>
          this.resolution(session).isTemporary(name),
        );
      case 'column-default':
        return changeDefault(db, session, sql, tokens, from, to, (name) =>
          this.resolution(session).isTemporary(name),
        );
      case 'drop-index':
        return this.dropIndex(session, sql, tokens, from, to);
      case 'create-or-replace':
        return createOrReplace(
          this,
          session,
          sql,
          tokens,
          from,
          to,
          (text) => this.runStep(session, text),
          (text) => {
            this.prepareSqlite(session, text, tokenize(text), 0, false);
          },
        );
      case 'rename-table':
        return renameTables(this, session, sql, tokens, from, to);
      case 'create-like':
        return runCreateLike(this, session, createLike(sql, tokens, from)!);
      case 'foreign-key':
        return alterForeignKey(
          db,
          session,
          sql,
          tokens,
          from,
          to,
          (name) => this.resolution(session).isTemporary(name),
          foreignKeyChecks(db.variable(session, 'foreign_key_checks')),
        );
      case 'truncate':
      case 'drop-tables':
        return (kind === 'truncate' ? truncateTable : dropTables)(
          this,
          session,
          sql,
          tokens,
          from,
          to,
          foreignKeyChecks(db.variable(session, 'foreign_key_checks')),
        );
      case 'add-primary-key':
        return addPrimaryKey(this, session, sql, tokens, from, to);
      case 'alter-list':
        return runAlterList(this, session, sql, tokens, from, (text) => this.runStep(session, text));
      case 'place-column':
        return placeColumn(this, session, sql, tokens, from, to, (text) => this.runStep(session, text));
      case 'drop-column':
        return dropColumn(this, session, sql, tokens, from, () =>
          this.runSqlite(session, this.prepareSqlite(session, sql, tokens, from, true)[0], undefined),
        );
      case 'table-maintenance':
        return tableMaintenance(this, session, sql, tokens, from, to);
      case 'refused': {
        const what = keyword(sql, tokens[from]) === 'VACUUM' ? 'VACUUM INTO' : keyword(sql, tokens[from]);
        throw notSupported(what, ': databases are made with CREATE DATABASE and dropped with DROP DATABASE');
      }
    }
  }

  /**
   * `DROP INDEX name ON t` / `ALTER TABLE t DROP INDEX name`: SQLite's DROP INDEX names no table,
   * so the index is first checked to be that table's (MySQL's 1091 otherwise).
   */
  private dropIndex(
    session: Session,
    sql: string,
    tokens: readonly Token[],
    from: number,
    to: number,
  ): Outcome {
    const drop = indexDrop(sql, tokens, from, to)!;
    const db = this.database;
    let schema: string | undefined;
    if (drop.schema !== undefined) {
      schema = db.findSchema(drop.schema);
      if (schema === undefined) throw new MysqlError(1049, `Unknown database '${drop.schema}'`);
    } else if (this.resolution(session).isTemporary(drop.table)) schema = 'temp';
    else if (session.schema === null) throw noDatabaseSelected();
    else schema = session.schema;
    const q = quoteIdentifier(schema);
    // The table's own (MySQL-made: `<table>.<name>`), else one SQLite's own CREATE INDEX made.
    const lookup = db.db.prepare(
      `SELECT name, tbl_name FROM ${q}.sqlite_schema WHERE type = 'index' AND name = ? COLLATE NOCASE`,
    );
    const index = (lookup.get(sqliteIndexName(drop.table, drop.index)) ?? lookup.get(drop.index)) as
      | { name: string; tbl_name: string }
      | undefined;
    if (index === undefined || index.tbl_name.toLowerCase() !== drop.table.toLowerCase())
      throw new MysqlError(1091, `Can't DROP INDEX \`${drop.index}\`; check that it exists`, '42000');
    db.db.exec(`DROP INDEX ${q}.${quoteIdentifier(index.name)}`);
    db.schemaChanged();
    return OK;
  }

  /** True when `sql` is a lone KILL (it runs without waiting for the database). */
  isLoneKill(sql: string): boolean {
    const tokens = tokenize(sql);
    const i = skipSemicolons(tokens, 0);
    return (
      classify(sql, tokens, i) === 'kill' && skipSemicolons(tokens, nextSemicolon(tokens, i)) >= tokens.length
    );
  }

  /** `KILL [CONNECTION | QUERY] id`. */
  private kill(session: Session, sql: string, tokens: readonly Token[], from: number, to: number): Outcome {
    let i = from + 1;
    const option = keyword(sql, tokens[i]);
    if (option === 'CONNECTION' || option === 'QUERY') i++;
    if (i >= to)
      throw new MysqlError(1064, 'You have an error in your SQL syntax: KILL [CONNECTION | QUERY] <id>');
    const value = evaluate(this, session, sql, tokens, i, to);
    const id = typeof value === 'bigint' || typeof value === 'number' ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(id) || !this.facts.kill(id, option === 'QUERY'))
      throw new MysqlError(1094, `Unknown thread id: ${String(value)}`, 'HY000');
    return OK;
  }

  /**
   * COM_STMT_PREPARE: one statement with `?` placeholders. SQLite statements are compiled now;
   * our own statements (SHOW, SET…) are kept as text and answered at execute time.
   */
  prepareStatement(session: Session, sql: string, statementId: number): PreparedStatement {
    const tokens = tokenize(sql);
    const start = skipSemicolons(tokens, 0);
    if (start >= tokens.length) throw new MysqlError(1065, 'Query was empty', '42000');
    refuseInvalid(sql, tokens, start, tokens.length);
    let params = 0;
    for (const t of tokens) if (t.type === TokenType.Placeholder) params++;
    const kind = classify(sql, tokens, start);
    if (kind !== undefined) {
      const end = nextSemicolon(tokens, start);
      if (skipSemicolons(tokens, end) < tokens.length) {
        throw new MysqlError(
          1064,
          'You have an error in your SQL syntax: a prepared statement holds one statement',
        );
      }
      if (params > 0) {
        throw notSupported(`placeholders in ${kind.toUpperCase()}`);
      }
      return {
        state: preparedStatementState(statementId, 0, 0),
        columns: [],
        mysql: { kind, sql, tokens, end },
      };
    }
    const [sqlite] = this.prepareSqlite(session, sql, tokens, start, false);
    const columns = describeColumns(
      sqlite.stmt.columns() as SqliteColumn[],
      [],
      sqlite.names,
      sqlite.castTypes,
    );
    return { state: preparedStatementState(statementId, params, columns.length), columns, sqlite };
  }

  /** COM_STMT_EXECUTE: runs a prepared statement with decoded parameters. */
  executeStatement(session: Session, ps: PreparedStatement, params: readonly DecodedParam[]): Outcome {
    this.questions++;
    if (ps.sqlite !== undefined) return this.runSqlite(session, ps.sqlite, params);
    const m = ps.mysql!;
    return this.runMysql(m.kind, session, m.sql, m.tokens, skipSemicolons(m.tokens, 0), m.end);
  }

  /** USE / COM_INIT_DB: `main` or an attached database; 1049 otherwise. */
  useSchema(session: Session, name: string): void {
    const schema = this.database.findSchema(name);
    if (schema === undefined) throw new MysqlError(1049, `Unknown database '${name}'`);
    session.schema = schema;
  }

  /**
   * `DROP TEMPORARY TABLE[S] [IF EXISTS] t [, t]…`: drops temporary tables only, never a permanent
   * table of the name (whatever schema names them: the temp schema is one for all), nor another
   * live session's temporary table. As in MySQL 8 (atomic DDL) a missing table, without IF EXISTS,
   * fails the statement with 1051 naming the missing ones, and nothing is dropped.
   */
  private dropTemporary(
    session: Session,
    sql: string,
    tokens: readonly Token[],
    from: number,
    to: number,
  ): Outcome {
    const { ifExists, tables } = dropTemporaryTables(sql, tokens, from, to);
    const db = this.database;
    const before = db.temporaryObjects();
    // Another session's table is not there for this one (MySQL gives each session its own), and
    // dropping it would pull it from under its owner.
    const keys = tables.map((t) => {
      const key = findTemporary(before, ['table'], t.name);
      return key !== undefined && db.othersTemporary(session, key) ? undefined : key;
    });
    const missing = tables.filter((_, k) => keys[k] === undefined);
    if (missing.length > 0 && !ifExists) {
      const names = missing.map((t) => {
        const schema = t.schema ?? session.schema;
        return schema === null ? t.name : `${schema}.${t.name}`;
      });
      throw new MysqlError(1051, `Unknown table '${names.join(',')}'`, '42S02');
    }
    // As stored (`t1, T1` names one table once).
    const names = new Set<string>();
    for (const key of keys) if (key !== undefined) names.add(key.slice(key.indexOf('\0') + 1));
    if (names.size === 0) return OK;
    this.beginImplicitly(session);
    try {
      this.dropAllOrNone([...names]);
    } finally {
      db.schemaChanged();
      db.temporaryChanged(session, before);
      db.settle(session);
    }
    return OK;
  }

  /** Drops temporary tables `names`, all or none: a foreign key may refuse one after others went. */
  private dropAllOrNone(names: readonly string[]): void {
    const db = this.database.db;
    db.exec(`SAVEPOINT ${DROP_TEMPORARY_SAVEPOINT}`);
    let text = '';
    try {
      for (const name of names) {
        text = `DROP TABLE temp.${quoteIdentifier(name)}`;
        db.exec(text);
      }
    } catch (err) {
      db.exec(`ROLLBACK TO ${DROP_TEMPORARY_SAVEPOINT}`);
      // With the DROP's text: a foreign key failing it is a parent row's (1451), not a child's.
      throw toMysqlError(err, text);
    } finally {
      db.exec(`RELEASE ${DROP_TEMPORARY_SAVEPOINT}`);
    }
  }
}

/** The savepoint that makes the steps of one statement ({@link Engine.atomically}) all or none. */
const ATOMIC_SAVEPOINT = 'scalestack_statement';

/** The savepoint that makes a DROP TEMPORARY TABLE of several tables drop all of them or none. */
const DROP_TEMPORARY_SAVEPOINT = 'scalestack_drop_temporary';

/** 1064 for text the lexer could not read as MariaDB does (an executable comment left open…). */
function refuseInvalid(sql: string, tokens: readonly Token[], from: number, to: number): void {
  const bad = invalidToken(tokens, from, to + 1);
  if (bad === undefined) return;
  throw new MysqlError(
    1064,
    `You have an error in your SQL syntax: an executable comment that is not closed, nested in another, or with a version of 1 to 4 digits, near '${sql.slice(bad.start, bad.start + 40)}'`,
  );
}

function multiStatementsOff(sql: string, at: Token): string {
  return `You have an error in your SQL syntax: multi-statements are off for this connection; near '${sql.slice(at.start, at.start + 40)}'`;
}

/** CREATE [TEMP] TRIGGER: its body holds semicolons of its own. */
function startsTrigger(sql: string, tokens: readonly Token[], i: number): boolean {
  if (keyword(sql, tokens[i]) !== 'CREATE') return false;
  const k1 = keyword(sql, tokens[i + 1]);
  return (
    k1 === 'TRIGGER' || ((k1 === 'TEMP' || k1 === 'TEMPORARY') && keyword(sql, tokens[i + 2]) === 'TRIGGER')
  );
}

function bindValue(p: DecodedParam): unknown {
  const v = p.value;
  if (typeof v === 'number' && INTEGER_PARAM_TYPES.has(p.type) && Number.isInteger(v)) return BigInt(v);
  return v;
}

/** Index of the next `;` token from `i` (or the end). */
function nextSemicolon(tokens: readonly Token[], i: number): number {
  while (i < tokens.length && tokens[i]!.type !== TokenType.Semicolon) i++;
  return i;
}

function skipSemicolons(tokens: readonly Token[], i: number): number {
  while (i < tokens.length && tokens[i]!.type === TokenType.Semicolon) i++;
  return i;
}

/** Statements that may run with foreign keys unchecked (FOREIGN_KEY_CHECKS = 0). */
const UNCHECKABLE = new Set(['INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP']);

/** Whether a `foreign_key_checks` value means on (MySQL takes 1/0 and ON/OFF). */
function foreignKeyChecks(value: unknown): boolean {
  const v = String(value).toUpperCase();
  return v !== '0' && v !== 'OFF' && v !== 'FALSE';
}

/**
 * MariaDB's info text for an INSERT or REPLACE of several rows (`Records: n  Duplicates: d
 * Warnings: 0`): the rows given, and those INSERT IGNORE skipped or REPLACE's deleted rows (the
 * rows deleted, where MariaDB counts the rows that replaced any). Undefined for a single row, and
 * for INSERT IGNORE … SELECT (how many rows the SELECT gave is not known).
 */
function insertInfo(shape: InsertShape | undefined, inserted: bigint, deleted: bigint): string | undefined {
  if (shape === undefined || shape.rows === 1) return undefined;
  // The backend raises no warnings (MariaDB's INSERT IGNORE warns of each row it skips).
  if (shape.rows !== undefined) {
    const rows = BigInt(shape.rows);
    return `Records: ${rows}  Duplicates: ${shape.replace ? deleted : rows - inserted}  Warnings: 0`;
  }
  if (shape.ignore) return undefined;
  return `Records: ${inserted}  Duplicates: ${deleted}  Warnings: 0`;
}
