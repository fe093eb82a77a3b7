import { ProtocolError } from '../errors.js';
import { collationEncoding } from '../types/collations.js';
import { ColumnType } from '../types/column-type.js';
import { formatDate, formatDateTime, formatTime } from '../types/temporal.js';
import { type SqlValue, toDateTime } from '../types/value-mapping.js';
import type { PacketWriter } from '../wire/index.js';
import type { ColumnDefinition } from './column-definition.js';
import { lenencHeaderSize, lenencValue } from './lenenc-scan.js';
import { decodeTextValue, type RowValue } from './row-value.js';

const NULL_MARKER = 0xfb;
const EMPTY = Buffer.alloc(0);

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
export class TextRow {
  private payload: Buffer = EMPTY;
  private scanned = false;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(readonly columns: readonly ColumnDefinition[]) {
    this.starts = new Int32Array(columns.length);
    this.ends = new Int32Array(columns.length);
  }

  /** Points the reader at the next row's payload (the Buffer is kept, not copied). */
  wrap(payload: Buffer): this {
    this.payload = payload;
    this.scanned = false;
    return this;
  }

  /** The row's payload as received. */
  get bytes(): Buffer {
    return this.payload;
  }

  /** Number of columns. */
  get length(): number {
    return this.columns.length;
  }

  private scan(): void {
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
    this.scanned = true;
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.columns.length))
      throw new RangeError(`column index ${i} out of range 0..${this.columns.length - 1}`);
    if (!this.scanned) this.scan();
  }

  /** True when column `i` is SQL NULL. */
  isNull(i: number): boolean {
    this.check(i);
    return this.starts[i] === -1;
  }

  /** Column `i`'s bytes as a view into the row, or null for SQL NULL. */
  raw(i: number): Buffer | null {
    this.check(i);
    const start = this.starts[i]!;
    return start === -1 ? null : this.payload.subarray(start, this.ends[i]);
  }

  /** Column `i` as a JS value (see {@link RowValue} for the mapping). */
  get(i: number): RowValue {
    this.check(i);
    const start = this.starts[i]!;
    if (start === -1) return null;
    return decodeTextValue(this.payload, start, this.ends[i]!, this.columns[i]!);
  }

  /** Every value, decoded (allocates an array: for tests and small results). */
  toArray(): RowValue[] {
    const out: RowValue[] = [];
    for (let i = 0; i < this.columns.length; i++) out.push(this.get(i));
    return out;
  }
}
