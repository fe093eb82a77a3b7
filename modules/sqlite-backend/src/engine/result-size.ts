import { getHeapStatistics } from 'node:v8';
import { MysqlError } from '../errors.js';
import type { SqliteValue } from './column-types.js';

/**
 * The default of `max_result_size`: a quarter of the V8 heap limit. A result is held whole before
 * it is sent (its column types come from its values), so one larger than the heap would abort
 * the process — and with it every session and, under `npm start`, the proxy beside it.
 */
export function defaultMaxResultSize(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 4);
}

/**
 * What a row as node:sqlite returns it (an array, `setReturnArrays`) takes on the heap, roughly
 * and from above: the array and its slots, a boxed number or bigint per value, strings at two
 * bytes a character.
 */
export function rowHeapBytes(row: readonly SqliteValue[]): number {
  let bytes = 48 + 8 * row.length;
  for (const v of row) {
    if (v === null) continue;
    switch (typeof v) {
      case 'bigint':
        bytes += 24;
        break;
      case 'number':
        bytes += 16;
        break;
      case 'string':
        bytes += 24 + 2 * v.length;
        break;
      default:
        bytes += 96 + v.byteLength;
    }
  }
  return bytes;
}

/** ERR 1104 (ER_TOO_BIG_SELECT) for a result beyond `limit` bytes. */
export function resultTooLarge(limit: number): MysqlError {
  return new MysqlError(
    1104,
    `The result set is larger than max_result_size (${limit} bytes): add a LIMIT, or raise the sqlite-backend option max_result_size`,
    '42000',
  );
}
