/**
 * Column definition flags (the 16-bit `flags` field of ColumnDefinition41). Bits above 15 are
 * server-internal and never reach clients, but are listed for completeness when decoding dumps.
 */
export const ColumnFlag = {
  NOT_NULL: 1,
  PRI_KEY: 2,
  UNIQUE_KEY: 4,
  MULTIPLE_KEY: 8,
  BLOB: 16,
  UNSIGNED: 32,
  ZEROFILL: 64,
  BINARY: 128,
  ENUM: 256,
  AUTO_INCREMENT: 512,
  TIMESTAMP: 1024,
  SET: 2048,
  NO_DEFAULT_VALUE: 4096,
  ON_UPDATE_NOW: 8192,
  PART_KEY: 16384,
  /** Set for numeric columns; shares its bit with the server-internal GROUP flag. */
  NUM: 32768,
} as const;

/**
 * The high bit of the second byte of a COM_STMT_EXECUTE parameter type: the parameter is
 * unsigned (the wire sends `type | (UNSIGNED_PARAM << 8)` as a little-endian 16-bit value).
 */
export const UNSIGNED_PARAM_FLAG = 0x80;
