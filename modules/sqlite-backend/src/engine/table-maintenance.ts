import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { isPunct, keyword, type Token, tableName } from '../sql/lexer.js';
import { textColumn } from './column-types.js';
import type { EngineContext, Outcome } from './outcome.js';
import { locate, shown } from './truncate-drop.js';

/** MariaDB's table-maintenance statements, and what InnoDB answers for a table each checks. */
const ANSWERS: ReadonlyMap<string, readonly (readonly [string, string])[]> = new Map([
  [
    'OPTIMIZE',
    [
      ['note', 'Table does not support optimize, doing recreate + analyze instead'],
      ['status', 'OK'],
    ],
  ],
  ['ANALYZE', [['status', 'OK']]],
  ['CHECK', [['status', 'OK']]],
  ['REPAIR', [['note', "The storage engine for the table doesn't support repair"]]],
]);

/** Whether `tokens[i…]` is `OPTIMIZE | ANALYZE | CHECK | REPAIR [NO_WRITE_TO_BINLOG | LOCAL] TABLE …`. */
export function isTableMaintenance(sql: string, tokens: readonly Token[], i: number): boolean {
  return ANSWERS.has(keyword(sql, tokens[i])) && tableList(sql, tokens, i) >= 0;
}

/** The index after the TABLE | TABLES of the statement at `tokens[i]`, or -1 when it has none. */
function tableList(sql: string, tokens: readonly Token[], i: number): number {
  let j = i + 1;
  const k = keyword(sql, tokens[j]);
  if (k === 'NO_WRITE_TO_BINLOG' || k === 'LOCAL') j++;
  const table = keyword(sql, tokens[j]);
  return table === 'TABLE' || table === 'TABLES' ? j + 1 : -1;
}

/**
 * `OPTIMIZE | ANALYZE | CHECK | REPAIR TABLE t [, t]… [options]`, `tokens[from, to)`, answered as
 * MariaDB's InnoDB answers them (maintenance screens and `wp db optimize` send them; SQLite's
 * grammar has none: 1064): per table its rows of (Table, Op, Msg_type, Msg_text), an unknown one
 * an Error row and `Operation failed`. Nothing is done to the tables: SQLite keeps its b-trees
 * itself, and its own ANALYZE and VACUUM would hold every session's connection.
 */
export function tableMaintenance(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const op = keyword(sql, tokens[from]);
  let i = tableList(sql, tokens, from);
  const data: string[][] = [];
  for (;;) {
    const named = i < to ? tableName(sql, tokens, i) : undefined;
    if (named === undefined)
      throw new MysqlError(
        1064,
        `You have an error in your SQL syntax: ${op} TABLE <name> [, <name>]…`,
        '42000',
      );
    const name = shown(session, named.table);
    const what = op.toLowerCase();
    if (locate(ctx, session, named.table) === undefined)
      data.push(
        [name, what, 'Error', `Table '${name}' doesn't exist`],
        [name, what, 'status', 'Operation failed'],
      );
    else for (const [type, text] of ANSWERS.get(op)!) data.push([name, what, type, text]);
    i = named.next;
    if (!isPunct(sql, tokens[i], ',')) break;
    i++;
  }
  // CHECK's QUICK / EXTENDED…, OPTIMIZE's and REPAIR's options: nothing to do either way.
  return {
    kind: 'rows',
    columns: ['Table', 'Op', 'Msg_type', 'Msg_text'].map((n) => textColumn(n)),
    rows: data,
  };
}
