import { MAX_DECIMAL_PRECISION, MAX_DECIMAL_SCALE } from '../engine/column-types.js';
import { MysqlError, notSupported } from '../errors.js';
import { declaredTypeComment } from './auto-increment-type.js';
import { readColumn } from './column-definition.js';
import { rewriteEnumColumn } from './enum-columns.js';
import { indexColumns } from './index-ddl.js';
import {
  backquoted,
  closingParen,
  identifierValue,
  isPunct,
  keyword,
  type Token,
  TokenType,
} from './lexer.js';
import { onUpdateMarker, readOnUpdate } from './on-update.js';

const KEEP_COLLATIONS = new Set(['BINARY', 'NOCASE', 'RTRIM']);
const TYPE_MODIFIERS = new Set(['UNSIGNED', 'SIGNED', 'ZEROFILL']);

/** The `AUTO_INCREMENT=n` table option of a CREATE TABLE: the first id the table hands out. */
export interface AutoIncrementStart {
  /** As written (undefined: unqualified); `temp` for a TEMPORARY table. */
  schema: string | undefined;
  table: string;
  next: bigint;
}

/** A secondary index a CREATE TABLE declares (`KEY`, `INDEX`, `UNIQUE [KEY]`), made after the table. */
export interface TableIndex {
  unique: boolean;
  /** MySQL's name: the one given, else the first column's. */
  name: string;
  /** The column list in SQLite's words. */
  columns: string;
}

/** One element of the column list: a column definition or a table constraint, `tokens[from, to)`. */
interface Element {
  from: number;
  to: number;
  /** The first keyword: PRIMARY, CONSTRAINT, KEY, UNIQUE… ('' for a quoted column name). */
  first: string;
}

/**
 * Marks the MySQL-only parts of the CREATE TABLE starting at token `start` for rewriting;
 * returns its `AUTO_INCREMENT=n` option if it has an AUTO_INCREMENT column.
 *
 * The AUTO_INCREMENT column becomes `INTEGER PRIMARY KEY AUTOINCREMENT`: SQLite numbers new rows
 * only in its rowid, and without AUTOINCREMENT it would hand out the id of a deleted last row
 * again. So it is the primary key even when MySQL's table declares it by a table-level
 * `PRIMARY KEY (id)`, or only by a `UNIQUE`/`KEY` (MySQL needs just some index on it); another
 * primary key then becomes a UNIQUE constraint.
 */
