import {
  CollationId,
  type ColumnDefinition,
  ColumnFlag,
  ColumnType,
  columnDefinition,
  NOT_FIXED_DECIMALS,
  parseDateTime,
  parseTime,
} from '@scalestack/mysql-protocol';
import { castColumnType, withCastsAsWritten } from '../sql/cast.js';
import { applyEnumMembers, enumMembers, enumType } from '../sql/enum-columns.js';
import { withDivisionAsWritten } from '../sql/real-division.js';

/** A value as node:sqlite returns it with `setReadBigInts(true)`. */
export type SqliteValue = null | bigint | number | string | Uint8Array;

/** What SQLite says about one result column. */
export interface SqliteColumn {
  name: string;
  column: string | null;
  table: string | null;
  database: string | null;
  type: string | null;
}

/** A MySQL type chosen for a column, before the values are checked against it. */
export interface MysqlType {
  type: number;
  length: number;
  decimals: number;
  flags: number;
  charset: number;
}

const UTF8 = CollationId.UTF8MB4_GENERAL_CI;
/** MySQL's largest DECIMAL precision and scale (ER_TOO_BIG_PRECISION 1426, ER_TOO_BIG_SCALE 1425). */
export const MAX_DECIMAL_PRECISION = 65;
export const MAX_DECIMAL_SCALE = 30;
const BIN = CollationId.BINARY;

function t(type: number, length: number, flags = 0, decimals = 0, charset: number = BIN): MysqlType {
  return { type, length, decimals, flags, charset };
}

const INTEGER_RANGES: Record<number, [bigint, bigint, bigint]> = {
  // type: [min, max, max unsigned]
  [ColumnType.TINY]: [-128n, 127n, 255n],
  [ColumnType.SHORT]: [-32768n, 32767n, 65535n],
  [ColumnType.INT24]: [-8388608n, 8388607n, 16777215n],
  [ColumnType.LONG]: [-2147483648n, 2147483647n, 4294967295n],
  [ColumnType.LONGLONG]: [-9223372036854775808n, 9223372036854775807n, 18446744073709551615n],
};

/**
 * The MySQL type for a declared SQLite column type: the MySQL names people write
 * (`VARCHAR(20)`, `DATETIME(3)`, `TINYINT(1)`, `BIGINT UNSIGNED`, `DECIMAL(10,2)`…) map to
 * themselves; anything else follows SQLite's affinity rules. Undefined when nothing was declared.
 */
