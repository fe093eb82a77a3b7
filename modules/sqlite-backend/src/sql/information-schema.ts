import { keyword, type Token, TokenType } from './lexer.js';
import { REAL_DIVISION } from './real-division.js';

/**
 * The user tables and views of every database (SQLite schema) but the temporary one, as
 * `pragma_table_list` rows `t` — what information_schema describes —, with `joins` after it and
 * `where` as a further condition. With `temporary`, those of the temporary one instead (for SHOW
 * INDEX, which MariaDB answers for a temporary table that its information_schema leaves out).
 */
function userTables(joins = '', where = '', temporary = false): string {
  return `pragma_table_list AS t ${joins} WHERE t.schema ${temporary ? '=' : '<>'} 'temp' AND t.type IN ('table', 'view')
    AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ${where === '' ? '' : `AND ${where}`}`;
}

/**
 * A column's declared type: SQLite's, but for a rowid column the type MySQL's CREATE gave the
 * AUTO_INCREMENT column (auto-increment-type.ts), which SQLite's is `INTEGER` for.
 */
const COLUMN_TYPE = `CASE WHEN c.pk > 0 AND upper(c.type) = 'INTEGER' THEN __declared_type(t.schema, t.name, c.type) ELSE c.type END`;

/** An index's columns, as `pragma_index_info` rows (`seqno` from 0). */
const indexColumns = (index: string) => `pragma_index_info(${index}, t.schema)`;

/**
 * The name MySQL gives index `i`: its own, or for a UNIQUE constraint (SQLite's
 * `sqlite_autoindex_…`) its first column's.
 */
const INDEX_NAME = `CASE WHEN i.name LIKE 'sqlite\\_autoindex\\_%' ESCAPE '\\'
  THEN (SELECT name FROM ${indexColumns('i.name')} WHERE seqno = 0) ELSE __index_name(i.name, t.name) END`;

/** Primary-key columns `c` (`c.pk`: their place in the key) of the tables `t`. */
const primaryKeys = (temporary = false) =>
  userTables('JOIN pragma_table_info(t.name, t.schema) AS c', "c.pk > 0 AND t.type = 'table'", temporary);
const PRIMARY_KEYS = primaryKeys();
/** Unique indexes `i` other than the primary key's, and their columns `k`. */
const UNIQUE_KEYS = userTables(
  `JOIN pragma_index_list(t.name, t.schema) AS i JOIN ${indexColumns('i.name')} AS k`,
  `i."unique" AND i.origin <> 'pk'`,
);
/** Foreign keys `f`, one row per column. */
const FOREIGN_KEYS = userTables('JOIN pragma_foreign_key_list(t.name, t.schema) AS f');
/** Its CONSTRAINT name, or MySQL's `<table>_ibfk_<n>` (a function the database registers). */
const FOREIGN_KEY_NAME = '__foreign_key_name(t.schema, t.name, f.id)';

/**
 * information_schema.STATISTICS: PRIMARY for every primary key (a rowid one has no index of its
 * own in SQLite), then every other index; of the temporary schema's tables with `temporary`.
 */
function statistics(temporary = false): string {
  return `SELECT 'def' AS TABLE_CATALOG, t.schema AS TABLE_SCHEMA, t.name AS TABLE_NAME, 0 AS NON_UNIQUE,
            t.schema AS INDEX_SCHEMA, 'PRIMARY' AS INDEX_NAME, c.pk AS SEQ_IN_INDEX, c.name AS COLUMN_NAME,
            'A' AS COLLATION, NULL AS CARDINALITY, NULL AS SUB_PART, NULL AS PACKED, '' AS NULLABLE,
            'BTREE' AS INDEX_TYPE, '' AS COMMENT, '' AS INDEX_COMMENT, 'NO' AS IGNORED
          FROM ${primaryKeys(temporary)}
          UNION ALL
          SELECT 'def', t.schema, t.name, CASE WHEN i."unique" THEN 0 ELSE 1 END, t.schema, ${INDEX_NAME},
            k.seqno + 1, k.name, 'A', NULL, NULL, NULL,
            CASE WHEN (SELECT "notnull" FROM pragma_table_info(t.name, t.schema) WHERE name = k.name) THEN '' ELSE 'YES' END,
            'BTREE', '', '', 'NO'
          FROM ${userTables(`JOIN pragma_index_list(t.name, t.schema) AS i JOIN ${indexColumns('i.name')} AS k`, "i.origin <> 'pk'", temporary)}`;
}

