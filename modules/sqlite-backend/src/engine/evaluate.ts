import type { Session } from '../session/session.js';
import type { Token } from '../sql/lexer.js';
import { rewrite } from '../sql/rewrite.js';
import type { SqliteValue } from './column-types.js';
import type { EngineContext } from './outcome.js';

/**
 * Evaluates the MySQL expression `tokens[from, to)` with SQLite (`SELECT <expr>`), as the
 * given session: used for the right-hand side of SET and for DO.
 */
export function evaluate(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): SqliteValue {
  const database = ctx.database;
  const { text } = rewrite(sql, tokens, from, to, ctx.resolution(session));
  const stmt = database.db.prepare(`SELECT ${text}`);
  stmt.setReadBigInts(true);
  stmt.setReturnArrays(true);
  database.current = session;
  try {
    const row = stmt.get() as unknown as SqliteValue[] | undefined;
    return row === undefined ? null : (row[0] ?? null);
  } finally {
    database.current = undefined;
  }
}
