import { MysqlError, noDatabaseSelected } from '../errors.js';
import type { Session } from '../session/session.js';
import type { TableName, Token } from '../sql/lexer.js';
import { readDropList } from './drop-list.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';

/**
 * `DROP VIEW [IF EXISTS] v [, v]… [RESTRICT | CASCADE]` (`tokens[from, to)`), answered here:
 * SQLite drops one view per statement, takes no RESTRICT / CASCADE, and of a name that is a
 * table or nothing says 1105 'use DROP TABLE…' or 1051; MariaDB answers 4092 `Unknown VIEW:
 * 'db.a,db.b'` naming every one of them, after dropping the views there are (not all or none).
 * With IF EXISTS they are skipped (MariaDB adds notes; this backend raises none).
 */
export function dropView(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const { ifExists, names: views } = readDropList(sql, tokens, from, to, 'VIEW');
  const found: string[] = [];
  const unknown: string[] = [];
  const isTemporary = (name: string) => ctx.resolution(session).isTemporary(name);
  for (const named of views) {
    const at = viewSchema(ctx, session, named, isTemporary);
    if (at !== undefined) found.push(`${quoteIdentifier(at.schema)}.${quoteIdentifier(at.name)}`);
    else unknown.push(`${named.schema ?? session.schema}.${named.name}`);
  }
  // A view named twice is dropped once (the second is then unknown to MariaDB too: it checks as
  // it drops). Rare enough to drop once and not report it.
  const drops = [...new Set(found)];
  if (drops.length > 0)
    ctx.atomically(session, () => {
      for (const view of drops) ctx.database.db.exec(`DROP VIEW ${view}`);
    });
  if (unknown.length > 0 && !ifExists)
    throw new MysqlError(4092, `Unknown VIEW: '${unknown.join(',')}'`, '42S02');
  return OK;
}

/**
 * Where view `named` is, as SQLite stores its name: an unqualified name is a temporary view's
 * first, as SQLite resolves it, else the session's database's; undefined when no view is there
 * (a table, nothing, an unknown database). 1046 for an unqualified name without a database.
 */
function viewSchema(
  ctx: EngineContext,
  session: Session,
  named: TableName,
  isTemporary: (name: string) => boolean,
): { schema: string; name: string } | undefined {
  const schemas: string[] = [];
  if (named.schema === undefined && isTemporary(named.name)) schemas.push('temp');
  const wanted = named.schema ?? session.schema;
  if (wanted === null) {
    if (schemas.length === 0) throw noDatabaseSelected();
  } else {
    const schema = ctx.database.findSchema(wanted);
    if (schema !== undefined) schemas.push(schema);
  }
  for (const schema of schemas) {
    const row = ctx.database.db
      .prepare(
        `SELECT name FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'view' AND name = ? COLLATE NOCASE`,
      )
      .get(named.name) as { name: string } | undefined;
    if (row !== undefined) return { schema, name: row.name };
  }
  return undefined;
}
