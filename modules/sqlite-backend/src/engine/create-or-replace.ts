import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { keyword, type Token, tableName } from '../sql/lexer.js';
import type { EngineContext, Outcome } from './outcome.js';

/** Whether `tokens[i…]` is MariaDB's `CREATE OR REPLACE [TEMPORARY] TABLE`. */
export function isCreateOrReplace(sql: string, tokens: readonly Token[], i: number): boolean {
  if (keyword(sql, tokens[i]) !== 'CREATE' || keyword(sql, tokens[i + 1]) !== 'OR') return false;
  if (keyword(sql, tokens[i + 2]) !== 'REPLACE') return false;
  const k3 = keyword(sql, tokens[i + 3]);
  return k3 === 'TABLE' || ((k3 === 'TEMPORARY' || k3 === 'TEMP') && keyword(sql, tokens[i + 4]) === 'TABLE');
}

/**
 * `CREATE OR REPLACE [TEMPORARY] TABLE t …` (`tokens[from, to)`), which MariaDB runs as `DROP
 * [TEMPORARY] TABLE IF EXISTS t` then the CREATE (`… AS SELECT` and `… LIKE` too): SQLite knows
 * no OR REPLACE, so `run` runs those two statements' texts, all or none.
 */
export function createOrReplace(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  run: (text: string) => Outcome,
): Outcome {
  const temporary = keyword(sql, tokens[from + 3]) !== 'TABLE';
  const at = from + (temporary ? 5 : 4);
  if (keyword(sql, tokens[at]) === 'IF')
    throw new MysqlError(1221, 'Incorrect usage of OR REPLACE and IF NOT EXISTS', 'HY000');
  const named = tableName(sql, tokens, at);
  if (named === undefined)
    throw new MysqlError(1064, 'You have an error in your SQL syntax: CREATE OR REPLACE TABLE <name> …');
  const name = sql.slice(tokens[at]!.start, tokens[named.next - 1]!.end);
  const create =
    sql.slice(tokens[from]!.start, tokens[from + 1]!.start) +
    sql.slice(tokens[from + 3]!.start, tokens[to - 1]!.end);
  let outcome: Outcome | undefined;
  ctx.atomically(session, () => {
    run(`DROP ${temporary ? 'TEMPORARY ' : ''}TABLE IF EXISTS ${name}`);
    outcome = run(create);
  });
  return outcome!;
}
