import { describe, expect, it } from 'vitest';
import {
  binaryDateTimeSize,
  binaryTimeSize,
  CollationId,
  ColumnType,
  collationById,
  collationByName,
  collationEncoding,
  columnTypeName,
  formatDateTime,
  formatTime,
  paramTypeOf,
  parseDateTime,
  parseTime,
  readBinaryDateTime,
  readBinaryTime,
  toDateTime,
  writeBinaryDateTime,
  writeBinaryTime,
} from '../src/types/index.js';

describe('types: collations', () => {
  it('knows the common collations by id and name', () => {
    expect(collationById(45)?.name).toBe('utf8mb4_general_ci');
    expect(collationById(255)?.name).toBe('utf8mb4_0900_ai_ci');
    expect(collationById(63)?.charset).toBe('binary');
    expect(collationById(8)?.name).toBe('latin1_swedish_ci');
    expect(collationById(33)?.name).toBe('utf8mb3_general_ci');
    expect(collationByName('utf8_general_ci')?.id).toBe(33);
    expect(collationByName('UTF8MB4_BIN')?.id).toBe(46);
    expect(collationById(9999)).toBeUndefined();
  });
  it('maps collations to Node encodings, binary to null', () => {
    expect(collationEncoding(CollationId.BINARY)).toBeNull();
    expect(collationEncoding(CollationId.LATIN1_SWEDISH_CI)).toBe('latin1');
    expect(collationEncoding(CollationId.UTF8MB4_0900_AI_CI)).toBe('utf8');
    expect(collationEncoding(4242)).toBe('utf8');
  });
  it('names column types, including unknown codes', () => {
    expect(columnTypeName(ColumnType.NEWDECIMAL)).toBe('NEWDECIMAL');
    expect(columnTypeName(0x42)).toBe('UNKNOWN(0x42)');
  });
});

describe('types: temporal encodings', () => {
  const cases = [
    { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0 },
    { year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0, microsecond: 0 },
    { year: 2024, month: 2, day: 29, hour: 13, minute: 5, second: 9, microsecond: 0 },
    { year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999999 },
  ];
  it('writes the shortest binary datetime and reads it back', () => {
    const sizes = cases.map(binaryDateTimeSize);
    expect(sizes).toEqual([1, 5, 8, 12]);
    for (const v of cases) {
      const buf = Buffer.alloc(12);
      const end = writeBinaryDateTime(buf, 0, v);
      expect(end).toBe(binaryDateTimeSize(v));
      expect(readBinaryDateTime(buf, 0)).toEqual(v);
    }
  });
  it('writes binary TIME (0/8/12) and reads it back, including negative values past 24h', () => {
    const times = [
      { negative: false, days: 0, hour: 0, minute: 0, second: 0, microsecond: 0 },
      { negative: true, days: 34, hour: 22, minute: 59, second: 59, microsecond: 0 },
      { negative: false, days: 1, hour: 2, minute: 3, second: 4, microsecond: 500000 },
    ];
    expect(times.map(binaryTimeSize)).toEqual([1, 9, 13]);
    for (const v of times) {
      const buf = Buffer.alloc(13);
      writeBinaryTime(buf, 0, v);
      expect(readBinaryTime(buf, 0)).toEqual(v);
    }
    expect(formatTime(times[1]!, 0)).toBe('-838:59:59');
    expect(formatTime(times[2]!, 3)).toBe('26:03:04.500');
  });
  it('formats and parses the text forms', () => {
    const v = parseDateTime('2024-02-29 13:05:09.25')!;
    expect(v.microsecond).toBe(250000);
    expect(formatDateTime(v, 6)).toBe('2024-02-29 13:05:09.250000');
    expect(formatDateTime(v, 0)).toBe('2024-02-29 13:05:09');
    expect(formatDateTime(v, 0x1f)).toBe('2024-02-29 13:05:09.250000');
    expect(parseTime('-838:59:59')).toEqual({
      negative: true,
      days: 34,
      hour: 22,
      minute: 59,
      second: 59,
      microsecond: 0,
    });
    expect(parseDateTime('yesterday')).toBeUndefined();
    expect(parseTime('12:00')).toBeUndefined();
  });
  it('reads Dates in UTC and refuses what is not a date', () => {
    expect(toDateTime(new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)))).toEqual({
      year: 2020,
      month: 1,
      day: 2,
      hour: 3,
      minute: 4,
      second: 5,
      microsecond: 6000,
    });
    expect(() => toDateTime('not a date')).toThrow(/not a date/);
    expect(() => toDateTime(new Date(Number.NaN))).toThrow(/invalid Date/);
  });
  it('infers parameter types from JS values', () => {
    expect(paramTypeOf(1)).toEqual({ type: ColumnType.LONGLONG, unsigned: false });
    expect(paramTypeOf(1.5).type).toBe(ColumnType.DOUBLE);
    expect(paramTypeOf(2n ** 64n - 1n)).toEqual({ type: ColumnType.LONGLONG, unsigned: true });
    expect(paramTypeOf('x').type).toBe(ColumnType.VAR_STRING);
    expect(paramTypeOf(Buffer.from('x')).type).toBe(ColumnType.BLOB);
    expect(paramTypeOf(null).type).toBe(ColumnType.NULL);
    expect(paramTypeOf(new Date()).type).toBe(ColumnType.DATETIME);
    expect(() => paramTypeOf(new Map() as never)).toThrow(/Map/);
  });
});
