import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/errors.js';
import {
  BinaryRow,
  type ColumnDefinition,
  columnDefinition,
  decodeColumnCount,
  decodeColumnDefinition,
  encodeColumnCount,
  encodeColumnDefinition,
  TextRow,
  writeBinaryRow,
  writeTextRow,
} from '../src/resultset/index.js';
import { CollationId, ColumnFlag, ColumnType } from '../src/types/index.js';
import { PacketWriter } from '../src/wire/index.js';

const col = (name: string, type: number, extra: Partial<ColumnDefinition> = {}) =>
  columnDefinition({ name, type, ...extra });

const columns: ColumnDefinition[] = [
  col('ti', ColumnType.TINY),
  col('tu', ColumnType.TINY, { flags: ColumnFlag.UNSIGNED }),
  col('s', ColumnType.SHORT),
  col('l', ColumnType.LONG),
  col('bi', ColumnType.LONGLONG),
  col('bu', ColumnType.LONGLONG, { flags: ColumnFlag.UNSIGNED }),
  col('f', ColumnType.FLOAT),
  col('d', ColumnType.DOUBLE),
  col('dec', ColumnType.NEWDECIMAL, { decimals: 10 }),
  col('date', ColumnType.DATE),
  col('dt', ColumnType.DATETIME, { decimals: 6 }),
  col('ts', ColumnType.TIMESTAMP),
  col('tm', ColumnType.TIME, { decimals: 3 }),
  col('y', ColumnType.YEAR),
  col('vc', ColumnType.VAR_STRING),
  col('blob', ColumnType.BLOB, { characterSet: CollationId.BINARY }),
  col('n', ColumnType.VAR_STRING),
];
const values = [
  -128,
  255,
  -32768,
  -2147483648,
  -(2n ** 63n),
  2n ** 64n - 1n,
  1.5,
  Math.PI,
  '12345678901234567890.0123456789',
  '2024-02-29',
  '2024-02-29 13:05:09.250000',
  '1970-01-01 00:00:01',
  '-838:59:59.000',
  2155,
  'héllo ✓',
  Buffer.from([0, 1, 2, 255]),
  null,
];

describe('resultset: column definitions', () => {
  it('round-trips every field, with and without MariaDB extended metadata and field-list defaults', () => {
    const def = col('c', ColumnType.BLOB, {
      schema: 'db',
      table: 't',
      orgTable: 'tbl',
      orgName: 'col',
      characterSet: 63,
      columnLength: 4294967295,
      flags: ColumnFlag.BLOB | ColumnFlag.BINARY,
      decimals: 0,
    });
    expect(decodeColumnDefinition(encodeColumnDefinition(def))).toEqual(def);
    const ext = { ...def, extendedTypeName: 'json', extendedFormat: 'json' };
    expect(
      decodeColumnDefinition(encodeColumnDefinition(ext, { extendedMetadata: true }), {
        extendedMetadata: true,
      }),
    ).toEqual(ext);
    const withDefault = { ...def, defaultValue: Buffer.from('42') };
    expect(
      decodeColumnDefinition(encodeColumnDefinition(withDefault, { fieldList: true }), { fieldList: true }),
    ).toEqual(withDefault);
  });
  it('throws ProtocolError on every truncation', () => {
    const bytes = encodeColumnDefinition(col('abc', ColumnType.LONG));
    for (let n = 0; n < bytes.length - 2; n++) {
      expect(() => decodeColumnDefinition(bytes.subarray(0, n))).toThrow(ProtocolError);
    }
  });
  it('encodes the column count, with the optional-metadata byte', () => {
    expect(decodeColumnCount(encodeColumnCount(300))).toEqual({ count: 300, metadataFollows: true });
    expect(decodeColumnCount(encodeColumnCount(2, true, false), true)).toEqual({
      count: 2,
      metadataFollows: false,
    });
    expect(() => decodeColumnCount(Buffer.from([0]))).toThrow(ProtocolError);
  });
});