export function rewriteCreateTable(
  sql: string,
  tokens: readonly Token[],
  start: number,
  to: number,
  replace: Map<number, string>,
  indexes: TableIndex[] = [],
): AutoIncrementStart | undefined {
  let i = start;
  // Find the column list: the first '(' before any AS/SELECT/LIKE.
  while (i < to && tokens[i]!.type !== TokenType.Semicolon) {
    const t = tokens[i]!;
    const k = keyword(sql, t);
    // MySQL's `CREATE TABLE t SELECT …`: SQLite wants the AS.
    if (k === 'SELECT' && keyword(sql, tokens[i - 1]) !== 'AS') replace.set(i, 'AS SELECT');
    if (k === 'AS' || k === 'SELECT' || k === 'LIKE') return undefined;
    if (t.type === TokenType.Punct && sql[t.start] === '(') break;
    i++;
  }
  if (i >= to || tokens[i]!.type === TokenType.Semicolon) return undefined;
  const elements: Element[] = [];
  let depth = 0;
  let segmentStart = i + 1;
  for (; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return undefined;
    const ch = t.type === TokenType.Punct ? sql[t.start] : '';
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        elements.push({ from: segmentStart, to: i, first: keyword(sql, tokens[segmentStart]) });
        i++;
        break;
      }
    } else if (ch === ',' && depth === 1) {
      elements.push({ from: segmentStart, to: i, first: keyword(sql, tokens[segmentStart]) });
      segmentStart = i + 1;
    }
  }
  const optionsFrom = i;
  const withoutRowid = hasWord(sql, tokens, optionsFrom, to, 'WITHOUT');
  const auto = withoutRowid
    ? undefined
    : elements.find((e) => isColumn(e) && autoIncrementAt(sql, tokens, e) >= 0);
  for (const e of elements) {
    if (!isColumn(e)) dropKeyAlgorithm(sql, tokens, e, replace);
    if (e === auto) rewriteAutoIncrementColumn(sql, tokens, e, replace);
    else if (auto !== undefined && primaryKeyAt(sql, tokens, e) >= 0)
      demotePrimaryKey(sql, tokens, e, auto, replace);
    else if (!takeIndex(sql, tokens, e, replace, indexes)) rewriteElement(sql, tokens, e, replace);
  }
  requirePrimaryKeyColumns(sql, tokens, elements, auto, replace);
  let next: bigint | undefined;
  // Table options (ENGINE=, DEFAULT CHARSET=, AUTO_INCREMENT=, COMMENT=…) mean nothing to
  // SQLite; only its own WITHOUT ROWID and STRICT are kept.
  for (i = optionsFrom; i < to && tokens[i]!.type !== TokenType.Semicolon; i++) {
    const k = keyword(sql, tokens[i]);
    // MySQL's `CREATE TABLE t (cols) [AS] SELECT …` adds the query's columns to those listed and
    // fills them; SQLite takes a list or a query, and blanking the query here would leave the
    // table empty without a word.
    if (k === 'SELECT' || k === 'AS' || k === 'WITH')
      throw notSupported('CREATE TABLE with both a column list and a SELECT');
    if (k === 'AUTO_INCREMENT') {
      const value =
        tokens[i + 1] !== undefined && sql[tokens[i + 1]!.start] === '=' ? tokens[i + 2] : tokens[i + 1];
      if (value !== undefined && /^\d+$/.test(keyword(sql, value)))
        next = clampAutoIncrement(BigInt(keyword(sql, value)));
    }
    const keep =
      k === 'STRICT' ||
      k === 'WITHOUT' ||
      (k === 'ROWID' && keyword(sql, tokens[i - 1]) === 'WITHOUT') ||
      (sql[tokens[i]!.start] === ',' && ['STRICT', 'WITHOUT'].includes(keyword(sql, tokens[i + 1])));
    if (!keep) replace.set(i, '');
  }
  if (auto === undefined || next === undefined) return undefined;
  return { ...createdName(sql, tokens, start), next };
}

const DECIMAL_TYPES = new Set(['DECIMAL', 'NUMERIC', 'DEC', 'FIXED']);

/**
 * Refuses, as MySQL does, a `DECIMAL(p,s)` in the CREATE TABLE / ALTER TABLE `tokens[from, to)`
 * beyond MySQL's bounds: a scale above 30 (1425), a precision above 65 (1426), a scale above the
 * precision (1427). SQLite would take any, and every value read would be padded to the scale.
 */
export function checkDecimalTypes(sql: string, tokens: readonly Token[], from: number, to: number): void {
  for (let i = from + 1; i + 2 < to; i++) {
    if (!DECIMAL_TYPES.has(keyword(sql, tokens[i])) || sql[tokens[i + 1]!.start] !== '(') continue;
    if (tokens[i + 1]!.type !== TokenType.Punct) continue;
    const p = tokens[i + 2]!;
    if (!/^\d+$/.test(sql.slice(p.start, p.end))) continue;
    const precision = BigInt(sql.slice(p.start, p.end));
    const s = tokens[i + 3] !== undefined && sql[tokens[i + 3]!.start] === ',' ? tokens[i + 4] : undefined;
    const scale =
      s !== undefined && /^\d+$/.test(sql.slice(s.start, s.end)) ? BigInt(sql.slice(s.start, s.end)) : 0n;
    const column = identifierValue(sql, tokens[i - 1]!);
    if (scale > BigInt(MAX_DECIMAL_SCALE))
      throw new MysqlError(
        1425,
        `Too big scale ${scale} specified for column '${column}'. Maximum is ${MAX_DECIMAL_SCALE}.`,
        '42000',
      );
    if (precision > BigInt(MAX_DECIMAL_PRECISION))
      throw new MysqlError(
        1426,
        `Too big precision ${precision} specified for column '${column}'. Maximum is ${MAX_DECIMAL_PRECISION}.`,
        '42000',
      );
    if (scale > precision)
      throw new MysqlError(
        1427,
        `For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '${column}').`,
        '42000',
      );
  }
}

