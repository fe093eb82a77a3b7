import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import type { Token } from '../sql/lexer.js';
import { rewrite } from '../sql/rewrite.js';
import type { SqliteValue } from './column-types.js';
import type { EngineContext } from './outcome.js';
import { isTooBig, valueLengthLimit } from './result-size.js';

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
  // A value is capped before it reaches the heap: at max_allowed_packet, as MySQL caps what a
  // function may return, and within what results may take (it may become a user variable).
  const packet = Number(database.variable(session, 'max_allowed_packet'));
  const cap = Math.min(
    Number.isFinite(packet) ? packet : Infinity,
    valueLengthLimit(ctx.limits.maxResultSize, 1),
  );
  database.current = session;
  database.setLengthLimit(cap);
  try {
    const row = stmt.get() as unknown as SqliteValue[] | undefined;
    return row === undefined ? null : (row[0] ?? null);
  } catch (err) {
    if (!isTooBig(err)) throw err;
    throw new MysqlError(
      1301,
      `Result of the expression was larger than max_allowed_packet (${cap} bytes here) - not set`,
      'HY000',
    );
  } finally {
    database.restoreLengthLimit();
    database.current = undefined;
  }
}
