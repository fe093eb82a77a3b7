import { CollationId, ColumnType, columnDefinition } from '@scalestack/mysql-protocol';
import { declaredType } from '../engine/column-types.js';
import type { Engine } from '../engine/engine.js';
import { statusFlags } from '../engine/engine.js';
import { likePattern, quoteIdentifier } from '../engine/show-statement.js';
import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import type { ResponseWriter } from './response-writer.js';

/**
 * COM_FIELD_LIST (deprecated, still sent by the `mysql`/`mariadb` CLIs for tab completion):
 * the table's column definitions, each with its default value, then EOF.
 */
export function fieldList(
  engine: Engine,
  session: Session,
  table: string,
  wildcard: string,
  out: ResponseWriter,
): void {
  const schema = session.schema ?? 'main';
  const info = engine.database.db
    .prepare(`PRAGMA ${quoteIdentifier(schema)}.table_info(${quoteIdentifier(table)})`)
    .all() as { name: string; type: string; dflt_value: string | null }[];
  if (info.length === 0) throw new MysqlError(1146, `Table '${schema}.${table}' doesn't exist`);
  const like = wildcard === '' ? undefined : likePattern(wildcard);
  const columns = info
    .filter((c) => like === undefined || like.test(c.name))
    .map((c) => {
      const t = declaredType(c.type);
      return columnDefinition({
        schema,
        table,
        orgTable: table,
        name: c.name,
        type: t?.type ?? ColumnType.VAR_STRING,
        columnLength: t?.length ?? 256,
        flags: t?.flags ?? 0,
        decimals: t?.decimals ?? 0,
        characterSet: t?.charset ?? CollationId.UTF8MB4_GENERAL_CI,
        defaultValue: c.dflt_value === null ? undefined : Buffer.from(c.dflt_value),
      });
    });
  out.columnDefinitions(columns, true);
  out.eof(statusFlags(session));
}
