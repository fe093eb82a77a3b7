import type { ColumnDefinition } from './column-definition.js';
import type { RowValue } from './row-value.js';

const EMPTY = Buffer.alloc(0);

/**
 * What the text and binary row readers share: a row stays the Buffer it arrived in, its column
 * boundaries are found on the first access (`scan`), and values are decoded only when asked.
 * Made once per result set and pointed at each row with {@link LazyRow.wrap}: no object per row.
 */
export abstract class LazyRow {
  protected payload: Buffer = EMPTY;
  private scanned = false;
  /** Where each column's value starts and ends in the payload; -1 for SQL NULL. */
  protected readonly starts: Int32Array;
  protected readonly ends: Int32Array;

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

  /** Fills `starts` and `ends` for the current payload; throws ProtocolError when malformed. */
  protected abstract scan(): void;

  /** Decodes the value of `column` found at `payload[start..end)`. */
  protected abstract decode(payload: Buffer, start: number, end: number, column: ColumnDefinition): RowValue;

  private check(i: number): void {
    if (!(i >= 0 && i < this.columns.length))
      throw new RangeError(`column index ${i} out of range 0..${this.columns.length - 1}`);
    if (!this.scanned) {
      this.scan();
      this.scanned = true;
    }
  }

  /** True when column `i` is SQL NULL. */
  isNull(i: number): boolean {
    this.check(i);
    return this.starts[i] === -1;
  }

  /**
   * Column `i`'s bytes as a view into the row, or null for SQL NULL (binary rows: without the
   * length prefix of length-prefixed types, temporals with their length byte).
   */
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
    return this.decode(this.payload, start, this.ends[i]!, this.columns[i]!);
  }

  /** Every value, decoded (allocates an array: for tests and small results). */
  toArray(): RowValue[] {
    const out: RowValue[] = [];
    for (let i = 0; i < this.columns.length; i++) out.push(this.get(i));
    return out;
  }
}
