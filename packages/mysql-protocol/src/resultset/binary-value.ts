import { ProtocolError } from '../errors.js';
import { ColumnFlag } from '../types/column-flags.js';
import { ColumnType, fixedBinaryWidth, isTemporalType } from '../types/column-type.js';
import {
  formatBinaryDateTime,
  formatTime,
  isDateTimeLength,
  isTimeLength,
  readBinaryTime,
} from '../types/temporal.js';
import type { ColumnDefinition } from './column-definition.js';
import { lenencHeaderSize, lenencValue } from './lenenc-scan.js';
import { decodeTextValue, narrowBigInt, type RowValue } from './row-value.js';

/** What decoding one binary value needs to know about its column (or parameter). */
export type BinaryValueType = Pick<ColumnDefinition, 'type' | 'flags' | 'decimals' | 'characterSet'>;

/**
 * Where the data of the binary value of `type` at `pos` starts: past the length for
 * length-prefixed types, at `pos` for the rest (temporals keep their length byte).
 */
export function binaryValueStart(buf: Buffer, pos: number, type: number): number {
  if (fixedBinaryWidth(type) !== 0 || isTemporalType(type) || type === ColumnType.NULL) return pos;
  return pos + lenencHeaderSize(buf[pos]!);
}

/**
 * Bounds-checks the binary value of `type` at `pos` (which must end by `end`) and returns the
 * offset just past it. `what` names the value in the {@link ProtocolError} thrown otherwise.
 */
export function binaryValueEnd(buf: Buffer, pos: number, end: number, type: number, what: string): number {
  if (type === ColumnType.NULL) return pos;
  let size = fixedBinaryWidth(type);
  if (size === 0) {
    if (pos >= end) throw new ProtocolError(`${what} is missing`);
    const first = buf[pos]!;
    if (isTemporalType(type)) {
      const ok = type === ColumnType.TIME ? isTimeLength(first) : isDateTimeLength(first);
      if (!ok) throw new ProtocolError(`${what} has a bad temporal length ${first}`);
      size = 1 + first;
    } else {
      const header = lenencHeaderSize(first);
      if (header === 0 || header > end - pos) {
        throw new ProtocolError(`${what}: bad or truncated length at offset ${pos}`);
      }
      const length = lenencValue(buf, pos, header);
      if (length > end - pos - header) {
        throw new ProtocolError(`${what} claims ${length} byte(s), only ${end - pos - header} left`);
      }
      return pos + header + length;
    }
  }
  if (size > end - pos) throw new ProtocolError(`${what} needs ${size} byte(s), ${end - pos} left`);
  return pos + size;
}

/**
 * Decodes one bounds-checked binary value whose data is `buf[start, end)` (see
 * {@link binaryValueStart}); the mapping to JS is {@link RowValue}'s.
 */
export function decodeBinaryValue(
  buf: Buffer,
  start: number,
  end: number,
  column: BinaryValueType,
): RowValue {
  const p = start;
  const unsigned = (column.flags & ColumnFlag.UNSIGNED) !== 0;
  switch (column.type) {
    case ColumnType.NULL:
      return null;
    case ColumnType.TINY:
      return unsigned ? buf[p]! : buf.readInt8(p);
    case ColumnType.SHORT:
      return unsigned ? buf.readUInt16LE(p) : buf.readInt16LE(p);
    case ColumnType.YEAR:
      return buf.readUInt16LE(p);
    case ColumnType.LONG:
    case ColumnType.INT24:
      return unsigned ? buf.readUInt32LE(p) : buf.readInt32LE(p);
    case ColumnType.LONGLONG: {
      const lo = buf.readUInt32LE(p);
      const hi = unsigned ? buf.readUInt32LE(p + 4) : buf.readInt32LE(p + 4);
      if (hi > -0x20_0000 && hi < 0x20_0000) return hi * 0x1_0000_0000 + lo;
      return narrowBigInt(unsigned ? buf.readBigUInt64LE(p) : buf.readBigInt64LE(p));
    }
    case ColumnType.FLOAT:
      return buf.readFloatLE(p);
    case ColumnType.DOUBLE:
      return buf.readDoubleLE(p);
    case ColumnType.DATE:
    case ColumnType.NEWDATE:
      return formatBinaryDateTime(buf, p, false, 0);
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
      return formatBinaryDateTime(buf, p, true, column.decimals);
    case ColumnType.TIME:
      return formatTime(readBinaryTime(buf, p), column.decimals);
    default:
      return decodeTextValue(buf, p, end, column as ColumnDefinition);
  }
}
