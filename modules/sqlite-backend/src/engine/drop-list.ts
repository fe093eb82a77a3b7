import { MysqlError } from '../errors.js';
import { isPunct, keyword, type TableName, type Token, tableName } from '../sql/lexer.js';

/**
 * The names `DROP {TABLE | VIEW} [IF EXISTS] a [, b]… [RESTRICT | CASCADE]` at `tokens[from, to)`
 * lists, and whether it says IF EXISTS; 1064 for anything else. `what` names the statement in the
 * message (`TABLE`, `VIEW`); the word after DROP is the caller's to have checked.
 */
export function readDropList(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  what: 'TABLE' | 'VIEW',
): { ifExists: boolean; names: TableName[] } {
  const syntax = new MysqlError(
    1064,
    `You have an error in your SQL syntax: DROP ${what} [IF EXISTS] <name> [, <name>]… [RESTRICT | CASCADE]`,
    '42000',
  );
  let i = from + 2;
  const ifExists = keyword(sql, tokens[i]) === 'IF';
  if (ifExists) {
    if (keyword(sql, tokens[i + 1]) !== 'EXISTS') throw syntax;
    i += 2;
  }
  const names: TableName[] = [];
  for (;;) {
    const named = i < to ? tableName(sql, tokens, i) : undefined;
    if (named === undefined) throw syntax;
    names.push(named.table);
    i = named.next;
    if (i >= to || !isPunct(sql, tokens[i], ',')) break;
    i++;
  }
  const option = keyword(sql, tokens[i]);
  if (i < to && (option === 'RESTRICT' || option === 'CASCADE')) i++;
  if (i < to) throw syntax;
  return { ifExists, names };
}
