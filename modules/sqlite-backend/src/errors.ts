import { ER_UNKNOWN_ERROR, sqlStateFor } from '@scalestack/mysql-protocol';
import { backquoted } from './sql/lexer.js';

/** An error to answer with an ERR packet: a MySQL error code, SQL state and message. */
export class MysqlError extends Error {
  readonly sqlState: string;
  constructor(
    readonly errno: number,
    message: string,
    sqlState?: string,
  ) {
    super(message);
    this.name = 'MysqlError';
    this.sqlState = sqlState ?? sqlStateFor(errno);
  }
}

/** ER 1046: a name needs a database and the session has none selected (its own was dropped). */
export function noDatabaseSelected(): MysqlError {
  return new MysqlError(1046, 'No database selected', '3D000');
}

/** ER 1235: something MySQL does that this backend does not (yet); `why` follows the quote. */
export function notSupported(what: string, why = ''): MysqlError {
  return new MysqlError(
    1235,
    `This version of the SQLite backend doesn't yet support '${what}'${why}`,
    '42000',
  );
}

/** SQLite result codes (primary and extended) that choose the MySQL error. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_FULL = 13;
const SQLITE_TOOBIG = 18;
const SQLITE_MISMATCH = 20;
const SQLITE_RANGE = 25;
const SQLITE_CONSTRAINT_CHECK = 275;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
/** SQLite's extended result code for a NOT NULL constraint. */
export const SQLITE_CONSTRAINT_NOTNULL = 1299;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_ROWID = 2579;

function quoteName(name: string): string {
  return `'${name.trim()}'`;
}

/** `ALTER TABLE t DROP [COLUMN] c` (a column: not DROP INDEX / KEY / FOREIGN KEY / PRIMARY KEY …). */
const ALTER_DROP_COLUMN =
  /^\s*ALTER\s+TABLE\s+(?:`(?:[^`]|``)+`|[\w$.]+)(?:\.(?:`(?:[^`]|``)+`|[\w$]+))?\s+DROP\s+(?!(?:INDEX|KEY|FOREIGN|PRIMARY|CONSTRAINT|CHECK|PARTITION)\b)/i;

/** A name as SQLite echoes it: bare, or in "…", `…` or […] quotes (doubled inside), even both ("`c`"). */
function unquoted(name: string): string {
  const q = name[0];
  const close = q === '[' ? ']' : q;
  if ((q === '"' || q === '`' || q === '[') && name.endsWith(close!) && name.length >= 2)
    return unquoted(name.slice(1, -1).replaceAll(`${close}${close}`, close!));
  return name;
}

/** `name` as MySQL's messages name a table: with its schema (unqualified: the session's). */
function qualified(name: string, schema: string): string {
  return name.includes('.') ? name : `${schema}.${name}`;
}

/** SQLite messages (primary code SQLITE_ERROR) that name a MySQL situation. */
const MESSAGE_RULES: [RegExp, (m: RegExpMatchArray, sql: string, schema: string) => MysqlError][] = [
  [
    /^no such (?:table|view): (.+)$/,
    (m, sql, schema) =>
      // MySQL's DROP names what it cannot find with its own code.
      /^\s*DROP\s+(?:TABLE|VIEW)\b/i.test(sql)
        ? new MysqlError(1051, `Unknown table '${qualified(m[1]!, schema)}'`, '42S02')
        : new MysqlError(1146, `Table '${qualified(m[1]!, schema)}' doesn't exist`),
  ],
  [
    // `DROP TABLE v` of a view (SQLite names it as the statement did).
    /^use DROP VIEW to delete view (.+)$/,
    (m, _sql, schema) => new MysqlError(1965, `'${qualified(unquoted(m[1]!), schema)}' is a view`, '42S02'),
  ],
  [
    /^no such column: (.+)$/,
    (m, sql) => {
      // SQLite echoes the name of a column ALTER TABLE … DROP cannot find as it was quoted.
      const name = unquoted(m[1]!);
      return ALTER_DROP_COLUMN.test(sql)
        ? new MysqlError(1091, `Can't DROP COLUMN ${backquoted(name)}; check that it exists`, '42000')
        : new MysqlError(1054, `Unknown column ${quoteName(name)} in 'field list'`);
    },
  ],
  [
    // An INSERT's column list naming a column the table lacks (also `INSERT … SET`'s).
    /^table .+ has no column named (.+)$/,
    (m) => new MysqlError(1054, `Unknown column ${quoteName(unquoted(m[1]!))} in 'field list'`),
  ],
  [
    /^(?:table|view) (.+) already exists$/,
    // SQLite echoes the name as the statement quoted it (knex writes `t`).
    (m) => new MysqlError(1050, `Table ${quoteName(unquoted(m[1]!))} already exists`),
  ],
  [
    // ALTER TABLE … RENAME TO a name taken.
    /^there is already another table or index with this name: (.+)$/,
    (m) => new MysqlError(1050, `Table ${quoteName(unquoted(m[1]!))} already exists`),
  ],
  [
    /^index (.+) already exists$/,
    (m) => new MysqlError(1061, `Duplicate key name ${quoteName(m[1]!)}`, '42000'),
  ],
  [
    /^no such index: (.+)$/,
    (m) => new MysqlError(1091, `Can't DROP INDEX ${quoteName(m[1]!)}; check that it exists`, '42000'),
  ],
  [/^no such function: (.+)$/, (m) => new MysqlError(1305, `FUNCTION main.${m[1]} does not exist`, '42000')],
  [
    /^wrong number of arguments to function (.+)\(\)$/,
    (m) =>
      new MysqlError(1582, `Incorrect parameter count in the call to native function '${m[1]}'`, '42000'),
  ],
  [/^no such savepoint: (.+)$/, (m) => new MysqlError(1305, `SAVEPOINT ${m[1]} does not exist`, '42000')],
];

