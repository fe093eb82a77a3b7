import { MysqlError } from '../errors.js';
import type { SqlValue } from './values.js';

/** One MySQL function implemented for SQLite (registered with `DatabaseSync.function`). */
export interface MysqlFunction {
  /** Names it answers to (SQLite matches them case-insensitively). */
  names: readonly string[];
  /** Its implementation; a thrown `MysqlError` becomes the statement's ERR. */
  fn: (...args: SqlValue[]) => SqlValue;
  /**
   * Argument counts it takes, when not exactly `fn.length` (optional arguments, or any number
   * from `atLeast` up): SQLite is then told it takes any, and a count outside these answers
   * ERR 1582 as MySQL does.
   */
  arities?: readonly number[] | { atLeast: number };
  /** Same arguments, same result, so SQLite may use it in an index or fold it (default true). */
  deterministic?: boolean;
}

/** What functions need from the server that runs them. */
export interface FunctionContext {
  /** The largest string a function may build (`@@max_allowed_packet`, or less): larger is NULL. */
  maxResultLength(): number;
}

/** ERR 1582, as MySQL answers a call with a wrong number of arguments. */
export function wrongArgumentCount(name: string): never {
  throw new MysqlError(1582, `Incorrect parameter count in the call to native function '${name}'`, '42000');
}