/** The largest rowid SQLite hands out (2^63 - 1). */
const MAX_ROWID = 9223372036854775807n;

/**
 * `AUTO_INCREMENT=n` as SQLite can keep it. MySQL and MariaDB accept any n (beyond 2^64 - 1 they
 * clamp) and fail the insert that would go past the column's range; SQLite's ids end at 2^63 - 1,
 * so a larger n starts there (the insert after it fails with 1114). Clamped here, before the
 * CREATE runs, so the statement cannot fail after making the table.
 */
function clampAutoIncrement(n: bigint): bigint {
  return n > MAX_ROWID ? MAX_ROWID : n;
}

/** The `[schema.]name` a CREATE [TEMPORARY] TABLE [IF NOT EXISTS] starting at `start` makes. */
export function createdName(
  sql: string,
  tokens: readonly Token[],
  start: number,
): { schema: string | undefined; table: string } {
  let i = start + 1;
  const k1 = keyword(sql, tokens[i]);
  const temporary = k1 === 'TEMPORARY' || k1 === 'TEMP';
  if (temporary) i++;
  i++; // TABLE
  if (keyword(sql, tokens[i]) === 'IF') i += 3;
  const first = identifierValue(sql, tokens[i]!);
  const dot = tokens[i + 1];
  if (dot !== undefined && sql[dot.start] === '.' && tokens[i + 2] !== undefined)
    return { schema: first, table: identifierValue(sql, tokens[i + 2]!) };
  return { schema: temporary ? 'temp' : undefined, table: first };
}

function hasWord(sql: string, tokens: readonly Token[], from: number, to: number, word: string): boolean {
  for (let i = from; i < to; i++) if (keyword(sql, tokens[i]) === word) return true;
  return false;
}

const CONSTRAINTS = new Set([
  'PRIMARY',
  'CONSTRAINT',
  'FOREIGN',
  'CHECK',
  'KEY',
  'INDEX',
  'FULLTEXT',
  'SPATIAL',
]);

function isColumn(e: Element): boolean {
  return !CONSTRAINTS.has(e.first) && e.first !== 'UNIQUE';
}

function autoIncrementAt(sql: string, tokens: readonly Token[], e: Element): number {
  for (let j = e.from + 1; j < e.to; j++) if (keyword(sql, tokens[j]) === 'AUTO_INCREMENT') return j;
  return -1;
}

/**
 * A table-level `[CONSTRAINT [c]] PRIMARY KEY [USING BTREE|HASH] (cols) [USING BTREE|HASH]`: the
 * index type goes, before or after the columns (SQLite's table constraint takes neither; its key is
 * a b-tree whatever MariaDB was asked for).
 */
function dropKeyAlgorithm(
  sql: string,
  tokens: readonly Token[],
  e: Element,
  replace: Map<number, string>,
): void {
  const at = primaryKeyAt(sql, tokens, e);
  if (at < 0) return;
  let depth = 0;
  for (let j = at + 2; j < e.to; j++) {
    const t = tokens[j]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    else if (depth === 0 && keyword(sql, t) === 'USING' && j + 1 < e.to) {
      const algorithm = keyword(sql, tokens[j + 1]);
      if (algorithm !== 'BTREE' && algorithm !== 'HASH') continue;
      replace.set(j, '');
      replace.set(j + 1, '');
      j++;
    }
  }
}

/** Index of the `PRIMARY` of a `PRIMARY KEY` in the element, or -1. */
function primaryKeyAt(sql: string, tokens: readonly Token[], e: Element): number {
  for (let j = e.from; j < e.to; j++)
    if (keyword(sql, tokens[j]) === 'PRIMARY' && keyword(sql, tokens[j + 1]) === 'KEY') return j;
  return -1;
}

