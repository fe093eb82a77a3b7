import type { Session } from '../session/session.js';
import { isName, keyword, statementEndIndex, type Token, tableName, topLevelList } from '../sql/lexer.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';

/** Words a change of an ALTER TABLE's list starts with. */
const CHANGES = new Set(['ADD', 'DROP', 'MODIFY', 'CHANGE', 'ALTER', 'RENAME']);

/**
 * The changes of `ALTER TABLE [db.]t change, change…` at `tokens[i]` (the ALTER), as token
 * ranges, when there are several and each starts as a change does (`ADD a INT, ADD b INT`, as
 * knex writes an alterTable that adds two columns; Sequelize's, an index with a column);
 * undefined for one change, or for anything else (a table option, a partition clause).
 */
export function alterList(
  sql: string,
  tokens: readonly Token[],
  i: number,
): { head: [number, number]; changes: [number, number][] } | undefined {
  const named = tableName(sql, tokens, i + 2);
  if (named === undefined) return undefined;
  const changes = topLevelList(sql, tokens, named.next, statementEndIndex(tokens, named.next));
  if (changes.length < 2) return undefined;
  for (const [a, b] of changes)
    if (b <= a || !isName(tokens[a]) || !CHANGES.has(keyword(sql, tokens[a]))) return undefined;
  return { head: [i, named.next], changes };
}

/**
 * Several changes in one ALTER TABLE: SQLite's ALTER TABLE makes one, so each is run as an ALTER
 * TABLE of its own, in the order written (as MySQL applies them), all or none, each the way it
 * would be alone — its checks and errors its own (the first failing one's error is the answer).
 * Unlike MySQL's, a later change sees the earlier ones (MySQL reads names against the table as it
 * was: `ADD c INT, DROP c` is 1091 there, a no-op here).
 */
export function runAlterList(
  context: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  runStep: (text: string) => Outcome,
): Outcome {
  const list = alterList(sql, tokens, from)!;
  const text = ([a, b]: [number, number]) => sql.slice(tokens[a]!.start, tokens[b - 1]!.end);
  const head = text(list.head);
  context.atomically(session, () => {
    for (const change of list.changes) runStep(`${head} ${text(change)}`);
  });
  return OK;
}
