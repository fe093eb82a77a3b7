import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { createIndexText, mysqlIndexName } from '../sql/index-ddl.js';
import {
  backquoted,
  identifierValue,
  isName,
  keyword,
  type Token,
  TokenType,
  tableName,
} from '../sql/lexer.js';
import type { EngineContext, Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';
import { tableSchema } from './table-text.js';

/** Words after DROP that name something else than a column. */
const NOT_COLUMNS = new Set(['INDEX', 'KEY', 'FOREIGN', 'PRIMARY', 'CONSTRAINT', 'CHECK', 'PARTITION', 'IF']);

/**
 * The column `ALTER TABLE [db.]t DROP [COLUMN] c` drops (its index in `tokens`, after the table's
 * name at `i`), or undefined for any other ALTER.
 */
export function droppedColumn(sql: string, tokens: readonly Token[], i: number): number | undefined {
  if (keyword(sql, tokens[i]) !== 'DROP') return undefined;
  let at = i + 1;
  if (keyword(sql, tokens[at]) === 'COLUMN') at++;
  const name = tokens[at];
  if (!isName(name) || (name.type === TokenType.Word && NOT_COLUMNS.has(keyword(sql, name))))
    return undefined;
  const after = tokens[at + 1];
  return after === undefined || after.type === TokenType.Semicolon ? at : undefined;
}

/**
 * `ALTER TABLE t DROP [COLUMN] c` of a column an index covers (knex's `dropColumn` of a column it
 * made with `.index()`; Sequelize's removeColumn): SQLite refuses to drop it ("error in index …
 * after drop column"), where MariaDB drops an index of that column alone and takes the column out
 * of an index of several (of a unique one of several it refuses, 1072). So do we, then run
 * SQLite's DROP COLUMN (`drop`), all or none. A
 * column of the primary key, of an inline UNIQUE (SQLite's own index of the table), or in an
 * index on an expression is left to SQLite, which refuses it.
 */
export function dropColumn(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  drop: () => Outcome,
): Outcome {
  const db = ctx.database;
  const named = tableName(sql, tokens, from + 2)!;
  const written = identifierValue(sql, tokens[droppedColumn(sql, tokens, named.next)!]!);
  const column = written.toLowerCase();
  const temporary = named.table.schema === undefined && ctx.resolution(session).isTemporary(named.table.name);
  const schema = tableSchema(db, session, named.table, temporary);
  const indexes = db.db
    .prepare('SELECT name, "unique" AS u, origin FROM pragma_index_list(?, ?)')
    .all(named.table.name, schema) as { name: string; u: number; origin: string }[];
  const changes: { index: string; unique: boolean; rest: string[] }[] = [];
  for (const index of indexes) {
    if (index.origin !== 'c') continue;
    const keys = db.db
      .prepare('SELECT name, "desc" AS d FROM pragma_index_xinfo(?, ?) WHERE key = 1 ORDER BY seqno')
      .all(index.name, schema) as { name: string | null; d: number }[];
    if (keys.some((k) => k.name === null) || !keys.some((k) => k.name!.toLowerCase() === column)) continue;
    // MariaDB refuses to take a column out of a unique key of several: the rest alone would be
    // a stricter rule than the one declared.
    if (index.u !== 0 && keys.length > 1)
      throw new MysqlError(1072, `Key column '${written}' doesn't exist in table`, '42000');
    const rest = keys
      .filter((k) => k.name!.toLowerCase() !== column)
      .map((k) => `${backquoted(k.name!)}${k.d ? ' DESC' : ''}`);
    changes.push({ index: index.name, unique: index.u !== 0, rest });
  }
  if (changes.length === 0) return drop();
  let outcome: Outcome | undefined;
  ctx.atomically(session, () => {
    for (const { index, unique, rest } of changes) {
      db.db.exec(`DROP INDEX ${quoteIdentifier(schema)}.${quoteIdentifier(index)}`);
      if (rest.length > 0)
        db.db.exec(
          createIndexText(
            schema,
            named.table.name,
            mysqlIndexName(index, named.table.name),
            unique,
            `(${rest.join(', ')})`,
            false,
          ),
        );
    }
    outcome = drop();
  });
  return outcome!;
}
