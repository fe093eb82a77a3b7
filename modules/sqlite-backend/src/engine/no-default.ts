import { MysqlError, SQLITE_CONSTRAINT_NOTNULL } from '../errors.js';
import { keyword, tokenize } from '../sql/lexer.js';
import { insertTarget } from './classify.js';

/**
 * MariaDB (strict mode, its default) fails an INSERT that leaves out a NOT NULL column without a
 * default with 1364, and one that gives it NULL with 1048; SQLite stores NULL in the column left
 * out and fails both alike, naming `table.column`. `text` is the SQLite statement: a column is left
 * out when its column list lacks it (a column given DEFAULT in every row is left out of it too), and
 * every column is by `DEFAULT VALUES`.
 * Undefined for every other error, and for a column of another table (a trigger's insert).
 */
export function noDefaultError(err: unknown, text: string): MysqlError | undefined {
  const e = err as { errcode?: number; message?: string };
  if (e?.errcode !== SQLITE_CONSTRAINT_NOTNULL) return undefined;
  const failed = String(e.message).replace(/^.*constraint failed: /, '');
  const dot = failed.lastIndexOf('.');
  const table = failed.slice(0, dot).toLowerCase();
  const column = failed.slice(dot + 1);
  const tokens = tokenize(text, false);
  const target = insertTarget(text, tokens, 0, tokens.length);
  if (target === undefined || target.table.toLowerCase() !== table) return undefined;
  // `DEFAULT VALUES` (MySQL's `INSERT INTO t () VALUES ()`) leaves out every column.
  const allLeftOut = target.columns === undefined && keyword(text, tokens[target.body]) === 'DEFAULT';
  if (!allLeftOut && (target.columns === undefined || target.columns.includes(column.toLowerCase())))
    return undefined;
  return new MysqlError(1364, `Field '${column}' doesn't have a default value`, 'HY000');
}