export function declaredType(declared: string | null): MysqlType | undefined {
  if (declared === null || declared.trim() === '') return undefined;
  const enumText = enumType(declared);
  if (enumText !== undefined) {
    // As MariaDB sends an ENUM: a CHAR as long as the longest member, flagged ENUM.
    const longest = Math.max(...enumMembers(enumText).map((m) => m.length));
    return t(ColumnType.STRING, longest * 4, ColumnFlag.ENUM, 0, UTF8);
  }
  const upper = declared.toUpperCase();
  const m = upper.match(
    /^\s*([A-Z_ ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(UNSIGNED)?\s*(ZEROFILL)?\s*$/,
  );
  const base = m?.[1]?.trim() ?? '';
  const n = m?.[2] !== undefined ? Number(m[2]) : undefined;
  const scale = m?.[3] !== undefined ? Number(m[3]) : undefined;
  const unsigned = m?.[4] !== undefined ? ColumnFlag.UNSIGNED : 0;
  const num = ColumnFlag.NUM | unsigned;
  switch (base) {
    case 'BOOL':
    case 'BOOLEAN':
      return t(ColumnType.TINY, 1, num);
    case 'TINYINT':
      return t(ColumnType.TINY, n ?? 4, num);
    case 'SMALLINT':
      return t(ColumnType.SHORT, n ?? 6, num);
    case 'MEDIUMINT':
      return t(ColumnType.INT24, n ?? 9, num);
    case 'INT':
      return t(ColumnType.LONG, n ?? 11, num);
    case 'INTEGER':
    case 'BIGINT':
      return t(ColumnType.LONGLONG, n ?? 20, num);
    case 'FLOAT':
    case 'DOUBLE':
    case 'DOUBLE PRECISION':
    case 'REAL':
      return t(ColumnType.DOUBLE, 22, num, NOT_FIXED_DECIMALS);
    case 'DECIMAL':
    case 'NUMERIC':
    case 'DEC':
    case 'FIXED':
      // MySQL's bounds (CREATE/ALTER refuse beyond them, see sql/create-table.ts); a table made
      // before that check, or by hand, is read within them: values are padded to the scale.
      return t(
        ColumnType.NEWDECIMAL,
        Math.min(n ?? 10, MAX_DECIMAL_PRECISION) + 2,
        num,
        Math.min(scale ?? 0, MAX_DECIMAL_SCALE),
      );
    case 'DATE':
      return t(ColumnType.DATE, 10);
    case 'DATETIME':
    case 'TIMESTAMP':
      return t(ColumnType.DATETIME, 19 + (n ? n + 1 : 0), 0, n ?? 0);
    case 'TIME':
      return t(ColumnType.TIME, 10 + (n ? n + 1 : 0), 0, n ?? 0);
    case 'YEAR':
      return t(ColumnType.YEAR, 4, ColumnFlag.UNSIGNED | ColumnFlag.NUM);
    case 'CHAR':
    case 'CHARACTER':
    case 'NCHAR':
      return t(ColumnType.STRING, (n ?? 1) * 4, 0, 0, UTF8);
    case 'VARCHAR':
    case 'CHARACTER VARYING':
    case 'NVARCHAR':
    case 'VARYING CHARACTER':
      return t(ColumnType.VAR_STRING, (n ?? 255) * 4, 0, 0, UTF8);
    case 'TINYTEXT':
    case 'TEXT':
    case 'MEDIUMTEXT':
    case 'LONGTEXT':
    case 'CLOB':
      return t(ColumnType.VAR_STRING, 262140, 0, 0, UTF8);
    case 'JSON':
      return t(ColumnType.JSON, 4294967295, ColumnFlag.BLOB | ColumnFlag.BINARY);
    case 'BINARY':
      return t(ColumnType.STRING, n ?? 1, ColumnFlag.BINARY);
    case 'VARBINARY':
      return t(ColumnType.VAR_STRING, n ?? 255, ColumnFlag.BINARY);
    case 'TINYBLOB':
    case 'BLOB':
    case 'MEDIUMBLOB':
    case 'LONGBLOB':
      return t(ColumnType.BLOB, 65535, ColumnFlag.BLOB | ColumnFlag.BINARY);
  }
  // SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), in their order.
  if (upper.includes('INT')) return t(ColumnType.LONGLONG, 20, num);
  if (upper.includes('CHAR') || upper.includes('CLOB') || upper.includes('TEXT'))
    return t(ColumnType.VAR_STRING, 262140, 0, 0, UTF8);
  if (upper.includes('BLOB')) return t(ColumnType.BLOB, 65535, ColumnFlag.BLOB | ColumnFlag.BINARY);
  if (upper.includes('REAL') || upper.includes('FLOA') || upper.includes('DOUB'))
    return t(ColumnType.DOUBLE, 22, ColumnFlag.NUM, NOT_FIXED_DECIMALS);
  return undefined; // NUMERIC affinity: decided by the values
}

/** The type the values of a column without a usable declared type call for. */
function typeFromValues(rows: readonly SqliteValue[][], i: number): MysqlType {
  let ints = 0;
  let reals = 0;
  let texts = 0;
  let blobs = 0;
  let maxLength = 0;
  for (const row of rows) {
    const v = row[i];
    if (v === null || v === undefined) continue;
    switch (typeof v) {
      case 'bigint':
        ints++;
        break;
      case 'number':
        reals++;
        break;
      case 'string':
        texts++;
        if (v.length > maxLength) maxLength = v.length;
        break;
      default:
        blobs++;
        if (v.length > maxLength) maxLength = v.length;
    }
  }
  if (blobs > 0) return t(ColumnType.BLOB, 65535, ColumnFlag.BLOB | ColumnFlag.BINARY);
  if (texts > 0) return t(ColumnType.VAR_STRING, Math.max(maxLength, 64) * 4, 0, 0, UTF8);
  if (reals > 0) return t(ColumnType.DOUBLE, 22, ColumnFlag.NUM, NOT_FIXED_DECIMALS);
  if (ints > 0) return t(ColumnType.LONGLONG, 21, ColumnFlag.NUM);
  return t(ColumnType.NULL, 0);
}

/** True when every value of column `i` can be sent as `type` (SQLite lets any value into any column). */
function valuesFit(rows: readonly SqliteValue[][], i: number, type: MysqlType): boolean {
  const range = INTEGER_RANGES[type.type];
  for (const row of rows) {
    const v = row[i];
    if (v === null || v === undefined) continue;
    if (range !== undefined) {
      if (typeof v !== 'bigint') return false;
      const unsigned = (type.flags & ColumnFlag.UNSIGNED) !== 0;
      if (v < (unsigned ? 0n : range[0]) || v > (unsigned ? range[2] : range[1])) return false;
      continue;
    }
    switch (type.type) {
      case ColumnType.DOUBLE:
      case ColumnType.NEWDECIMAL:
        if (typeof v !== 'number' && typeof v !== 'bigint') return false;
        break;
      case ColumnType.YEAR:
        if (typeof v !== 'bigint') return false;
        break;
      case ColumnType.DATE:
      case ColumnType.DATETIME:
        if (typeof v !== 'string' || parseDateTime(v) === undefined) return false;
        break;
      case ColumnType.TIME:
        if (typeof v !== 'string' || parseTime(v) === undefined) return false;
        break;
      case ColumnType.JSON:
        if (typeof v !== 'string') return false;
        try {
          JSON.parse(v);
        } catch {
          return false;
        }
        break;
    }
  }
  return true;
}

/**
 * Column definitions for a result: names and origins from SQLite; the type from the declared
 * type when every value fits it, else from the values themselves (SQLite is dynamically typed:
 * an INT column may hold text, and an expression has no declared type at all).
 * `names` maps rewritten expressions back to what the client wrote, longest first
 * ({@link displayName}). The values of enum columns get their member's spelling in `rows`
 * ({@link applyEnumMembers}), which takes the declared types read here. `castTypes` declares the
 * types of columns named after a cast's alias (sql/cast.ts).
 */
export function describeColumns(
  columns: readonly SqliteColumn[],
  rows: SqliteValue[][],
  names?: ReadonlyMap<string, string>,
  castTypes?: ReadonlyMap<string, string>,
): ColumnDefinition[] {
  applyEnumMembers(
    columns.map((c) => c.type),
    rows,
  );
  return columns.map((c, i) => {
    let type = declaredType(c.type ?? castTypes?.get(c.name) ?? castColumnType(c.name) ?? null);
    if (type === undefined || !valuesFit(rows, i, type)) type = typeFromValues(rows, i);
    return columnDefinition({
      schema: c.database ?? '',
      table: c.table ?? '',
      orgTable: c.table ?? '',
      name: displayName(c.name, names),
      orgName: c.column ?? '',
      type: type.type,
      columnLength: type.length,
      decimals: type.decimals,
      flags: type.flags,
      characterSet: type.charset,
    });
  });
}

/**
 * The name MySQL would give a column: rewritten expressions get their original text back, and
 * a bare string literal is named by its value (`SELECT 'abc'` → `abc`). `names` is applied in
 * its order, which must put a text before any it holds: longest first, as rewrite orders it.
 */
export function displayName(name: string, names?: ReadonlyMap<string, string>): string {
  let out = name;
  if (names !== undefined)
    for (const [from, to] of names) if (out.includes(from)) out = out.replaceAll(from, to);
  // Last, and for any statement: a view's columns are named from its stored (rewritten) text.
  out = withCastsAsWritten(withDivisionAsWritten(out));
  if (
    out.length >= 2 &&
    out[0] === "'" &&
    out[out.length - 1] === "'" &&
    !out.slice(1, -1).replaceAll("''", '').includes("'")
  ) {
    return out.slice(1, -1).replaceAll("''", "'");
  }
  return out;
}

/** A column definition for results we build ourselves (SHOW …). */
export function textColumn(name: string, length = 256): ColumnDefinition {
  return columnDefinition({
    name,
    type: ColumnType.VAR_STRING,
    columnLength: length * 4,
    characterSet: UTF8,
  });
}

/** A BIGINT column definition for results we build ourselves. */
export function integerColumn(name: string): ColumnDefinition {
  return columnDefinition({ name, type: ColumnType.LONGLONG, columnLength: 21, flags: ColumnFlag.NUM });
}

/**
 * The bytes {@link applyDecimalScale} may add to a row of these columns, beyond what the values
 * counted as read: a number becomes text of up to 65 digits, a sign, a point and a scale.
 */
export function decimalPadding(columns: readonly SqliteColumn[]): number {
  let n = 0;
  for (const c of columns) if (declaredType(c.type)?.type === ColumnType.NEWDECIMAL) n++;
  return n * (24 + 2 * (MAX_DECIMAL_PRECISION + 2));
}

/**
 * Gives the values of DECIMAL(p,s) columns their scale, as MySQL sends them (`12.30`, `5.00`):
 * SQLite stores them as numbers, which lose trailing zeros (`12.3`, `5`). Changes `rows` in place.
 */
export function applyDecimalScale(columns: readonly ColumnDefinition[], rows: SqliteValue[][]): void {
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    if (c.type !== ColumnType.NEWDECIMAL) continue;
    for (const row of rows) row[i] = decimalText(row[i]!, c.decimals);
  }
}

function decimalText(v: SqliteValue, scale: number): SqliteValue {
  if (typeof v === 'bigint') return scale === 0 ? v.toString() : `${v}.${'0'.repeat(scale)}`;
  // toFixed writes exponents from 1e21 on (and takes 100 digits at most): past that the plain
  // text is as exact as it gets.
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e21 && scale <= 100)
    return v.toFixed(scale);
  return v;
}
