import { enumMembers, enumType } from '../sql/enum-columns.js';
import { mysqlIndexName } from '../sql/index-ddl.js';
import { withDivisionAsWritten } from '../sql/real-division.js';
import type { MysqlFunction } from './definition.js';
import type { SqlValue } from './values.js';

/** MySQL's name for the data types SQLite takes under other names. */
const DATA_TYPE_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['integer', 'int'],
  ['bool', 'tinyint'],
  ['boolean', 'tinyint'],
  ['numeric', 'decimal'],
  ['dec', 'decimal'],
  ['fixed', 'decimal'],
  ['real', 'double'],
  ['double precision', 'double'],
  ['character', 'char'],
  ['character varying', 'varchar'],
  ['nvarchar', 'varchar'],
  ['nchar', 'char'],
]);

const TEXT_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['tinytext', 255],
  ['text', 65535],
  ['mediumtext', 16777215],
  ['longtext', 4294967295],
  ['tinyblob', 255],
  ['blob', 65535],
  ['mediumblob', 16777215],
  ['longblob', 4294967295],
]);

const INTEGER_DIGITS: ReadonlyMap<string, number> = new Map([
  ['tinyint', 3],
  ['smallint', 5],
  ['mediumint', 7],
  ['int', 10],
  ['bigint', 19],
]);

const DECLARED =
  /^\s*([a-z]+(?:\s+(?!unsigned\b|zerofill\b)[a-z]+)*)?\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(unsigned)?/i;

/** What information_schema.COLUMNS says of a column declared with SQLite type `declared`. */
export function columnFacts(declared: string): Record<string, string | number | null> {
  const enumText = enumType(declared);
  if (enumText !== undefined) {
    const longest = Math.max(...enumMembers(enumText).map((m) => m.length));
    return {
      DATA_TYPE: 'enum',
      COLUMN_TYPE: enumText,
      CHARACTER_MAXIMUM_LENGTH: longest,
      CHARACTER_OCTET_LENGTH: longest * 4,
      NUMERIC_PRECISION: null,
      NUMERIC_SCALE: null,
      DATETIME_PRECISION: null,
      CHARACTER_SET_NAME: 'utf8mb4',
      COLLATION_NAME: 'utf8mb4_general_ci',
    };
  }
  const m = DECLARED.exec(declared) ?? [];
  const word = (m[1] ?? '').toLowerCase().trim();
  const dataType = DATA_TYPE_SYNONYMS.get(word) ?? (word === '' ? 'blob' : word.split(' ')[0]!);
  const size = m[2] === undefined ? undefined : Number(m[2]);
  const scale = m[3] === undefined ? undefined : Number(m[3]);
  const text = ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'].includes(dataType);
  let maxLength: number | null = null;
  if (dataType === 'char' || dataType === 'binary') maxLength = size ?? 1;
  else if (dataType === 'varchar' || dataType === 'varbinary') maxLength = size ?? null;
  else maxLength = TEXT_LENGTHS.get(dataType) ?? null;
  let precision: number | null = null;
  let numericScale: number | null = null;
  const digits = INTEGER_DIGITS.get(dataType);
  if (digits !== undefined) {
    precision = dataType === 'bigint' && m[4] !== undefined ? 20 : digits;
    numericScale = 0;
  } else if (dataType === 'decimal') {
    precision = size ?? 10;
    numericScale = scale ?? 0;
  } else if (dataType === 'float') precision = 12;
  else if (dataType === 'double') precision = 22;
  return {
    DATA_TYPE: dataType,
    COLUMN_TYPE: declared.toLowerCase(),
    CHARACTER_MAXIMUM_LENGTH: maxLength,
    // CHAR/VARCHAR lengths are characters (4 bytes each in utf8mb4), TEXT's already bytes.
    CHARACTER_OCTET_LENGTH:
      maxLength === null ? null : dataType === 'char' || dataType === 'varchar' ? maxLength * 4 : maxLength,
    NUMERIC_PRECISION: precision,
    NUMERIC_SCALE: numericScale,
    DATETIME_PRECISION: ['datetime', 'timestamp', 'time'].includes(dataType) ? (size ?? 0) : null,
    CHARACTER_SET_NAME: text ? 'utf8mb4' : null,
    COLLATION_NAME: text ? 'utf8mb4_general_ci' : null,
  };
}

const TRIGGER_HEAD =
  /^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?.*?\s(BEFORE|AFTER|INSTEAD\s+OF)?\s*(INSERT|DELETE|UPDATE)\b[\s\S]*?\bON\s+\S+\s+(?:FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+([\s\S]*?)\s+)?(BEGIN\b[\s\S]*)$/i;

/** What information_schema.TRIGGERS says of a trigger made by `sql` (its CREATE TRIGGER). */
export function triggerFacts(stored: string): Record<string, string | null> {
  const sql = withDivisionAsWritten(stored);
  const m = TRIGGER_HEAD.exec(sql);
  return {
    EVENT_MANIPULATION: m?.[2]?.toUpperCase() ?? null,
    ACTION_TIMING: (m?.[1] ?? 'BEFORE').toUpperCase().replace(/\s+/g, ' '),
    ACTION_CONDITION: m?.[3] ?? null,
    ACTION_STATEMENT: m?.[4] ?? sql,
  };
}

/**
 * `__column_fact(declared type, field)`, `__trigger_fact(create sql, field)` and
 * `__view_definition(create sql)`: the information_schema views' reading of a column's type, a
 * trigger's and a view's definition.
 */
export function catalogFactFunctions(): MysqlFunction[] {
  return [
    {
      // MySQL's name of SQLite index `index` of `table`: without the `<table>.` it is kept under.
      names: ['__index_name'],
      fn: (index: SqlValue, table: SqlValue) => mysqlIndexName(String(index), String(table)),
    },
    {
      // What MySQL keeps of a view: the query after `AS`.
      names: ['__view_definition'],
      fn: (sql: SqlValue) =>
        sql === null
          ? null
          : withDivisionAsWritten(String(sql)).replace(
              /^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?VIEW\s[\s\S]*?\bAS\s+/i,
              '',
            ),
    },
    {
      names: ['__trigger_fact'],
      fn: (sql: SqlValue, field: SqlValue) => triggerFacts(String(sql ?? ''))[String(field)] ?? null,
    },
    {
      names: ['__column_fact'],
      fn: (declared: SqlValue, field: SqlValue) => {
        const v = columnFacts(String(declared ?? ''))[String(field)];
        return typeof v === 'number' ? BigInt(v) : (v ?? null);
      },
    },
  ];
}