/**
 * Turns an error thrown by node:sqlite (or by our own code) into the MySQL error a client
 * expects: the code and SQL state MySQL/MariaDB use for the same situation, with SQLite's own
 * words kept in the message where MySQL's would need facts SQLite does not give (the value of a
 * duplicate key, for instance). `schema` names the schema of unqualified tables in messages.
 */
export function toMysqlError(err: unknown, sql = '', schema = 'main'): MysqlError {
  if (err instanceof MysqlError) return err;
  const e = err as { message?: string; errcode?: number; code?: string };
  const message = String(e?.message ?? err);
  const code = typeof e?.errcode === 'number' ? e.errcode : -1;
  const primary = code & 0xff;
  if (
    code === SQLITE_CONSTRAINT_UNIQUE ||
    code === SQLITE_CONSTRAINT_PRIMARYKEY ||
    code === SQLITE_CONSTRAINT_ROWID
  ) {
    const key = message.replace(/^.*constraint failed: /, '');
    return new MysqlError(1062, `Duplicate entry for key '${key}' (${message})`);
  }
  if (code === SQLITE_CONSTRAINT_NOTNULL) {
    const column = message.replace(/^.*constraint failed: /, '').replace(/^.*\./, '');
    return new MysqlError(1048, `Column '${column}' cannot be null`, '23000');
  }
  if (code === SQLITE_CONSTRAINT_FOREIGNKEY) {
    return /^\s*DELETE\b/i.test(sql) || /^\s*DROP\b/i.test(sql)
      ? new MysqlError(1451, 'Cannot delete or update a parent row: a foreign key constraint fails', '23000')
      : new MysqlError(1452, 'Cannot add or update a child row: a foreign key constraint fails', '23000');
  }
  if (code === SQLITE_CONSTRAINT_CHECK) {
    const name = message.replace(/^.*constraint failed: /, '');
    return new MysqlError(3819, `Check constraint '${name}' is violated.`, 'HY000');
  }
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
    return new MysqlError(1205, 'Lock wait timeout exceeded; try restarting transaction');
  }
  if (primary === SQLITE_READONLY) return new MysqlError(1290, `The database is read-only (${message})`);
  if (primary === SQLITE_FULL) return new MysqlError(1114, `The table is full (${message})`);
  if (primary === SQLITE_TOOBIG) return new MysqlError(1406, `Data too long (${message})`, '22001');
  if (primary === SQLITE_MISMATCH) return new MysqlError(1366, `Incorrect value: ${message}`, 'HY000');
  if (primary === SQLITE_RANGE) return new MysqlError(1210, `Incorrect arguments to EXECUTE (${message})`);
  for (const [pattern, make] of MESSAGE_RULES) {
    const m = message.match(pattern);
    if (m) return make(m, sql, schema);
  }
  if (/syntax error|unrecognized token|incomplete input/.test(message)) {
    return new MysqlError(
      1064,
      `You have an error in your SQL syntax; check the manual that corresponds to your SQLite version: ${message}`,
    );
  }
  if (/too many SQL variables|too many terms/.test(message)) return new MysqlError(1390, message);
  return new MysqlError(ER_UNKNOWN_ERROR, message || 'Unknown error');
}
