import type { SqlValue } from '@scalestack/mysql-protocol';
import { toMysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { isPunct, keyword, type Token } from '../sql/lexer.js';
import { rewrite } from '../sql/rewrite.js';
import type { EngineContext, Outcome } from './outcome.js';
import { quoteIdentifier, runShow } from './show-statement.js';

/** The index of a SHOW's top-level `WHERE` in `tokens[from, to)`, or -1. */
function whereAt(sql: string, tokens: readonly Token[], from: number, to: number): number {
  let depth = 0;
  for (let i = from + 1; i < to; i++) {
    const t = tokens[i]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    else if (depth === 0 && keyword(sql, t) === 'WHERE') return i;
  }
  return -1;
}

/**
 * `SHOW … WHERE condition` (knex's renameColumn reads `SHOW FULL FIELDS FROM t WHERE field =
 * 'c'`): the SHOW runs without its WHERE, and its rows are kept where SQLite finds the condition
 * true, the result's columns named as the SHOW names them (`Field`, `Variable_name`…; SQLite's
 * names ignore case, as MySQL's do here). A name that is no column of the result is 1054. Text
 * compares as SQLite's `=` does: case-sensitively, where MariaDB's collation ignores case.
 */
export function showWithWhere(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const where = whereAt(sql, tokens, from, to);
  if (where < 0) return runShow(ctx, session, sql, tokens, from, to);
  const outcome = runShow(ctx, session, sql, tokens, from, where);
  if (outcome.kind !== 'rows') return outcome;
  const condition = rewrite(sql, tokens, where + 1, to).text;
  const columns = outcome.columns.map((c, n) => `value ->> ${n} AS ${quoteIdentifier(c.name)}`).join(', ');
  const filter = `SELECT __row FROM (SELECT key AS __row, ${columns} FROM json_each(?)) WHERE ${condition}`;
  let kept: { __row: number }[];
  try {
    const json = JSON.stringify(outcome.rows, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    kept = ctx.database.db.prepare(filter).all(json) as { __row: number }[];
  } catch (err) {
    throw toMysqlError(err, filter, session.schema ?? 'main');
  }
  return { ...outcome, rows: kept.map((r) => outcome.rows[Number(r.__row)] as SqlValue[]) };
}
