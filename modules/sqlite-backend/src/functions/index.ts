import type { DatabaseSync } from 'node:sqlite';
import { enumMember } from '../sql/enum-columns.js';
import { castFunctions } from './cast.js';
import { catalogFactFunctions } from './catalog-facts.js';
import { dateFunctions } from './dates.js';
import { type FunctionContext, type MysqlFunction, wrongArgumentCount } from './definition.js';
import { hashFunctions } from './hashes.js';
import { type JsonResults, jsonFunctions } from './json.js';
import { numberFunctions } from './numbers.js';
import { stringFunctions } from './strings.js';
import type { SqlValue } from './values.js';

export type { FunctionContext, MysqlFunction } from './definition.js';
export { INTERVAL_UNITS } from './intervals.js';

/**
 * Every MySQL function the backend adds to SQLite's own, for one database: `jsonResults` is the
 * one its JSON aggregates are registered with (json.ts's registerJsonAggregates).
 */
export function mysqlFunctions(ctx: FunctionContext, jsonResults: JsonResults): MysqlFunction[] {
  return [
    ...stringFunctions(ctx),
    ...numberFunctions(),
    ...hashFunctions(),
    ...dateFunctions(),
    ...catalogFactFunctions(),
    ...castFunctions(),
    ...jsonFunctions(jsonResults),
    // The CHECK of an ENUM column (sql/enum-columns.ts).
    { names: ['__enum_member'], fn: enumMember, arities: { atLeast: 2 } },
  ];
}

/**
 * Registers `functions` on `db`, over SQLite's functions of the same names (its `length`,
 * `lower`, `substr`… differ from MySQL's).
 */
export function registerFunctions(db: DatabaseSync, functions: readonly MysqlFunction[]): void {
  for (const f of functions) {
    const deterministic = f.deterministic ?? true;
    for (const name of f.names) {
      // Integers come as bigints: node:sqlite refuses to hand over one beyond 2^53 as a number.
      const options = { deterministic, useBigIntArguments: true };
      if (f.arities === undefined) {
        db.function(name, options, f.fn);
        continue;
      }
      const arities = f.arities;
      db.function(name, { ...options, varargs: true }, (...args: SqlValue[]) => {
        const fits = 'atLeast' in arities ? args.length >= arities.atLeast : arities.includes(args.length);
        if (!fits) wrongArgumentCount(name);
        return f.fn(...args);
      });
    }
  }
}
