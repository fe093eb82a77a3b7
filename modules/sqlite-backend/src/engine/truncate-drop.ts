import { MysqlError, noDatabaseSelected, notSupported, toMysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { isPunct, keyword, type TableName, type Token, tableName } from '../sql/lexer.js';
import { findTemporary, type SharedDatabase } from './database.js';
import { readDropList } from './drop-list.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';

/** Where a name an unqualified or qualified statement gives is stored, and what it is there. */
interface Located {
  /** The SQLite schema (`temp` for the session's temporary table). */
  schema: string;
  /** The name as stored. */
  name: string;
  type: 'table' | 'view';
}

/**
 * What `named` is: the session's own temporary table of the name first (it hides the others, as
 * in MariaDB; another session's is not there for this one), else the table or view in the
 * database it names or the session's. Undefined when there is none, also for an unknown
 * database. 1046 for an unqualified name without a database.
 */
export function locate(ctx: EngineContext, session: Session, named: TableName): Located | undefined {
  const db = ctx.database;
  if (named.schema === undefined) {
    const key = findTemporary(db.temporaryObjects(), ['table'], named.name);
    if (key !== undefined && !db.othersTemporary(session, key))
      return { schema: 'temp', name: key.slice(key.indexOf('\0') + 1), type: 'table' };
  }
  const wanted = named.schema ?? session.schema;
  if (wanted === null) throw noDatabaseSelected();
  const schema = db.findSchema(wanted);
  if (schema === undefined) return undefined;
  const row = db.db
    .prepare(
      `SELECT type, name FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
    )
    .get(named.name) as { type: 'table' | 'view'; name: string } | undefined;
  return row === undefined ? undefined : { schema, ...row };
}

/** `db.name` as MariaDB names a table in its messages: the database as written, else the session's. */
export function shown(session: Session, named: TableName): string {
  return `${named.schema ?? session.schema}.${named.name}`;
}

/**
 * Runs `steps` with SQLite's foreign keys off when the session has FOREIGN_KEY_CHECKS = 0 — only
 * possible outside a transaction (SQLite ignores the switch inside one), and put back after, as
 * the connection is every session's.
 */
function withForeignKeys(ctx: EngineContext, session: Session, checks: boolean, steps: () => void): void {
  try {
    if (!checks && !ctx.database.db.isTransaction) ctx.database.withoutForeignKeys(steps);
    else steps();
  } finally {
    ctx.database.settle(session);
  }
}

/**
 * `TRUNCATE [TABLE] t`, `tokens[from, to)`: SQLite has no TRUNCATE. The rows are deleted and the
 * table's AUTO_INCREMENT counter (its row in sqlite_sequence) forgotten, so ids start at 1 again
 * — also for a table made with `AUTO_INCREMENT=n`, as MariaDB's InnoDB does. As in MariaDB: 0 rows
 * affected; 1146 for a view, an unknown table or database; 1701 for a table another table's
 * foreign key references (unless FOREIGN_KEY_CHECKS = 0); and, being DDL there, it commits the
 * open transaction first, and itself (also of a temporary table, and with autocommit off). SQLite
 * runs the table's DELETE triggers (MariaDB's TRUNCATE fires none).
 */
export function truncateTable(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  foreignKeyChecks: boolean,
): Outcome {
  let i = from + 1;
  if (keyword(sql, tokens[i]) === 'TABLE') i++;
  const named = i < to ? tableName(sql, tokens, i) : undefined;
  if (named === undefined || named.next < to)
    throw new MysqlError(1064, 'You have an error in your SQL syntax: TRUNCATE [TABLE] <name>', '42000');
  const table = locate(ctx, session, named.table);
  if (table === undefined || table.type !== 'table')
    throw new MysqlError(1146, `Table '${shown(session, named.table)}' doesn't exist`, '42S02');
  const db = ctx.database;
  const q = quoteIdentifier(table.schema);
  // A table referencing itself does not count (MariaDB truncates it).
  const child = foreignKeyChecks ? referencedByOther(ctx, table) : undefined;
  if (child !== undefined)
    throw new MysqlError(
      1701,
      `Cannot truncate a table referenced in a foreign key constraint (\`${shown(session, { schema: undefined, name: child })}\` references \`${table.name}\`)`,
      '42000',
    );
  if (session.inTransaction) {
    db.db.exec('COMMIT');
    db.settle(session, true);
  }
  const steps = () => {
    const data = `${q}.${quoteIdentifier(table.name)}`;
    let text = `DELETE FROM ${data}`;
    try {
      db.db.exec(text);
      if (
        db.db.prepare(`SELECT 1 FROM ${q}.sqlite_schema WHERE name = 'sqlite_sequence'`).get() !== undefined
      ) {
        text = `DELETE FROM ${q}.sqlite_sequence WHERE name = ?`;
        db.db.prepare(text).run(table.name);
      }
    } catch (err) {
      throw toMysqlError(err, text, session.schema ?? 'main');
    }
  };
  withForeignKeys(ctx, session, foreignKeyChecks, () => inSavepoint(ctx, steps));
  session.rowCount = 0n;
  return OK;
}

/**
 * A table whose foreign key references `table` (as stored) in SQLite's schema `schema`, or
 * undefined; `table` itself counts only when `itself`. SQLite keeps a foreign key in the child's
 * definition, naming its parent table in the same schema.
 */
export function referencingTable(
  db: SharedDatabase,
  schema: string,
  table: string,
  itself: boolean,
): string | undefined {
  const row = db.db.prepare(`${referencing(schema)} LIMIT 1`).get(schema, table, itself ? 1 : 0) as
    | { name: string }
    | undefined;
  return row?.name;
}

/** Every table other than `table` whose foreign keys reference it, as {@link referencingTable} finds one, with its CREATE text. */
export function referencingTables(
  db: SharedDatabase,
  schema: string,
  table: string,
): { name: string; sql: string }[] {
  const rows = db.db.prepare(referencing(schema)).all(schema, table, 0) as { name: string; sql: string }[];
  // A row per foreign key: a table with several keys to `table` once.
  return [...new Map(rows.map((r) => [r.name, r])).values()];
}

/** The tables of `schema` whose foreign keys reference ?2 (?1: the schema; ?3: ?2 itself counts). */
function referencing(schema: string): string {
  return `SELECT m.name AS name, m.sql AS sql FROM ${quoteIdentifier(schema)}.sqlite_schema m, pragma_foreign_key_list(m.name, ?1) f
       WHERE m.type = 'table' AND f."table" = ?2 COLLATE NOCASE AND (?3 OR m.name <> ?2 COLLATE NOCASE)`;
}

/** A table other than `table` itself whose foreign key references `table`, or undefined. */
function referencedByOther(ctx: EngineContext, table: Located): string | undefined {
  return referencingTable(ctx.database, table.schema, table.name, false);
}

/**
 * The refusal of dropping `table` while another table's foreign key references it, as MariaDB
 * refuses it (1451), or undefined. SQLite's DROP deletes the rows first, running the children's
 * ON DELETE CASCADE / SET NULL (their rows were lost). With FOREIGN_KEY_CHECKS = 0 MariaDB drops
 * it and leaves the children be, which SQLite cannot do inside a transaction (its foreign keys
 * stay on there): 1235 then.
 */
function dropRefusal(ctx: EngineContext, table: Located, foreignKeyChecks: boolean): MysqlError | undefined {
  if (!foreignKeyChecks && !ctx.database.db.isTransaction) return undefined;
  if (referencedByOther(ctx, table) === undefined) return undefined;
  return foreignKeyChecks
    ? new MysqlError(1451, 'Cannot delete or update a parent row: a foreign key constraint fails', '23000')
    : notSupported(
        "DROP TABLE of a table other tables' foreign keys reference, with FOREIGN_KEY_CHECKS = 0 inside a transaction",
      );
}

/**
 * A single `DROP TABLE [IF EXISTS] t`, which SQLite runs, at `tokens[from]`: refused first when
 * another table's foreign key references t (see dropRefusal; a list is {@link dropTables}').
 */
export function refuseDroppingReferenced(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  foreignKeyChecks: boolean,
): void {
  const named = firstDropped(sql, tokens, from);
  if (named === undefined) return;
  const found = locate(ctx, session, named.table);
  if (found?.type !== 'table') return;
  const refusal = dropRefusal(ctx, found, foreignKeyChecks);
  if (refusal !== undefined) throw refusal;
}

/** `steps` all or none, in a savepoint: outside a transaction, committed when it is released. */
function inSavepoint(ctx: EngineContext, steps: () => void): void {
  const db = ctx.database.db;
  db.exec(`SAVEPOINT ${SAVEPOINT}`);
  try {
    steps();
    db.exec(`RELEASE ${SAVEPOINT}`);
  } catch (e) {
    db.exec(`ROLLBACK TO ${SAVEPOINT}`);
    db.exec(`RELEASE ${SAVEPOINT}`);
    throw e;
  }
}

const SAVEPOINT = 'scalestack_truncate_drop';

/**
 * Whether `DROP TABLE[S] …` at `tokens[from]` names several tables (a comma follows a name):
 * SQLite drops one per statement, so those are {@link dropTables}'; one name goes to SQLite.
 */
export function dropsSeveralTables(sql: string, tokens: readonly Token[], from: number): boolean {
  const named = firstDropped(sql, tokens, from);
  return named !== undefined && isPunct(sql, tokens[named.next], ',');
}

/** The first name of `DROP TABLE[S] [IF EXISTS] t…` at `tokens[from]`, or undefined for another statement. */
function firstDropped(sql: string, tokens: readonly Token[], from: number): ReturnType<typeof tableName> {
  const k1 = keyword(sql, tokens[from + 1]);
  if (k1 !== 'TABLE' && k1 !== 'TABLES') return undefined;
  let i = from + 2;
  if (keyword(sql, tokens[i]) === 'IF' && keyword(sql, tokens[i + 1]) === 'EXISTS') i += 2;
  return tableName(sql, tokens, i);
}

/**
 * `DROP TABLE[S] [IF EXISTS] t1, t2… [RESTRICT | CASCADE]`, `tokens[from, to)`, as MariaDB runs it:
 * a name given twice (exactly) is 1066 before anything is dropped; then every table there is
 * dropped, one by one (not all or none), and the statement fails after that — with the first
 * drop that failed (a foreign key), else 1965 for the first view listed, else 1051 naming every
 * unknown table — unless IF EXISTS skips views and unknown names (MariaDB adds notes; this
 * backend raises none). An unqualified name is the session's temporary table first.
 */
export function dropTables(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  foreignKeyChecks: boolean,
): Outcome {
  const { ifExists, names } = readDropList(sql, tokens, from, to, 'TABLE');
  // MariaDB compares the names as written (its table names are case-sensitive on Linux): `t, T`
  // is two names, and here the second is then unknown, as there.
  const seen = new Set<string>();
  for (const named of names) {
    const key = `${named.schema ?? session.schema}\0${named.name}`;
    if (seen.has(key)) throw new MysqlError(1066, `Not unique table/alias: '${named.name}'`, '42000');
    seen.add(key);
  }
  let view: string | undefined;
  const unknown: string[] = [];
  let failed: unknown;
  withForeignKeys(ctx, session, foreignKeyChecks, () => {
    for (const named of names) {
      // Looked up as it comes: a table named twice in other letters is dropped once.
      const found = locate(ctx, session, named);
      const refusal = found?.type === 'table' ? dropRefusal(ctx, found, foreignKeyChecks) : undefined;
      if (found === undefined) unknown.push(shown(session, named));
      else if (found.type === 'view') view ??= shown(session, named);
      else if (refusal !== undefined) failed ??= refusal;
      else {
        const text = `DROP TABLE ${quoteIdentifier(found.schema)}.${quoteIdentifier(found.name)}`;
        try {
          ctx.atomically(session, () => ctx.database.db.exec(text));
        } catch (err) {
          failed ??= toMysqlError(err, text, session.schema ?? 'main');
        }
      }
    }
  });
  if (failed !== undefined) throw failed;
  if (ifExists) return OK;
  if (view !== undefined) throw new MysqlError(1965, `'${view}' is a view`, '42S02');
  if (unknown.length > 0) throw new MysqlError(1051, `Unknown table '${unknown.join(',')}'`, '42S02');
  return OK;
}