/** `id INT UNSIGNED NOT NULL AUTO_INCREMENT [PRIMARY KEY]` → `id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT`. */
function rewriteAutoIncrementColumn(
  sql: string,
  tokens: readonly Token[],
  e: Element,
  replace: Map<number, string>,
): void {
  rewriteElement(sql, tokens, e, replace);
  const at = autoIncrementAt(sql, tokens, e);
  const primary = primaryKeyAt(sql, tokens, e);
  if (primary >= 0) {
    replace.set(at, '');
    replace.set(primary + 1, 'KEY AUTOINCREMENT');
  } else {
    replace.set(at, 'PRIMARY KEY AUTOINCREMENT');
  }
  // Only a column declared exactly INTEGER becomes SQLite's rowid, which is what numbers new rows.
  let j = e.from + 1;
  if (keyword(sql, tokens[j]) === '') return;
  const typeAt = j;
  j++;
  if (tokens[j] && sql[tokens[j]!.start] === '(') {
    while (j < e.to && sql[tokens[j]!.start] !== ')') replace.set(j++, '');
    replace.set(j++, '');
  }
  while (j < e.to && TYPE_MODIFIERS.has(keyword(sql, tokens[j]))) replace.set(j++, '');
  // The declared type, kept beside it for DESCRIBE and information_schema (auto-increment-type.ts).
  const declared = sql.slice(tokens[typeAt]!.start, tokens[j - 1]!.end);
  replace.set(typeAt, `INTEGER ${declaredTypeComment(declared)}`);
}

/**
 * MariaDB makes every column of the primary key NOT NULL; SQLite lets a primary key column be
 * NULL (a legacy quirk) unless it is the rowid, so `id INT PRIMARY KEY` or `PRIMARY KEY (a, b)`
 * would take rows without one. Each such column is given `NOT NULL`, but for the rowid (the
 * AUTO_INCREMENT column, or a lone key column declared INTEGER), which numbers a NULL id.
 */
function requirePrimaryKeyColumns(
  sql: string,
  tokens: readonly Token[],
  elements: readonly Element[],
  auto: Element | undefined,
  replace: Map<number, string>,
): void {
  const named = new Set<string>();
  let keys = 0;
  for (const e of elements) {
    const at = primaryKeyAt(sql, tokens, e);
    if (at < 0) continue;
    keys++;
    if (isColumn(e)) continue;
    let j = at + 2;
    while (j < e.to && !isPunct(sql, tokens[j], '(')) j++;
    let depth = 0;
    for (; j < e.to; j++) {
      const t = tokens[j]!;
      if (isPunct(sql, t, '(')) depth++;
      else if (isPunct(sql, t, ')')) depth--;
      else if (
        depth === 1 &&
        (t.type === TokenType.Word || t.type === TokenType.QuotedId) &&
        (isPunct(sql, tokens[j - 1], '(') || isPunct(sql, tokens[j - 1], ','))
      )
        named.add(identifierValue(sql, t).toLowerCase());
    }
  }
  for (const e of elements) {
    if (e === auto) continue;
    const column = readColumn(sql, tokens, e.from, e.to);
    if (column === undefined) continue;
    const ownKey = column.clauses.some((c) => c.kind === 'primary');
    if (!named.has(column.name.toLowerCase()) && (auto !== undefined || !ownKey)) continue;
    // A lone key column declared exactly INTEGER is the rowid, which numbers a NULL: left as it is.
    if (keys === 1 && named.size <= 1 && column.type.toUpperCase() === 'INTEGER') continue;
    if (column.clauses.some((c) => c.kind === 'not-null')) continue;
    const last = e.to - 1;
    replace.set(last, `${replace.get(last) ?? sql.slice(tokens[last]!.start, tokens[last]!.end)} NOT NULL`);
  }
}

/**
 * A primary key beside the AUTO_INCREMENT column, which becomes the primary key itself: the
 * table-level `PRIMARY KEY (id)` naming just that column goes; any other stays as UNIQUE.
 */
function demotePrimaryKey(
  sql: string,
  tokens: readonly Token[],
  e: Element,
  auto: Element,
  replace: Map<number, string>,
): void {
  const at = primaryKeyAt(sql, tokens, e);
  if (!isColumn(e)) {
    const names: string[] = [];
    for (let j = at + 2; j < e.to; j++) {
      const t = tokens[j]!;
      if (keyword(sql, t) === 'USING') j++;
      else if (t.type === TokenType.Word || t.type === TokenType.QuotedId)
        names.push(identifierValue(sql, t).toLowerCase());
    }
    const autoName = identifierValue(sql, tokens[auto.from]!).toLowerCase();
    if (names.length === 1 && names[0] === autoName) {
      for (let j = e.from; j < e.to; j++) replace.set(j, '');
      replace.set(e.from - 1, '');
      return;
    }
    replace.set(at, 'UNIQUE');
    replace.set(at + 1, '');
    return;
  }
  rewriteElement(sql, tokens, e, replace);
  replace.set(at, 'NOT NULL UNIQUE');
  replace.set(at + 1, '');
}

