import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { keyword, type TableName, type Token, tableName } from '../sql/lexer.js';
import { afterViewClauses } from '../sql/view-clauses.js';
import type { EngineContext, Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';
import { tableSchema } from './table-text.js';

/** Whether `tokens[i…]` is MariaDB's `CREATE OR REPLACE [TEMPORARY] TABLE` or `… VIEW`. */
export function isCreateOrReplace(sql: string, tokens: readonly Token[], i: number): boolean {
  if (keyword(sql, tokens[i]) !== 'CREATE' || keyword(sql, tokens[i + 1]) !== 'OR') return false;
  if (keyword(sql, tokens[i + 2]) !== 'REPLACE') return false;
  const k3 = keyword(sql, tokens[afterViewClauses(sql, tokens, i + 3)]);
  return (
    k3 === 'TABLE' ||
    k3 === 'VIEW' ||
    ((k3 === 'TEMPORARY' || k3 === 'TEMP') && keyword(sql, tokens[i + 4]) === 'TABLE')
  );
}

/**
 * `CREATE OR REPLACE [TEMPORARY] TABLE t …` (`tokens[from, to)`), which MariaDB runs as `DROP
 * [TEMPORARY] TABLE IF EXISTS t` then the CREATE (`… AS SELECT` and `… LIKE` too), and `CREATE OR
 * REPLACE VIEW v …`, likewise with DROP VIEW: SQLite knows no OR REPLACE, so `run` runs those
 * two statements' texts, all or none. A view's query is then checked by `prepare` (SQLite
 * resolves the view's names when a query using it is prepared).
 */
export function createOrReplace(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  run: (text: string) => Outcome,
  prepare: (text: string) => void,
): Outcome {
  // A view's ALGORITHM / DEFINER / SQL SECURITY stay in the CREATE run, whose rewrite drops them.
  const kind = afterViewClauses(sql, tokens, from + 3);
  const k3 = keyword(sql, tokens[kind]);
  const view = k3 === 'VIEW';
  const temporary = !view && k3 !== 'TABLE';
  const at = kind + (temporary ? 2 : 1);
  if (keyword(sql, tokens[at]) === 'IF')
    throw new MysqlError(1221, 'Incorrect usage of OR REPLACE and IF NOT EXISTS', 'HY000');
  const named = tableName(sql, tokens, at);
  if (named === undefined)
    throw new MysqlError(1064, `You have an error in your SQL syntax: CREATE OR REPLACE ${k3} <name> …`);
  // SQLite's DROP VIEW of a table fails with a message of its own; MariaDB names the type.
  if (view) refuseTable(ctx, session, named.table);
  const name = sql.slice(tokens[at]!.start, tokens[named.next - 1]!.end);
  const create =
    sql.slice(tokens[from]!.start, tokens[from + 1]!.start) +
    sql.slice(tokens[from + 3]!.start, tokens[to - 1]!.end);
  let outcome: Outcome | undefined;
  ctx.atomically(session, () => {
    run(`DROP ${view ? 'VIEW' : temporary ? 'TEMPORARY TABLE' : 'TABLE'} IF EXISTS ${name}`);
    outcome = run(create);
    // SQLite reads a view's query only when the view is used; MariaDB refuses one naming what is
    // not there, keeping the view it was to replace. Prepared, not run: the ROW_COUNT() the
    // CREATE left (0) stays, as MariaDB's.
    if (view) prepare(`SELECT * FROM ${name} LIMIT 0`);
  });
  return outcome!;
}

/** 1347 when `named` is a table of the session's database (or the one it names). */
function refuseTable(ctx: EngineContext, session: Session, named: TableName): void {
  const schema = tableSchema(ctx.database, session, named, false);
  const table = ctx.database.db
    .prepare(
      `SELECT 1 FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
    )
    .get(named.name);
  if (table !== undefined) throw new MysqlError(1347, `'${schema}.${named.name}' is not of type 'VIEW'`);
}
