/**
 * Column (field) type codes as they appear in column definitions, in COM_STMT_EXECUTE parameter
 * types and in the binary protocol. The numbering is shared by MySQL and MariaDB; the comments
 * name the server side that actually sends a code on the wire.
 */
export const ColumnType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  /** Internal to the server; clients see DATE. */
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  /** Replication/storage only: clients see TIMESTAMP. */
  TIMESTAMP2: 0x11,
  /** Replication/storage only: clients see DATETIME. */
  DATETIME2: 0x12,
  /** Replication/storage only: clients see TIME. */
  TIME2: 0x13,
  /** MySQL 8 replication only. */
  TYPED_ARRAY: 0x14,
  /** MySQL 9 VECTOR columns. */
  VECTOR: 0xf2,
  /** MySQL JSON. MariaDB sends JSON as a BLOB/STRING column (with extended metadata "json"). */
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

/** One of the {@link ColumnType} codes. */
export type ColumnTypeCode = (typeof ColumnType)[keyof typeof ColumnType];

const names = new Map<number, string>(Object.entries(ColumnType).map(([name, code]) => [code, name]));

/** The constant's name for a type code (`LONGLONG`), or `UNKNOWN(0x..)` for codes we do not know. */
export function columnTypeName(code: number): string {
  return names.get(code) ?? `UNKNOWN(0x${code.toString(16).padStart(2, '0')})`;
}

/** True when the code is one of the known column types. */
export function isKnownColumnType(code: number): code is ColumnTypeCode {
  return names.has(code);
}

/**
 * The binary-protocol payload size of a fixed-width type, or 0 for types encoded as a
 * length-prefixed value (strings, decimals, blobs) or with their own length byte (temporals).
 */
export function fixedBinaryWidth(code: number): number {
  switch (code) {
    case ColumnType.TINY:
      return 1;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      return 2;
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.FLOAT:
      return 4;
    case ColumnType.LONGLONG:
    case ColumnType.DOUBLE:
      return 8;
    default:
      return 0;
  }
}

/** True for the types the binary protocol encodes with a leading length byte (0/4/7/11 or 0/8/12). */
export function isTemporalType(code: number): boolean {
  return (
    code === ColumnType.DATE ||
    code === ColumnType.NEWDATE ||
    code === ColumnType.DATETIME ||
    code === ColumnType.TIMESTAMP ||
    code === ColumnType.TIME
  );
}
