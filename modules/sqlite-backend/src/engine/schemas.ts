import { existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { identifierValue, keyword, type Token } from '../sql/lexer.js';
import type { SharedDatabase } from './database.js';
import { OK, type Outcome } from './outcome.js';
import { quoteIdentifier } from './show-statement.js';

/** The names CREATE DATABASE accepts, hence the files that are databases. */
const DATABASE_NAME = /^[A-Za-z0-9_$]+$/;
const SUFFIX = '.sqlite';

/**
 * Where database `name` lives: `<name>.sqlite` beside the main file (as MySQL keeps a database
 * in a directory of its data directory), or in memory when the main database is.
 */
export function databaseFile(location: string, name: string): string {
  return location === ':memory:' || location === ''
    ? ':memory:'
    : join(dirname(location), `${name}${SUFFIX}`);
}

/**
 * The `application_id` (a 32-bit field of the SQLite file header, `PRAGMA application_id`) CREATE
 * DATABASE writes into the files it makes: "SSDB". At start only files carrying it are attached,
 * so someone else's `app.sqlite` that happens to sit beside the main file is neither opened as a
 * database nor deletable by DROP DATABASE. Kept in the file itself, it survives a copy or a rename
 * of the data directory, and a client cannot forge it for a file the server did not make.
 */
export const DATABASE_APPLICATION_ID = 0x53534442;

/** A `<name>.sqlite` file beside the main one that could not be attached at start, and why. */
export interface SkippedDatabase {
  file: string;
  reason: string;
}

/**
 * Attaches the databases an earlier run created (every `<name>.sqlite` beside the main file, but
 * the main file itself, whose header carries {@link DATABASE_APPLICATION_ID}), so they outlive a
 * restart as MySQL's do. A file that is not a SQLite database, lacks the mark, or is beyond
 * SQLite's limit of attached databases, is skipped and reported.
 */
export function attachDatabaseFiles(database: SharedDatabase): SkippedDatabase[] {
  const location = database.location;
  if (location === ':memory:' || location === '') return [];
  const dir = dirname(location);
  const main = resolve(location);
  const skipped: SkippedDatabase[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!entry.endsWith(SUFFIX)) continue;
    const name = entry.slice(0, -SUFFIX.length);
    const file = join(dir, entry);
    if (!DATABASE_NAME.test(name) || resolve(file) === main || name.toLowerCase() === 'temp') continue;
    if (database.findSchema(name) !== undefined) continue;
    try {
      if (!statSync(file).isFile()) continue;
      database.db.prepare(`ATTACH DATABASE ? AS ${quoteIdentifier(name)}`).run(file);
    } catch (err) {
      skipped.push({ file, reason: (err as Error).message });
      continue;
    }
    let reason: string | undefined;
    try {
      // ATTACH does not read the file: this does (through its WAL, which may hold the header),
      // and fails for one that is not a database.
      const id = applicationId(database, name);
      if (id !== DATABASE_APPLICATION_ID)
        reason = `not made by CREATE DATABASE (its application_id is ${id}, not ${DATABASE_APPLICATION_ID})`;
    } catch (err) {
      reason = (err as Error).message;
    }
    if (reason !== undefined) {
      database.db.exec(`DETACH DATABASE ${quoteIdentifier(name)}`);
      skipped.push({ file, reason });
    }
  }
  database.schemaChanged();
  return skipped;
}

/**
 * The name of `CREATE|DROP DATABASE|SCHEMA [IF [NOT] EXISTS] name` (`tokens[from, to)`), and
 * whether the IF clause (`ifWords` tokens long) was there.
 */
function databaseNamed(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  verb: 'CREATE' | 'DROP',
  ifWords: number,
): { name: string; conditional: boolean } {
  let i = from + 2;
  const conditional = keyword(sql, tokens[i]) === 'IF';
  if (conditional) i += ifWords;
  const t = tokens[i];
  if (t === undefined || i >= to)
    throw new MysqlError(1064, `You have an error in your SQL syntax: ${verb} DATABASE <name>`);
  return { name: identifierValue(sql, t), conditional };
}

