import { ProtocolError } from '../errors.js';
import { CollationId, collationEncoding } from '../types/collations.js';
import { ColumnType } from '../types/column-type.js';
import type { ColumnDefinition } from './column-definition.js';

/**
 * What a row value becomes in JS:
 * - integers: `number`, or `bigint` when a BIGINT is outside ±2^53;
 * - FLOAT / DOUBLE: `number`;
 * - DECIMAL: `string` (exact; JS numbers would round);
 * - DATE / DATETIME / TIMESTAMP / TIME: `string` in the server's text form (no time zone to guess);
 * - YEAR: `number`;
 * - text columns (CHAR, VARCHAR, TEXT, ENUM, SET, JSON): `string`;
 * - binary columns (BINARY, VARBINARY, BLOB, BIT, GEOMETRY): `Buffer` (a view into the row);
 * - SQL NULL: `null`.
 */
export type RowValue = null | number | bigint | string | Buffer;

const integerPattern = /^-?\d+$/;

/** Parses a decimal integer; `bigint` only when a `number` would lose precision. */
export function parseInteger(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  if (!integerPattern.test(text))
    throw new ProtocolError(`row value: "${text.slice(0, 40)}" is not an integer`);
  return BigInt(text);
}

/** A 64-bit integer as `number` when exact, `bigint` otherwise. */
export function narrowBigInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** True when the column's bytes are not text (they decode to a Buffer). */
export function isBinaryColumn(column: ColumnDefinition): boolean {
  switch (column.type) {
    case ColumnType.BIT:
    case ColumnType.GEOMETRY:
      return true;
    case ColumnType.JSON:
      // MySQL labels JSON as binary, but its bytes are always UTF-8 text.
      return false;
    case ColumnType.STRING:
    case ColumnType.VAR_STRING:
    case ColumnType.VARCHAR:
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.BLOB:
    case ColumnType.ENUM:
    case ColumnType.SET:
      return column.characterSet === CollationId.BINARY;
    default:
      return false;
  }
}

/**
 * Decodes the text-protocol bytes `buf[start, end)` of one non-NULL value of `column`. Also used
 * for the length-prefixed values of binary rows (decimals, strings, blobs), which share this form.
 */
export function decodeTextValue(buf: Buffer, start: number, end: number, column: ColumnDefinition): RowValue {
  switch (column.type) {
    case ColumnType.TINY:
    case ColumnType.SHORT:
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.YEAR:
    case ColumnType.LONGLONG:
      return parseInteger(buf.toString('latin1', start, end));
    case ColumnType.FLOAT:
    case ColumnType.DOUBLE:
      return Number(buf.toString('latin1', start, end));
    case ColumnType.NULL:
      return null;
    case ColumnType.DECIMAL:
    case ColumnType.NEWDECIMAL:
    case ColumnType.DATE:
    case ColumnType.NEWDATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.TIME:
      return buf.toString('latin1', start, end);
    default:
      if (isBinaryColumn(column)) return buf.subarray(start, end);
      return buf.toString(collationEncoding(column.characterSet) ?? 'utf8', start, end);
  }
}