/**
 * A `KEY|INDEX [name] (cols)`, `UNIQUE [KEY|INDEX] [name] (cols)` or `CONSTRAINT [c] UNIQUE …`
 * element: taken out of the table's text into `indexes`, to be made by name once the table is
 * there (SQLite knows no named index in CREATE TABLE). False when the element is none of these.
 */
function takeIndex(
  sql: string,
  tokens: readonly Token[],
  e: Element,
  replace: Map<number, string>,
  indexes: TableIndex[],
): boolean {
  let i = e.from;
  let name: string | undefined;
  let unique = false;
  if (e.first === 'CONSTRAINT') {
    i++;
    if (keyword(sql, tokens[i]) !== 'UNIQUE') name = identifierValue(sql, tokens[i++]!);
    if (keyword(sql, tokens[i]) !== 'UNIQUE') return false;
  }
  if (keyword(sql, tokens[i]) === 'UNIQUE') {
    unique = true;
    i++;
    if (keyword(sql, tokens[i]) === 'KEY' || keyword(sql, tokens[i]) === 'INDEX') i++;
  } else if (e.first === 'KEY' || e.first === 'INDEX') i++;
  else return false;
  const t = tokens[i];
  if (
    t !== undefined &&
    (t.type === TokenType.Word || t.type === TokenType.QuotedId) &&
    keyword(sql, t) !== 'USING'
  )
    name = identifierValue(sql, tokens[i++]!);
  if (keyword(sql, tokens[i]) === 'USING') i += 2;
  const columns = indexColumns(sql, tokens, i, e.to + 1);
  if (columns === undefined) return false;
  indexes.push({ unique, name: name ?? columns.first, columns: columns.text });
  for (let j = e.from; j < e.to; j++) replace.set(j, '');
  if (e.from > 0 && sql[tokens[e.from - 1]!.start] === ',') replace.set(e.from - 1, '');
  return true;
}

/**
 * The column of an `ALTER TABLE [db.]t ADD [COLUMN] c …`, `tokens[from, to)`, in SQLite's words
 * as CREATE TABLE makes a column (character sets, comments, `DEFAULT CURRENT_TIMESTAMP(n)`,
 * `ON UPDATE`, ENUM): SQLite's ADD COLUMN takes its own column grammar only.
 */
export function rewriteAddedColumn(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): void {
  let i = from + 3;
  if (isPunct(sql, tokens[i], '.')) i += 2;
  if (keyword(sql, tokens[i]) !== 'ADD') return;
  i++;
  if (keyword(sql, tokens[i]) === 'COLUMN') i++;
  let end = i;
  while (end < to && tokens[end]!.type !== TokenType.Semicolon) end++;
  const e: Element = { from: i, to: end, first: keyword(sql, tokens[i]) };
  // ADD INDEX / KEY / CONSTRAINT / PRIMARY KEY … are index-ddl.ts's and the engine's.
  if (isColumn(e)) rewriteElement(sql, tokens, e, replace);
}

/**
 * A type with a length and then `UNSIGNED` / `SIGNED` / `ZEROFILL` — `bigint(20) unsigned`, as
 * WordPress and mysqldump write them — in the column definition `tokens[from, to)`, as one
 * quoted name: SQLite's grammar takes words only before a type's parentheses (`int unsigned` is
 * fine, `int(10) unsigned` a 1064). Quoted, it is still the declared type (PRAGMA table_info,
 * DESCRIBE and the affinity read `bigint(20) unsigned`).
 */
