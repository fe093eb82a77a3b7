import { ProtocolError } from '../errors.js';
import { collationEncoding } from '../types/collations.js';
import { ColumnType } from '../types/column-type.js';
import { formatDate, formatDateTime, formatTime } from '../types/temporal.js';
import { type SqlValue, toDateTime } from '../types/value-mapping.js';
import type { PacketWriter } from '../wire/index.js';
import type { ColumnDefinition } from './column-definition.js';
import { LazyRow } from './lazy-row.js';
import { lenencHeaderSize, lenencValue } from './lenenc-scan.js';
import { decodeTextValue, type RowValue } from './row-value.js';

const NULL_MARKER = 0xfb;

function fractionDigits(microsecond: number): number {
  return microsecond === 0 ? 0 : microsecond % 1000 === 0 ? 3 : 6;
}

/**
 * The text-protocol form of one non-NULL value. With the column known, temporal objects print
 * its `decimals` fractional digits, as a server does (`DATETIME(3)` → `…:59.000`).
 */
export function textOf(
  value: Exclude<SqlValue, null | undefined>,
  column?: Pick<ColumnDefinition, 'type' | 'decimals'>,
): string | Uint8Array {
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return typeof value === 'string' ? value : value.toString();
    case 'number':
      return String(value);
    case 'boolean':
      return value ? '1' : '0';
  }
  if (value instanceof Uint8Array) return value;
  const digits = (microsecond: number) =>
    column !== undefined && column.decimals <= 6 ? column.decimals : fractionDigits(microsecond);
  if ('days' in value) return formatTime(value, digits(value.microsecond));
  const v = toDateTime(value);
  if (column?.type === ColumnType.DATE || column?.type === ColumnType.NEWDATE) return formatDate(v);
  return formatDateTime(v, digits(v.microsecond));
}

/**
 * Appends one text-protocol row to `w`: every value as a length-encoded string, NULL as 0xFB.
 * `columns` (optional) chooses each string's encoding and the format of dates.
 */
export function writeTextRow(
  w: PacketWriter,
  values: readonly SqlValue[],
  columns?: readonly ColumnDefinition[],
): PacketWriter {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      w.u8(NULL_MARKER);
      continue;
    }
    const column = columns?.[i];
    const text = textOf(value, column);
    if (typeof text === 'string') {
      w.lenencString(
        text,
        column === undefined ? 'utf8' : (collationEncoding(column.characterSet) ?? 'utf8'),
      );
    } else {
      w.lenencBytes(text);
    }
  }
  return w;
}

/**
 * A lazy reader of text-protocol rows. One instance serves a whole result set: {@link wrap} each
 * row payload in turn; nothing is copied or decoded until a value is asked for, and asking only
 * scans the row once (value offsets are kept in two typed arrays allocated per result set).
 */
export class TextRow extends LazyRow {
  protected scan(): void {
    const buf = this.payload;
    const end = buf.length;
    let pos = 0;
    for (let i = 0; i < this.columns.length; i++) {
      if (pos >= end)
        throw new ProtocolError(`text row: ${this.columns.length} columns expected, the row ends after ${i}`);
      const first = buf[pos]!;
      if (first === NULL_MARKER) {
        this.starts[i] = -1;
        this.ends[i] = -1;
        pos++;
        continue;
      }
      const header = lenencHeaderSize(first);
      if (header === 0)
        throw new ProtocolError(`text row: bad length byte 0x${first.toString(16)} at offset ${pos}`);
      if (pos + header > end) throw new ProtocolError(`text row: truncated length of column ${i}`);
      const length = lenencValue(buf, pos, header);
      const start = pos + header;
      if (length > end - start) {
        throw new ProtocolError(`text row: column ${i} claims ${length} byte(s), only ${end - start} left`);
      }
      this.starts[i] = start;
      this.ends[i] = start + length;
      pos = start + length;
    }
    if (pos !== end) throw new ProtocolError(`text row: ${end - pos} byte(s) after the last column`);
  }

  protected decode(payload: Buffer, start: number, end: number, column: ColumnDefinition): RowValue {
    return decodeTextValue(payload, start, end, column);
  }
}