/**
 * The information_schema tables the backend answers, as SQLite queries over its own catalog
 * (the `pragma_*` table-valued functions), with MariaDB 10.11's column names and order.
 */
const VIEWS: ReadonlyMap<string, string> = new Map(
  (
    [
      [
        'SCHEMATA',
        `SELECT 'def' AS CATALOG_NAME, d.name AS SCHEMA_NAME, 'utf8mb4' AS DEFAULT_CHARACTER_SET_NAME,
          'utf8mb4_general_ci' AS DEFAULT_COLLATION_NAME, NULL AS SQL_PATH, '' AS SCHEMA_COMMENT
          FROM pragma_database_list AS d WHERE d.name <> 'temp'`,
      ],
      [
        'TABLES',
        `SELECT 'def' AS TABLE_CATALOG, t.schema AS TABLE_SCHEMA, t.name AS TABLE_NAME,
          CASE t.type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS TABLE_TYPE,
          CASE t.type WHEN 'view' THEN NULL ELSE 'SQLite' END AS ENGINE,
          CASE t.type WHEN 'view' THEN NULL ELSE 10 END AS VERSION,
          CASE t.type WHEN 'view' THEN NULL ELSE 'Dynamic' END AS ROW_FORMAT,
          NULL AS TABLE_ROWS, NULL AS AVG_ROW_LENGTH, NULL AS DATA_LENGTH, NULL AS MAX_DATA_LENGTH,
          NULL AS INDEX_LENGTH, NULL AS DATA_FREE, NULL AS AUTO_INCREMENT, NULL AS CREATE_TIME,
          NULL AS UPDATE_TIME, NULL AS CHECK_TIME,
          CASE t.type WHEN 'view' THEN NULL ELSE 'utf8mb4_general_ci' END AS TABLE_COLLATION,
          NULL AS CHECKSUM, '' AS CREATE_OPTIONS, CASE t.type WHEN 'view' THEN 'VIEW' ELSE '' END AS TABLE_COMMENT,
          NULL AS MAX_INDEX_LENGTH, 'N' AS TEMPORARY
          FROM ${userTables()}`,
      ],
      [
        'COLUMNS',
        `SELECT 'def' AS TABLE_CATALOG, t.schema AS TABLE_SCHEMA, t.name AS TABLE_NAME, c.name AS COLUMN_NAME,
          c.cid + 1 AS ORDINAL_POSITION, replace(c.dflt_value, '${REAL_DIVISION}', '/') AS COLUMN_DEFAULT,
          CASE WHEN c."notnull" OR c.pk > 0 THEN 'NO' ELSE 'YES' END AS IS_NULLABLE,
          __column_fact(${COLUMN_TYPE}, 'DATA_TYPE') AS DATA_TYPE,
          __column_fact(${COLUMN_TYPE}, 'CHARACTER_MAXIMUM_LENGTH') AS CHARACTER_MAXIMUM_LENGTH,
          __column_fact(${COLUMN_TYPE}, 'CHARACTER_OCTET_LENGTH') AS CHARACTER_OCTET_LENGTH,
          __column_fact(${COLUMN_TYPE}, 'NUMERIC_PRECISION') AS NUMERIC_PRECISION,
          __column_fact(${COLUMN_TYPE}, 'NUMERIC_SCALE') AS NUMERIC_SCALE,
          __column_fact(${COLUMN_TYPE}, 'DATETIME_PRECISION') AS DATETIME_PRECISION,
          __column_fact(${COLUMN_TYPE}, 'CHARACTER_SET_NAME') AS CHARACTER_SET_NAME,
          __column_fact(${COLUMN_TYPE}, 'COLLATION_NAME') AS COLLATION_NAME,
          __column_fact(${COLUMN_TYPE}, 'COLUMN_TYPE') AS COLUMN_TYPE,
          CASE
            WHEN c.pk > 0 THEN 'PRI'
            WHEN EXISTS (SELECT 1 FROM pragma_index_list(t.name, t.schema) AS i
              WHERE i."unique" AND (SELECT count(*) FROM ${indexColumns('i.name')}) = 1
                AND (SELECT name FROM ${indexColumns('i.name')}) = c.name) THEN 'UNI'
            WHEN EXISTS (SELECT 1 FROM pragma_index_list(t.name, t.schema) AS i
              WHERE (SELECT name FROM ${indexColumns('i.name')} WHERE seqno = 0) = c.name) THEN 'MUL'
            ELSE '' END AS COLUMN_KEY,
          CASE
            -- A rowid primary key numbers rows itself, as AUTO_INCREMENT does.
            WHEN c.pk > 0 AND upper(c.type) = 'INTEGER'
              AND (SELECT count(*) FROM pragma_table_info(t.name, t.schema) WHERE pk > 0) = 1 THEN 'auto_increment'
            WHEN c.hidden = 2 THEN 'VIRTUAL GENERATED'
            WHEN c.hidden = 3 THEN 'STORED GENERATED'
            ELSE __on_update_extra(t.schema, t.name, c.name) END AS EXTRA,
          'select,insert,update,references' AS PRIVILEGES, '' AS COLUMN_COMMENT,
          CASE WHEN c.hidden >= 2 THEN 'ALWAYS' ELSE 'NEVER' END AS IS_GENERATED, NULL AS GENERATION_EXPRESSION
          FROM ${userTables('JOIN pragma_table_xinfo(t.name, t.schema) AS c', 'c.hidden IN (0, 2, 3)')}`,
      ],
      ['STATISTICS', statistics()],
      [
        'TABLE_CONSTRAINTS',
        `SELECT DISTINCT 'def' AS CONSTRAINT_CATALOG, t.schema AS CONSTRAINT_SCHEMA, 'PRIMARY' AS CONSTRAINT_NAME,
            t.schema AS TABLE_SCHEMA, t.name AS TABLE_NAME, 'PRIMARY KEY' AS CONSTRAINT_TYPE
          FROM ${PRIMARY_KEYS}
          UNION ALL
          SELECT DISTINCT 'def', t.schema, ${INDEX_NAME}, t.schema, t.name, 'UNIQUE' FROM ${UNIQUE_KEYS}
          UNION ALL
          SELECT DISTINCT 'def', t.schema, ${FOREIGN_KEY_NAME}, t.schema, t.name, 'FOREIGN KEY' FROM ${FOREIGN_KEYS}`,
      ],
      [
        // No stored routines in SQLite: the table is there, and empty, for tools that list them.
        'ROUTINES',
        `SELECT ${[
          'SPECIFIC_NAME',
          'ROUTINE_CATALOG',
          'ROUTINE_SCHEMA',
          'ROUTINE_NAME',
          'ROUTINE_TYPE',
          'DATA_TYPE',
          'CHARACTER_MAXIMUM_LENGTH',
          'CHARACTER_OCTET_LENGTH',
          'NUMERIC_PRECISION',
          'NUMERIC_SCALE',
          'DATETIME_PRECISION',
          'CHARACTER_SET_NAME',
          'COLLATION_NAME',
          'DTD_IDENTIFIER',
          'ROUTINE_BODY',
          'ROUTINE_DEFINITION',
          'EXTERNAL_NAME',
          'EXTERNAL_LANGUAGE',
          'PARAMETER_STYLE',
          'IS_DETERMINISTIC',
          'SQL_DATA_ACCESS',
          'SQL_PATH',
          'SECURITY_TYPE',
          'CREATED',
          'LAST_ALTERED',
          'SQL_MODE',
          'ROUTINE_COMMENT',
          'DEFINER',
          'CHARACTER_SET_CLIENT',
          'COLLATION_CONNECTION',
          'DATABASE_COLLATION',
        ]
          .map((c) => `NULL AS ${c}`)
          .join(', ')} WHERE 0`,
      ],
      [
        'REFERENTIAL_CONSTRAINTS',
        // One row per foreign key; SQLite's default action is NO ACTION, which MariaDB shows as
        // RESTRICT (they behave alike for a check that is not deferred).
        `SELECT 'def' AS CONSTRAINT_CATALOG, t.schema AS CONSTRAINT_SCHEMA, ${FOREIGN_KEY_NAME} AS CONSTRAINT_NAME,
            'def' AS UNIQUE_CONSTRAINT_CATALOG, t.schema AS UNIQUE_CONSTRAINT_SCHEMA, 'PRIMARY' AS UNIQUE_CONSTRAINT_NAME,
            'NONE' AS MATCH_OPTION,
            CASE f.on_update WHEN 'NO ACTION' THEN 'RESTRICT' ELSE f.on_update END AS UPDATE_RULE,
            CASE f.on_delete WHEN 'NO ACTION' THEN 'RESTRICT' ELSE f.on_delete END AS DELETE_RULE,
            t.name AS TABLE_NAME, f."table" AS REFERENCED_TABLE_NAME
          FROM ${FOREIGN_KEYS} AND f.seq = 0`,
      ],
      [
        'KEY_COLUMN_USAGE',
        `SELECT 'def' AS CONSTRAINT_CATALOG, t.schema AS CONSTRAINT_SCHEMA, 'PRIMARY' AS CONSTRAINT_NAME,
            'def' AS TABLE_CATALOG, t.schema AS TABLE_SCHEMA, t.name AS TABLE_NAME, c.name AS COLUMN_NAME,
            c.pk AS ORDINAL_POSITION, NULL AS POSITION_IN_UNIQUE_CONSTRAINT, NULL AS REFERENCED_TABLE_SCHEMA,
            NULL AS REFERENCED_TABLE_NAME, NULL AS REFERENCED_COLUMN_NAME
          FROM ${PRIMARY_KEYS}
          UNION ALL
          SELECT 'def', t.schema, ${INDEX_NAME}, 'def', t.schema, t.name, k.name, k.seqno + 1, NULL, NULL, NULL, NULL
          FROM ${UNIQUE_KEYS}
          UNION ALL
          SELECT 'def', t.schema, ${FOREIGN_KEY_NAME}, 'def', t.schema, t.name, f."from", f.seq + 1,
            f.seq + 1, t.schema, f."table",
            coalesce(f."to", (SELECT name FROM pragma_table_info(f."table", t.schema) WHERE pk = f.seq + 1))
          FROM ${FOREIGN_KEYS}`,
      ],
    ] as const
  ).map(([name, query]) => [name, query.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ')]),
);

/**
 * information_schema.TRIGGERS over `databases`: SQLite lists triggers only in each schema's own
 * `sqlite_schema`, so the query names every database there is.
 */
function triggers(databases: readonly string[]): string {
  const fact = (field: string) => `__trigger_fact(s.sql, '${field}')`;
  return databases
    .map(
      (d) => `SELECT 'def' AS TRIGGER_CATALOG, ${sqlString(d)} AS TRIGGER_SCHEMA, s.name AS TRIGGER_NAME,
        ${fact('EVENT_MANIPULATION')} AS EVENT_MANIPULATION, 'def' AS EVENT_OBJECT_CATALOG,
        ${sqlString(d)} AS EVENT_OBJECT_SCHEMA, s.tbl_name AS EVENT_OBJECT_TABLE, 1 AS ACTION_ORDER,
        ${fact('ACTION_CONDITION')} AS ACTION_CONDITION, ${fact('ACTION_STATEMENT')} AS ACTION_STATEMENT,
        'ROW' AS ACTION_ORIENTATION, ${fact('ACTION_TIMING')} AS ACTION_TIMING,
        NULL AS ACTION_REFERENCE_OLD_TABLE, NULL AS ACTION_REFERENCE_NEW_TABLE,
        'OLD' AS ACTION_REFERENCE_OLD_ROW, 'NEW' AS ACTION_REFERENCE_NEW_ROW, NULL AS CREATED,
        '' AS SQL_MODE, 'root@localhost' AS DEFINER, 'utf8mb4' AS CHARACTER_SET_CLIENT,
        'utf8mb4_general_ci' AS COLLATION_CONNECTION, 'utf8mb4_general_ci' AS DATABASE_COLLATION
        FROM ${quoteName(d)}.sqlite_schema AS s WHERE s.type = 'trigger'`,
    )
    .join(' UNION ALL ')
    .replace(/\s+/g, ' ');
}

/** information_schema.VIEWS over `databases`, read from each schema's `sqlite_schema` as TRIGGERS. */
function views(databases: readonly string[]): string {
  return databases
    .map(
      (d) => `SELECT 'def' AS TABLE_CATALOG, ${sqlString(d)} AS TABLE_SCHEMA, s.name AS TABLE_NAME,
        __view_definition(s.sql) AS VIEW_DEFINITION, 'NONE' AS CHECK_OPTION, 'NO' AS IS_UPDATABLE,
        'root@localhost' AS DEFINER, 'DEFINER' AS SECURITY_TYPE, 'utf8mb4' AS CHARACTER_SET_CLIENT,
        'utf8mb4_general_ci' AS COLLATION_CONNECTION, 'UNDEFINED' AS ALGORITHM
        FROM ${quoteName(d)}.sqlite_schema AS s WHERE s.type = 'view'`,
    )
    .join(' UNION ALL ')
    .replace(/\s+/g, ' ');
}

/** Queries that depend on which databases there are. */
const PER_DATABASE: ReadonlyMap<string, (databases: readonly string[]) => string> = new Map([
  ['TRIGGERS', triggers],
  ['VIEWS', views],
]);

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function quoteName(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** information_schema's `table` (upper-case) as a subquery the backend can read from. */
export function informationSchemaTable(
  table:
    | 'SCHEMATA'
    | 'TABLES'
    | 'COLUMNS'
    | 'STATISTICS'
    | 'TABLE_CONSTRAINTS'
    | 'REFERENTIAL_CONSTRAINTS'
    | 'KEY_COLUMN_USAGE',
): string {
  return `(${VIEWS.get(table)!})`;
}

/** information_schema.STATISTICS of the temporary tables, as a subquery (for SHOW INDEX). */
export function temporaryStatistics(): string {
  return `(${statistics(true)})`;
}

function nameOf(sql: string, t: Token | undefined): string {
  if (t === undefined) return '';
  if (t.type === TokenType.Word) return sql.slice(t.start, t.end).toUpperCase();
  if (t.type === TokenType.QuotedId)
    return sql
      .slice(t.start + 1, t.end - 1)
      .replaceAll('``', '`')
      .toUpperCase();
  return '';
}

/** Words after a table that are not its alias. */
const NOT_AN_ALIAS = new Set([
  'WHERE',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ON',
  'USING',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'FOR',
  'LOCK',
]);

/**
 * Replaces each `information_schema.<table>` the backend answers (TRIGGERS and VIEWS over `databases`) with its query (a subquery named
 * after the table unless the text gives it an alias). Other information_schema tables are left:
 * SQLite then says they do not exist (1146).
 */
export function rewriteInformationSchema(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
  databases: () => readonly string[],
): void {
  for (let i = from; i + 2 < to; i++) {
    if (nameOf(sql, tokens[i]) !== 'INFORMATION_SCHEMA') continue;
    const dot = tokens[i + 1]!;
    if (dot.type !== TokenType.Punct || sql[dot.start] !== '.') continue;
    if (i > from && tokens[i - 1]!.type === TokenType.Punct && sql[tokens[i - 1]!.start] === '.') continue;
    const table = nameOf(sql, tokens[i + 2]);
    // The databases are asked for only when a table needs them (a PRAGMA each time).
    const view = PER_DATABASE.get(table)?.(databases()) ?? VIEWS.get(table);
    if (view === undefined || replace.has(i)) continue;
    const next = tokens[i + 3];
    const aliased =
      i + 3 < to &&
      (next!.type === TokenType.QuotedId ||
        (next!.type === TokenType.Word && !NOT_AN_ALIAS.has(keyword(sql, next))));
    replace.set(i, `(${view})${aliased ? '' : ` AS ${table}`}`);
    replace.set(i + 1, '');
    replace.set(i + 2, '');
    i += 2;
  }
}
