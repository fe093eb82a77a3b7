import { getHeapStatistics } from 'node:v8';
import { MysqlError } from '../errors.js';
import type { SqliteValue } from './column-types.js';

/**
 * The default of `max_result_size`: a quarter of the V8 heap limit. A result is held whole before
 * it is sent (its column types come from its values), so one larger than the heap would abort
 * the process — and with it every session and, under `npm start`, the proxy beside it.
 */
export function defaultMaxResultSize(): number {
  // heap_size_limit counts the young generation too (three semi-spaces, 192 MiB in Node 24), where
  // a result's rows do not stay: with --max-old-space-size=64 it says 256 MiB. So a quarter of
  // the old generation, taken as what is left without it (and at least a quarter of the whole).
  const limit = getHeapStatistics().heap_size_limit;
  return Math.floor(Math.max(limit - YOUNG_GENERATION, limit / 4) / 4);
}

/** The young generation's largest size in Node 24 (3 × 64 MiB semi-spaces). */
const YOUNG_GENERATION = 192 * 1024 * 1024;

/**
 * What a row as node:sqlite returns it (an array, `setReturnArrays`) takes on the heap, roughly
 * and from above: the array and its slots, a boxed number or bigint per value, strings at two
 * bytes a character.
 */
export function rowHeapBytes(row: readonly SqliteValue[]): number {
  let bytes = 48 + 8 * row.length;
  for (const v of row) bytes += valueHeapBytes(v);
  return bytes;
}

/** What one value takes on the heap, as {@link rowHeapBytes} counts it. */
export function valueHeapBytes(v: SqliteValue): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'bigint':
      return 24;
    case 'number':
      return 16;
    case 'string':
      return 24 + 2 * v.length;
    default:
      return 96 + v.byteLength;
  }
}

/**
 * The largest string or blob (in UTF-8 bytes) SQLite may make while `columns` values of one row
 * must fit in `bytes` of heap: node:sqlite builds a whole row before it can be measured, so one
 * row of several huge values would exhaust the heap before {@link rowHeapBytes} sees it. A value
 * of n bytes is at most n characters, 2n bytes on the heap.
 */
export function valueLengthLimit(bytes: number, columns: number): number {
  return Math.floor(bytes / (2 * Math.max(columns, 1)));
}

/** SQLITE_TOOBIG: a value beyond the length limit SQLite was given. */
export function isTooBig(err: unknown): boolean {
  const code = (err as { errcode?: number })?.errcode;
  return typeof code === 'number' && (code & 0xff) === 18;
}

/** ERR 1104 (ER_TOO_BIG_SELECT) for a result beyond `limit` bytes. */
export function resultTooLarge(limit: number, value = false): MysqlError {
  return new MysqlError(
    1104,
    value
      ? `A value of the result would take it past max_result_size (${limit} bytes; one value may take that divided by twice the number of columns): select fewer or smaller values, or raise the sqlite-backend option max_result_size`
      : `The result set is larger than max_result_size (${limit} bytes): add a LIMIT, or raise the sqlite-backend option max_result_size`,
    '42000',
  );
}
