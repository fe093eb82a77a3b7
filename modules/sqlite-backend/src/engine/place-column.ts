import { MysqlError, notSupported } from '../errors.js';
import type { Session } from '../session/session.js';
import { columnDefinitions } from '../sql/column-definition.js';
import { columnPlacement } from '../sql/column-placement.js';
import type { Token } from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { rebuildTable } from './table-rebuild.js';
import { alteredTable } from './table-text.js';

/**
 * `ALTER TABLE t ADD [COLUMN] c … FIRST | AFTER x` (knex's `.after()` / `.first()`): SQLite adds a
 * column last, so the column is added so (`add`: the statement without its placement, run as any
 * ADD COLUMN is), then the table is made again with the column where MariaDB puts it — its rows,
 * indexes and triggers kept (table-rebuild.ts) — all or none. As in MariaDB an unknown x is 1054.
 * Refused (1235): a temporary table, a table whose own foreign keys reference it, one with
 * generated columns.
 */
export function placeColumn(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  add: (text: string) => Outcome,
): Outcome {
  const placement = columnPlacement(sql, tokens, from, to)!;
  const db = ctx.database;
  const table = alteredTable(
    db,
    session,
    sql,
    tokens,
    from,
    ctx.resolution(session).isTemporary,
    'placing a new column (FIRST / AFTER) in a temporary table',
  );
  const before = columnDefinitions(table.sql);
  const { after } = placement;
  if (after !== undefined && !before.some((c) => c.name.toLowerCase() === after.toLowerCase()))
    throw new MysqlError(1054, `Unknown column '${after}' in '${table.name}'`, '42S22');
  if (before.some((c) => c.clauses.some((k) => k.kind === 'generated')))
    throw notSupported('placing a new column (FIRST / AFTER) in a table with generated columns');
  if (selfReferencing(db, table.schema, table.name))
    throw notSupported('placing a new column (FIRST / AFTER) in a table whose foreign keys reference itself');
  ctx.atomically(session, () => {
    add(sql.slice(tokens[from]!.start, tokens[placement.at - 1]!.end));
    const now = table.reread();
    const columns = columnDefinitions(now.sql);
    const added = columns[columns.length - 1]!;
    const text = now.sql.slice(added.start, added.end);
    // Out from the end, with the comma before it; in after x (or before the first column).
    const cut = now.sql.lastIndexOf(',', added.start);
    let moved = now.sql.slice(0, cut) + now.sql.slice(added.end);
    if (after === undefined) {
      const first = columns[0]!.start;
      moved = `${moved.slice(0, first)}${text}, ${moved.slice(first)}`;
    } else {
      const x = columns.find((c) => c.name.toLowerCase() === after.toLowerCase())!;
      moved = `${moved.slice(0, x.end)}, ${text}${moved.slice(x.end)}`;
    }
    rebuildTable(
      ctx,
      session,
      table.schema,
      now.name,
      moved,
      columns.map((c) => c.name),
    );
  });
  return OK;
}

/** Whether a foreign key of `table` references `table` itself. */
function selfReferencing(db: SharedDatabase, schema: string, table: string): boolean {
  return (
    db.db
      .prepare(`SELECT 1 FROM pragma_foreign_key_list(?1, ?2) WHERE "table" = ?1 COLLATE NOCASE LIMIT 1`)
      .get(table, schema) !== undefined
  );
}