/** `CREATE DATABASE|SCHEMA [IF NOT EXISTS] name`: attaches `<name>.sqlite` (made if absent). */
export function createDatabase(
  database: SharedDatabase,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const { name, conditional: ifNotExists } = databaseNamed(sql, tokens, from, to, 'CREATE', 3);
  if (database.findSchema(name) !== undefined || name.toLowerCase() === 'temp') {
    if (ifNotExists) return OK;
    throw new MysqlError(1007, `Can't create database '${name}'; database exists`);
  }
  if (!DATABASE_NAME.test(name)) throw new MysqlError(1102, `Incorrect database name '${name}'`, '42000');
  const file = databaseFile(database.location, name);
  if (file !== ':memory:' && resolve(file) === resolve(database.location))
    throw new MysqlError(1007, `Can't create database '${name}'; ${basename(file)} is the main database`);
  // A file of the name that is not attached is not this server's to take over (stamped, it would
  // become deletable by DROP DATABASE): someone else's, or one skipped at start (see the log).
  if (file !== ':memory:' && existsSync(file))
    throw new MysqlError(
      1007,
      `Can't create database '${name}'; ${basename(file)} exists beside the main database, and is not attached (see the server's log at start)`,
    );
  try {
    database.db.prepare(`ATTACH DATABASE ? AS ${quoteIdentifier(name)}`).run(file);
  } catch (err) {
    const message = (err as Error).message;
    if (/too many attached databases/.test(message))
      throw new MysqlError(1006, `Can't create database '${name}' (${message})`);
    throw err;
  }
  database.schemaChanged();
  if (file !== ':memory:') {
    try {
      // Writes the file's header now, with the mark that has it attached again at start.
      database.db.exec(`PRAGMA ${quoteIdentifier(name)}.application_id = ${DATABASE_APPLICATION_ID}`);
    } catch (err) {
      database.db.exec(`DETACH DATABASE ${quoteIdentifier(name)}`);
      throw err;
    }
  }
  return { kind: 'ok', affectedRows: 1, lastInsertId: 0n };
}

function applicationId(database: SharedDatabase, schema: string): number {
  const row = database.db.prepare(`PRAGMA ${quoteIdentifier(schema)}.application_id`).get() as {
    application_id: number;
  };
  return row.application_id;
}

/**
 * The file DROP DATABASE may delete for `schema`, attached from `attached`: only the one CREATE
 * DATABASE makes for that name (`databaseFile`, beside the main file), compared by real path,
 * and never the main file. Anything else (a file attached otherwise, an in-memory database) is
 * only detached: whatever path a schema names, DROP DATABASE must not become a way to delete it.
 */
function ownFile(location: string, schema: string, attached: string): string | undefined {
  if (location === ':memory:' || location === '' || attached === '') return undefined;
  const own = databaseFile(location, schema);
  try {
    const real = realpathSync(own);
    if (real !== realpathSync(attached) || real === realpathSync(location)) return undefined;
  } catch {
    return undefined;
  }
  return own;
}

/**
 * `DROP DATABASE|SCHEMA [IF EXISTS] name`: detaches it and deletes its file (see {@link ownFile}),
 * so a database made again of the name starts empty. The session that used it has no database
 * any more, as in MySQL.
 */
export function dropDatabase(
  database: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const { name, conditional: ifExists } = databaseNamed(sql, tokens, from, to, 'DROP', 2);
  const schema = database.findSchema(name);
  if (schema === undefined) {
    if (ifExists) return OK;
    throw new MysqlError(1008, `Can't drop database '${name}'; database doesn't exist`);
  }
  if (schema === 'main')
    throw new MysqlError(1008, "Can't drop database 'main': it is the SQLite file itself");
  const file = database.db.prepare('SELECT file FROM pragma_database_list WHERE name = ?').get(schema) as
    | { file: string }
    | undefined;
  const own = file === undefined ? undefined : ownFile(database.location, schema, file.file);
  database.db.exec(`DETACH DATABASE ${quoteIdentifier(schema)}`);
  database.schemaChanged();
  if (own !== undefined) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${own}${suffix}`, { force: true });
  }
  if (session.schema === schema) session.schema = null;
  return OK;
}
