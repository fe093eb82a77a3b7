import { readdirSync, rmSync, statSync } from 'node:fs';
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

/** A `<name>.sqlite` file beside the main one that could not be attached at start, and why. */
export interface SkippedDatabase {
  file: string;
  reason: string;
}

/**
 * Attaches the databases an earlier run created (every `<name>.sqlite` beside the main file but
 * the main file itself), so they outlive a restart as MySQL's do. A file that is not a SQLite
 * database, or one beyond SQLite's limit of attached databases, is skipped and reported.
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
    try {
      // ATTACH does not read the file: this does, and fails for one that is not a database.
      database.db.prepare(`SELECT count(*) FROM ${quoteIdentifier(name)}.sqlite_master`).get();
    } catch (err) {
      database.db.exec(`DETACH DATABASE ${quoteIdentifier(name)}`);
      skipped.push({ file, reason: (err as Error).message });
    }
  }
  database.schemaChanged();
  return skipped;
}

/** `CREATE DATABASE|SCHEMA [IF NOT EXISTS] name`: attaches `<name>.sqlite` (made if absent). */
export function createDatabase(
  database: SharedDatabase,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  let i = from + 2;
  let ifNotExists = false;
  if (keyword(sql, tokens[i]) === 'IF') {
    ifNotExists = true;
    i += 3;
  }
  const t = tokens[i];
  if (t === undefined || i >= to)
    throw new MysqlError(1064, 'You have an error in your SQL syntax: CREATE DATABASE <name>');
  const name = identifierValue(sql, t);
  if (database.findSchema(name) !== undefined || name.toLowerCase() === 'temp') {
    if (ifNotExists) return OK;
    throw new MysqlError(1007, `Can't create database '${name}'; database exists`);
  }
  if (!DATABASE_NAME.test(name)) throw new MysqlError(1102, `Incorrect database name '${name}'`, '42000');
  const file = databaseFile(database.location, name);
  if (file !== ':memory:' && resolve(file) === resolve(database.location))
    throw new MysqlError(1007, `Can't create database '${name}'; ${basename(file)} is the main database`);
  try {
    database.db.prepare(`ATTACH DATABASE ? AS ${quoteIdentifier(name)}`).run(file);
  } catch (err) {
    const message = (err as Error).message;
    if (/too many attached databases/.test(message))
      throw new MysqlError(1006, `Can't create database '${name}' (${message})`);
    throw err;
  }
  database.schemaChanged();
  return { kind: 'ok', affectedRows: 1, lastInsertId: 0n };
}

/**
 * `DROP DATABASE|SCHEMA [IF EXISTS] name`: detaches it and deletes its file, so a database made
 * again of the name starts empty. The session that used it has no database any more, as in MySQL.
 */
export function dropDatabase(
  database: SharedDatabase,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  let i = from + 2;
  let ifExists = false;
  if (keyword(sql, tokens[i]) === 'IF') {
    ifExists = true;
    i += 2;
  }
  const t = tokens[i];
  if (t === undefined || i >= to)
    throw new MysqlError(1064, 'You have an error in your SQL syntax: DROP DATABASE <name>');
  const name = identifierValue(sql, t);
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
  database.db.exec(`DETACH DATABASE ${quoteIdentifier(schema)}`);
  database.schemaChanged();
  if (file !== undefined && file.file !== '') {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file.file}${suffix}`, { force: true });
  }
  if (session.schema === schema) session.schema = null;
  return OK;
}
