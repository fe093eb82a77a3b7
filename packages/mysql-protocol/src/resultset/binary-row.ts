import { ProtocolError } from '../errors.js';
import { collationEncoding } from '../types/collations.js';
import { ColumnType } from '../types/column-type.js';
import {
  binaryDateTimeSize,
  binaryTimeSize,
  NOT_FIXED_DECIMALS,
  writeBinaryDateTime,
  writeBinaryTime,
} from '../types/temporal.js';
import { type SqlValue, toBigInt, toDateTime, toNumber, toTime } from '../types/value-mapping.js';
import type { PacketWriter } from '../wire/index.js';
import { binaryValueEnd, binaryValueStart, decodeBinaryValue } from './binary-value.js';
import type { ColumnDefinition } from './column-definition.js';
import { LazyRow } from './lazy-row.js';
import type { RowValue } from './row-value.js';
import { textOf } from './text-row.js';

const ROW_HEADER = 0x00;
/** Binary rows reserve the first two bits of their NULL bitmap. */
const ROW_BITMAP_OFFSET = 2;

/** Bytes of the NULL bitmap of a binary row with `columns` columns. */
export function binaryRowBitmapSize(columns: number): number {
  return (columns + 7 + ROW_BITMAP_OFFSET) >>> 3;
}

/** The low 32 bits of an integer value (two's complement for negatives). */
function int32Of(value: Exclude<SqlValue, null | undefined>): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value | 0;
  return Number(BigInt.asIntN(32, toBigInt(value)));
}

/**
 * Appends the binary-protocol encoding of one non-NULL value of column type `type` to `w`
 * (shared by binary rows and COM_STMT_EXECUTE parameters). `scratch` (13+ bytes) is working
 * space for floats and temporals, so nothing is allocated per value.
 */
export function writeBinaryValue(
  w: PacketWriter,
  type: number,
  value: Exclude<SqlValue, null | undefined>,
  scratch: Buffer,
  encoding: BufferEncoding = 'utf8',
): void {
  switch (type) {
    case ColumnType.TINY:
      w.u8(int32Of(value) & 0xff);
      return;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      w.u16(int32Of(value) & 0xffff);
      return;
    case ColumnType.LONG:
    case ColumnType.INT24:
      w.u32(int32Of(value));
      return;
    case ColumnType.LONGLONG:
      if (typeof value === 'number' && Number.isSafeInteger(value)) {
        // Two 32-bit halves: no bigint for the common case. Works for negatives too.
        const hi = Math.floor(value / 0x1_0000_0000);
        w.u32(value - hi * 0x1_0000_0000).u32(hi >>> 0);
      } else {
        w.u64(BigInt.asUintN(64, toBigInt(value)));
      }
      return;
    case ColumnType.FLOAT:
      scratch.writeFloatLE(toNumber(value), 0);
      w.bytes(scratch.subarray(0, 4));
      return;
    case ColumnType.DOUBLE:
      scratch.writeDoubleLE(toNumber(value), 0);
      w.bytes(scratch.subarray(0, 8));
      return;
    case ColumnType.DATE:
    case ColumnType.NEWDATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP: {
      let v = toDateTime(value);
      if (type === ColumnType.DATE || type === ColumnType.NEWDATE) {
        v = { ...v, hour: 0, minute: 0, second: 0, microsecond: 0 };
      }
      writeBinaryDateTime(scratch, 0, v);
      w.bytes(scratch.subarray(0, binaryDateTimeSize(v)));
      return;
    }
    case ColumnType.TIME: {
      const v = toTime(value);
      writeBinaryTime(scratch, 0, v);
      w.bytes(scratch.subarray(0, binaryTimeSize(v)));
      return;
    }
    default: {
      const text = textOf(value, { type, decimals: NOT_FIXED_DECIMALS });
      if (typeof text === 'string') w.lenencString(text, encoding);
      else w.lenencBytes(text);
    }
  }
}

/**
 * Appends one binary-protocol row (0x00, NULL bitmap, values) to `w`, each value encoded for
 * its column's type. Throws a TypeError naming the column when a value does not fit its type.
 */
export function writeBinaryRow(
  w: PacketWriter,
  columns: readonly ColumnDefinition[],
  values: readonly SqlValue[],
  scratch: Buffer = Buffer.allocUnsafe(16),
): PacketWriter {
  if (values.length !== columns.length) {
    throw new RangeError(`binary row: ${values.length} values for ${columns.length} columns`);
  }
  w.u8(ROW_HEADER);
  const bitmapSize = binaryRowBitmapSize(columns.length);
  for (let byte = 0; byte < bitmapSize; byte++) {
    let bits = 0;
    for (let bit = 0; bit < 8; bit++) {
      const i = byte * 8 + bit - ROW_BITMAP_OFFSET;
      if (i >= 0 && i < values.length && (values[i] === null || values[i] === undefined)) bits |= 1 << bit;
    }
    w.u8(bits);
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    const column = columns[i]!;
    try {
      writeBinaryValue(w, column.type, value, scratch, collationEncoding(column.characterSet) ?? 'utf8');
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) {
        throw new TypeError(`binary row: column ${i} (${column.name}): ${err.message}`);
      }
      throw err;
    }
  }
  return w;
}

/**
 * A lazy reader of binary-protocol rows; like {@link TextRow}, one instance is reused for every
 * row of a result set and values are decoded only when asked.
 */
export class BinaryRow extends LazyRow {
  private readonly bitmapSize: number;

  constructor(columns: readonly ColumnDefinition[]) {
    super(columns);
    this.bitmapSize = binaryRowBitmapSize(columns.length);
  }

  protected scan(): void {
    const buf = this.payload;
    const end = buf.length;
    if (end < 1 + this.bitmapSize || buf[0] !== ROW_HEADER) {
      throw new ProtocolError(
        `binary row: expected 0x00 and a ${this.bitmapSize}-byte NULL bitmap, got ${end} byte(s)`,
      );
    }
    let pos = 1 + this.bitmapSize;
    for (let i = 0; i < this.columns.length; i++) {
      const bit = i + ROW_BITMAP_OFFSET;
      if ((buf[1 + (bit >>> 3)]! & (1 << (bit & 7))) !== 0) {
        this.starts[i] = -1;
        this.ends[i] = -1;
        continue;
      }
      const type = this.columns[i]!.type;
      const next = binaryValueEnd(buf, pos, end, type, `binary row: column ${i}`);
      this.starts[i] = binaryValueStart(buf, pos, type);
      this.ends[i] = next;
      pos = next;
    }
    if (pos !== end) throw new ProtocolError(`binary row: ${end - pos} byte(s) after the last column`);
  }

  protected decode(payload: Buffer, start: number, end: number, column: ColumnDefinition): RowValue {
    return decodeBinaryValue(payload, start, end, column);
  }
}