function quoteModifiedType(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): void {
  let i = from + 1;
  while (i < to && tokens[i]!.type === TokenType.Word && !isPunct(sql, tokens[i + 1], '(')) i++;
  if (i >= to || tokens[i]!.type !== TokenType.Word || !isPunct(sql, tokens[i + 1], '(')) return;
  const close = closingParen(sql, tokens, i + 1, to);
  if (close < 0) return;
  let last = close;
  while (last + 1 < to && TYPE_MODIFIERS.has(keyword(sql, tokens[last + 1]))) last++;
  if (last === close) return;
  const parts: string[] = [];
  for (let j = from + 1; j <= last; j++) {
    const word = sql.slice(tokens[j]!.start, tokens[j]!.end);
    const tight =
      j > from + 1 &&
      (isPunct(sql, tokens[j], '(') ||
        isPunct(sql, tokens[j - 1], '(') ||
        isPunct(sql, tokens[j], ')') ||
        isPunct(sql, tokens[j], ',') ||
        isPunct(sql, tokens[j - 1], ','));
    parts.push(`${j === from + 1 || tight ? '' : ' '}${word}`);
    replace.set(j, '');
  }
  replace.set(from + 1, backquoted(parts.join('')));
}

/** One column definition (or table constraint) in MySQL's words, in SQLite's. */
function rewriteElement(
  sql: string,
  tokens: readonly Token[],
  e: Element,
  replace: Map<number, string>,
): void {
  const { from, to, first } = e;
  // Table-level `KEY name (cols)` / `INDEX name (cols)` are MySQL's secondary indexes.
  if (first === 'KEY' || first === 'INDEX' || first === 'FULLTEXT' || first === 'SPATIAL') {
    for (let j = from; j < to; j++) replace.set(j, '');
    // Drop the comma in front of it as well.
    if (from > 0 && sql[tokens[from - 1]!.start] === ',') replace.set(from - 1, '');
    return;
  }
  if (
    first === 'UNIQUE' &&
    (keyword(sql, tokens[from + 1]) === 'KEY' || keyword(sql, tokens[from + 1]) === 'INDEX')
  ) {
    replace.set(from + 1, '');
    if (tokens[from + 2]?.type !== TokenType.Punct) replace.set(from + 2, '');
    return;
  }
  if (!isColumn(e)) return;
  if (!rewriteEnumColumn(sql, tokens, from, to, replace)) quoteModifiedType(sql, tokens, from, to, replace);
  for (let j = from + 1; j < to; j++) {
    const k = keyword(sql, tokens[j]);
    if (k === 'CHARACTER' && keyword(sql, tokens[j + 1]) === 'SET') {
      replace.set(j, '');
      replace.set(j + 1, '');
      replace.set(j + 2, '');
    } else if (k === 'CHARSET') {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (k === 'BINARY' && j > from + 1 && keyword(sql, tokens[j - 1]) !== 'COLLATE') {
      // MySQL's `CHAR(36) BINARY` (Sequelize's UUID type): the column's binary collation, which
      // is SQLite's own.
      replace.set(j, '');
    } else if (k === 'COLLATE' && !KEEP_COLLATIONS.has(keyword(sql, tokens[j + 1]))) {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (k === 'COMMENT' && tokens[j + 1]?.type === TokenType.String) {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (
      k === 'DEFAULT' &&
      ['CURRENT_TIMESTAMP', 'NOW', 'LOCALTIMESTAMP', 'LOCALTIME'].includes(keyword(sql, tokens[j + 1]))
    ) {
      // DEFAULT CURRENT_TIMESTAMP(6) / NOW(): SQLite's CURRENT_TIMESTAMP, without a precision.
      replace.set(j + 1, 'CURRENT_TIMESTAMP');
      if (tokens[j + 2] !== undefined && sql[tokens[j + 2]!.start] === '(') {
        let x = j + 2;
        while (x < to && sql[tokens[x]!.start] !== ')') replace.set(x++, '');
        replace.set(x, '');
      }
    } else if (k === 'ON' && keyword(sql, tokens[j + 1]) === 'UPDATE') {
      // ON UPDATE CURRENT_TIMESTAMP[([n])] (or NOW(), LOCALTIMESTAMP): a comment SQLite keeps,
      // which UPDATEs of the table read (see on-update.ts).
      const { last, fsp } = readOnUpdate(sql, tokens, j, to);
      for (let y = j; y <= last; y++) replace.set(y, '');
      replace.set(j, onUpdateMarker(fsp));
    }
  }
}