describe('resultset: text rows', () => {
  it('encodes values as length-encoded strings (NULL = 0xFB) and decodes them lazily', () => {
    const w = writeTextRow(new PacketWriter(), values, columns);
    const row = new TextRow(columns).wrap(w.payload());
    expect(row.get(0)).toBe(-128);
    expect(row.get(4)).toBe(-(2n ** 63n));
    expect(row.get(5)).toBe(2n ** 64n - 1n);
    expect(row.get(7)).toBe(Math.PI);
    expect(row.get(8)).toBe('12345678901234567890.0123456789');
    expect(row.get(14)).toBe('héllo ✓');
    expect(row.get(15)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(row.isNull(16)).toBe(true);
    expect(row.get(16)).toBeNull();
    expect(row.raw(13)?.toString()).toBe('2155');
    expect(row.toArray()).toEqual(values);
    expect(() => row.get(17)).toThrow(RangeError);
  });
  it('keeps values as views into the row (no copy)', () => {
    const payload = writeTextRow(new PacketWriter(), ['abc'], [col('a', ColumnType.VAR_STRING)]).payload();
    const raw = new TextRow([col('a', ColumnType.VAR_STRING)]).wrap(payload).raw(0)!;
    expect(raw.buffer).toBe(payload.buffer);
  });
  it('is reusable across rows', () => {
    const cols = [col('a', ColumnType.LONG)];
    const row = new TextRow(cols);
    expect(row.wrap(writeTextRow(new PacketWriter(), [1], cols).payload()).get(0)).toBe(1);
    expect(row.wrap(writeTextRow(new PacketWriter(), [null], cols).payload()).get(0)).toBeNull();
  });
  it('rejects rows with missing, extra or overlong values', () => {
    const cols = [col('a', ColumnType.VAR_STRING), col('b', ColumnType.VAR_STRING)];
    const row = new TextRow(cols);
    expect(() => row.wrap(Buffer.from([1, 0x41])).get(0)).toThrow(/ends after 1/);
    expect(() => row.wrap(Buffer.from([1, 0x41, 1, 0x42, 0])).get(0)).toThrow(/after the last column/);
    expect(() =>
      row.wrap(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).get(0),
    ).toThrow(ProtocolError);
    expect(() => row.wrap(Buffer.from([0xff])).get(0)).toThrow(/bad length byte/);
  });
});

describe('resultset: binary rows', () => {
  it('round-trips every type through encoder and lazy decoder', () => {
    const w = writeBinaryRow(new PacketWriter(), columns, values);
    const row = new BinaryRow(columns).wrap(w.payload());
    const decoded = row.toArray();
    expect(decoded[6]).toBe(1.5);
    expect(decoded).toEqual(values);
  });
  it('lays out the NULL bitmap with offset 2 and omits NULL values', () => {
    const cols = [col('a', ColumnType.LONG), col('b', ColumnType.LONG), col('c', ColumnType.TINY)];
    const payload = writeBinaryRow(new PacketWriter(), cols, [null, 7, null]).payload();
    // header, bitmap (bits 2 and 4 set), then 4 bytes of the one non-NULL value
    expect([...payload]).toEqual([0x00, 0b10100, 7, 0, 0, 0]);
  });
  it('encodes temporals with the shortest length and decodes at the column decimals', () => {
    const cols = [col('d', ColumnType.DATETIME, { decimals: 0 }), col('t', ColumnType.TIME, { decimals: 0 })];
    const payload = writeBinaryRow(new PacketWriter(), cols, ['2001-02-03', '00:00:00']).payload();
    expect([...payload.subarray(2)]).toEqual([4, 0xd1, 0x07, 2, 3, 0]);
    expect(new BinaryRow(cols).wrap(payload).toArray()).toEqual(['2001-02-03 00:00:00', '00:00:00']);
  });
  it('names the column when a value does not fit its type', () => {
    expect(() => writeBinaryRow(new PacketWriter(), [col('when', ColumnType.DATE)], ['tomorrow'])).toThrow(
      /column 0 \(when\)/,
    );
  });
  it('rejects bad headers, bad temporal lengths and trailing bytes', () => {
    const cols = [col('a', ColumnType.DATE)];
    const row = new BinaryRow(cols);
    expect(() => row.wrap(Buffer.from([0x01, 0])).get(0)).toThrow(/0x00/);
    expect(() => row.wrap(Buffer.from([0x00, 0, 5, 1, 1, 1, 1, 1])).get(0)).toThrow(/temporal length 5/);
    expect(() => row.wrap(Buffer.from([0x00, 0, 0, 9])).get(0)).toThrow(/after the last column/);
  });
});
