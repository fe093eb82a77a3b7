import { MysqlError, noDatabaseSelected, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { isPunct, keyword, type TableName, type Token, TokenType, tableName } from '../sql/lexer.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';

/**
 * `RENAME TABLE a TO b [, c TO d]…`, `tokens[from, to)`: SQLite renames one table per ALTER
 * TABLE … RENAME TO, so each pair is one, in order (`a TO tmp, b TO a, tmp TO b` swaps), all or
 * none as in MariaDB. A table stays in its database (SQLite cannot move one), and a view
 * cannot be renamed (SQLite alters no view): both 1235.
 */
export function renameTables(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const pairs: [TableName, TableName][] = [];
  let i = from + 2;
  for (;;) {
    const old = tableName(sql, tokens, i);
    const renamed = old === undefined ? undefined : tableName(sql, tokens, old.next + 1);
    if (old === undefined || renamed === undefined || keyword(sql, tokens[old.next]) !== 'TO')
      throw new MysqlError(
        1064,
        'You have an error in your SQL syntax: RENAME TABLE <name> TO <name> [, <name> TO <name>]…',
      );
    pairs.push([old.table, renamed.table]);
    i = renamed.next;
    if (!isPunct(sql, tokens[i], ',')) break;
    i++;
  }
  if (i < to && tokens[i]!.type !== TokenType.Semicolon)
    throw new MysqlError(1064, `You have an error in your SQL syntax near '${sql.slice(tokens[i]!.start)}'`);
  const db = ctx.database;
  const resolution = ctx.resolution(session);
  const schemaOf = (named: TableName): string => {
    if (named.schema === undefined && resolution.isTemporary(named.name)) return 'temp';
    const wanted = named.schema ?? session.schema;
    if (wanted === null) throw noDatabaseSelected();
    const schema = db.findSchema(wanted);
    if (schema === undefined) throw new MysqlError(1049, `Unknown database '${wanted}'`);
    return schema;
  };
  ctx.atomically(session, () => {
    for (const [old, renamed] of pairs) {
      const schema = schemaOf(old);
      const type = (name: string) =>
        (
          db.db
            .prepare(
              `SELECT type FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
            )
            .get(name) as { type: string } | undefined
        )?.type;
      const shown = schema === 'temp' ? (session.schema ?? 'main') : schema;
      const found = type(old.name);
      if (found === undefined) throw new MysqlError(1146, `Table '${shown}.${old.name}' doesn't exist`);
      if (found === 'view') throw notSupported('RENAME TABLE of a view');
      if (renamed.schema !== undefined && schema !== 'temp' && schemaOf(renamed) !== schema)
        throw notSupported('RENAME TABLE into another database');
      if (type(renamed.name) !== undefined)
        throw new MysqlError(1050, `Table '${renamed.name}' already exists`);
      db.db.exec(
        `ALTER TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(old.name)} RENAME TO ${quoteIdentifier(renamed.name)}`,
      );
    }
  });
  return OK;
}
