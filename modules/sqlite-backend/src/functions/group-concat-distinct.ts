import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { GROUP_CONCAT_DISTINCT } from '../sql/group-concat.js';
import { type SqlValue, text } from './values.js';

/** One group's values so far, each once. */
interface Concatenation {
  seen: Set<string>;
  separator: string;
}

/**
 * Registers the aggregate `GROUP_CONCAT(DISTINCT x SEPARATOR s)` becomes (see
 * sql/group-concat.ts): SQLite refuses DISTINCT for an aggregate of two arguments. Values are
 * told apart by their text, as SQLite's own DISTINCT group_concat tells them apart (bytes, not
 * MariaDB's case-insensitive collation); NULLs are skipped; the first of each kept, in the
 * order the rows come (an ORDER BY in the call orders them).
 */
export function registerGroupConcatDistinct(db: DatabaseSync): void {
  db.aggregate(GROUP_CONCAT_DISTINCT, {
    // node:sqlite keeps any JavaScript value as the accumulator; its types say SQL values only.
    start: (() =>
      ({ seen: new Set(), separator: ',' }) satisfies Concatenation) as unknown as () => SQLInputValue,
    step: (acc, value, separator) => {
      const c = acc as unknown as Concatenation;
      if (value === null) return acc;
      c.seen.add(text(value as SqlValue));
      c.separator = separator === null ? '' : text(separator as SqlValue);
      return acc;
    },
    result: (acc) => {
      const c = acc as unknown as Concatenation;
      return c.seen.size === 0 ? null : [...c.seen].join(c.separator);
    },
    useBigIntArguments: true,
    deterministic: true,
  });
}
