import { declaredAutoIncrementType } from './auto-increment-type.js';
import { foreignKeyClauses } from './foreign-key-clauses.js';
import {
  backquoted,
  closingParen,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  topLevelList,
} from './lexer.js';
import { tableEntries } from './table-entries.js';

/** What SHOW CREATE TABLE ends with on MariaDB 10.11 for a table made without options. */
export const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci';

/** Words that start a table constraint rather than a column in a CREATE TABLE's list. */
const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK', 'KEY', 'INDEX']);

/** Words that, after a column's type, say it has no implicit `DEFAULT NULL` in MariaDB's text. */
const NO_DEFAULT_NULL = new Set(['DEFAULT', 'NOT', 'PRIMARY', 'AS', 'GENERATED', 'AUTO_INCREMENT']);

/**
 * A stored CREATE TABLE text (already in MySQL's words: enum types, ON UPDATE, backticks) laid
 * out as MariaDB's SHOW CREATE TABLE writes it — one column or key per line, indented by two
 * spaces, names in backticks, `PRIMARY KEY (…)` and `UNIQUE KEY` lines for what SQLite keeps in
 * a column (`INTEGER PRIMARY KEY AUTOINCREMENT` is `AUTO_INCREMENT`), foreign keys and checks as
 * `CONSTRAINT` lines with the names information_schema gives them, the table options last.
 * Clients parse it line by line (SQLAlchemy's reflection, Alembic, mysqldump readers): on one
 * line they found no column at all. `keys` are the table's other indexes (`KEY …`, `UNIQUE KEY
 * …`), placed after the unique ones as MariaDB lists them. `nextId`, the id an AUTO_INCREMENT
 * column hands out next, is the `AUTO_INCREMENT=n` option MariaDB writes above 1: a dump without it
 * would hand out a deleted row's id again.
 */
export function mysqlTableLayout(
  text: string,
  table: string,
  keys: readonly string[],
  nextId?: bigint,
): string {
  const { tokens, entries } = tableEntries(text);
  const open = tokens.findIndex((t) => isPunct(text, t, '('));
  if (open < 1 || entries.length === 0) return text;
  const nameToken = tokens[open - 1]!;
  const head = `${text.slice(0, nameToken.start)}${backquoted(identifierValue(text, nameToken))} (`;
  const foreignNames = new Map(
    foreignKeyClauses(text, table)
      .filter((k) => k.tableLevel)
      .map((k) => [k.start, k.name]),
  );
  const columns: string[] = [];
  let primary: string | undefined;
  const uniques: string[] = [];
  const others: string[] = [];
  const foreign: string[] = [];
  const checks: string[] = [];
  let unnamedChecks = 0;
  const span = (from: number, to: number) =>
    from < to ? text.slice(tokens[from]!.start, tokens[to - 1]!.end) : '';
  for (const { from, to } of entries) {
    const first = keyword(text, tokens[from]);
    if (!CONSTRAINT_WORDS.has(first)) {
      const column = columnLine(text, tokens, from, to);
      columns.push(column.line);
      if (column.primary) primary = `PRIMARY KEY (${backquoted(column.name)})`;
      if (column.unique) uniques.push(`UNIQUE KEY ${backquoted(column.name)} (${backquoted(column.name)})`);
      continue;
    }
    let i = from;
    let name: string | undefined;
    if (first === 'CONSTRAINT') {
      i++;
      if (isName(tokens[i]) && !CONSTRAINT_WORDS.has(keyword(text, tokens[i]))) {
        name = identifierValue(text, tokens[i]!);
        i++;
      }
    }
    const what = keyword(text, tokens[i]);
    if (what === 'PRIMARY') {
      const list = openParen(text, tokens, i + 1, to);
      primary = list < 0 ? span(from, to) : `PRIMARY KEY ${columnList(text, tokens, list, to)}`;
    } else if (what === 'UNIQUE') {
      const list = openParen(text, tokens, i + 1, to);
      if (list < 0) {
        uniques.push(span(from, to));
        continue;
      }
      const own =
        list > i + 1 &&
        isName(tokens[list - 1]) &&
        !['KEY', 'INDEX'].includes(keyword(text, tokens[list - 1]));
      const keyName =
        name ?? (own ? identifierValue(text, tokens[list - 1]!) : identifierValue(text, tokens[list + 1]!));
      uniques.push(`UNIQUE KEY ${backquoted(keyName)} ${columnList(text, tokens, list, to)}`);
    } else if (what === 'FOREIGN') {
      const local = openParen(text, tokens, i + 1, to);
      const localEnd = local < 0 ? -1 : closingParen(text, tokens, local, to);
      const refs = localEnd < 0 ? -1 : localEnd + 1;
      if (keyword(text, tokens[refs]) !== 'REFERENCES' || !isName(tokens[refs + 1])) {
        foreign.push(span(from, to));
        continue;
      }
      let j = refs + 2;
      let target = identifierValue(text, tokens[refs + 1]!);
      if (isPunct(text, tokens[j], '.') && isName(tokens[j + 1])) {
        target = `${backquoted(target)}.${backquoted(identifierValue(text, tokens[j + 1]!))}`;
        j += 2;
      } else target = backquoted(target);
      let referred = '';
      if (isPunct(text, tokens[j], '(')) {
        const end = closingParen(text, tokens, j, to);
        referred = ` ${columnList(text, tokens, j, to)}`;
        j = end < 0 ? to : end + 1;
      }
      const rest = span(j, to);
      const keyName = foreignNames.get(tokens[from]!.start) ?? name ?? `${table}_ibfk`;
      foreign.push(
        `CONSTRAINT ${backquoted(keyName)} FOREIGN KEY ${columnList(text, tokens, local, to)} REFERENCES ${target}${referred}${rest === '' ? '' : ` ${rest}`}`,
      );
    } else if (what === 'CHECK') {
      checks.push(`CONSTRAINT ${backquoted(name ?? `CONSTRAINT_${++unnamedChecks}`)} ${span(i, to)}`);
    } else others.push(span(from, to));
  }
  const lines = [
    ...columns,
    ...(primary === undefined ? [] : [primary]),
    ...uniques,
    ...keys.filter((k) => k.startsWith('UNIQUE')),
    ...others,
    ...keys.filter((k) => !k.startsWith('UNIQUE')),
    ...foreign,
    ...checks,
  ];
  const options =
    nextId === undefined || nextId <= 1n
      ? TABLE_OPTIONS
      : TABLE_OPTIONS.replace('ENGINE=InnoDB', `ENGINE=InnoDB AUTO_INCREMENT=${nextId}`);
  return `${head}\n  ${lines.join(',\n  ')}\n) ${options}`;
}

/** The index of the first `(` in `tokens[from, to)`, or -1. */
function openParen(sql: string, tokens: readonly Token[], from: number, to: number): number {
  for (let j = from; j < to; j++) if (isPunct(sql, tokens[j], '(')) return j;
  return -1;
}

/** `(a, b DESC)` as MariaDB writes a key's columns: `` (`a`,`b` DESC) ``. */
function columnList(sql: string, tokens: readonly Token[], open: number, to: number): string {
  const close = closingParen(sql, tokens, open, to);
  if (close < 0) return sql.slice(tokens[open]!.start, tokens[to - 1]!.end);
  const parts: string[] = [];
  for (const [start, end] of topLevelList(sql, tokens, open + 1, close)) {
    if (end <= start) continue;
    const first = tokens[start]!;
    const rest = start + 1 < end ? sql.slice(tokens[start + 1]!.start, tokens[end - 1]!.end) : '';
    parts.push(
      isName(first) && !rest.startsWith('(')
        ? `${backquoted(identifierValue(sql, first))}${rest === '' ? '' : ` ${rest}`}`
        : sql.slice(first.start, tokens[end - 1]!.end),
    );
  }
  return `(${parts.join(',')})`;
}

/** One column's line: its name in backticks, what SQLite keeps in it as MySQL would write it. */
function columnLine(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { line: string; name: string; primary: boolean; unique: boolean } {
  const name = identifierValue(sql, tokens[from]!);
  let primary = false;
  let unique = false;
  let autoIncrement = false;
  const kept: Token[] = [];
  let typeEnd = from + 1;
  if (isName(tokens[typeEnd]) && !NO_DEFAULT_NULL.has(keyword(sql, tokens[typeEnd]))) {
    typeEnd++;
    if (isPunct(sql, tokens[typeEnd], '(')) {
      const close = closingParen(sql, tokens, typeEnd, to);
      typeEnd = close < 0 ? typeEnd : close + 1;
    }
    while (['UNSIGNED', 'SIGNED', 'ZEROFILL', 'PRECISION'].includes(keyword(sql, tokens[typeEnd]))) typeEnd++;
  }
  let defaultNull = true;
  for (let i = from + 1; i < to; i++) {
    const word = keyword(sql, tokens[i]);
    if (word === 'PRIMARY' && keyword(sql, tokens[i + 1]) === 'KEY') {
      primary = true;
      defaultNull = false;
      i++;
      while (['ASC', 'DESC'].includes(keyword(sql, tokens[i + 1]))) i++;
      if (keyword(sql, tokens[i + 1]) === 'AUTOINCREMENT') {
        autoIncrement = true;
        i++;
      }
      continue;
    }
    if (word === 'UNIQUE' && i >= typeEnd) {
      unique = true;
      if (keyword(sql, tokens[i + 1]) === 'KEY') i++;
      continue;
    }
    if (NO_DEFAULT_NULL.has(word) && i >= typeEnd) defaultNull = false;
    if (
      word === 'NULL' &&
      keyword(sql, tokens[i - 1]) !== 'NOT' &&
      keyword(sql, tokens[i - 1]) !== 'DEFAULT' &&
      i === typeEnd
    )
      continue;
    kept.push(tokens[i]!);
  }
  const declared = autoIncrement
    ? declaredAutoIncrementType(sql.slice(tokens[from]!.start, tokens[to - 1]!.end))
    : undefined;
  const type = declared?.toLowerCase() ?? typeText(sql, tokens, from + 1, typeEnd);
  const tail = integerDefault(
    type,
    joinKept(
      sql,
      kept.filter((t) => typeEnd === from + 1 || t.start >= tokens[typeEnd - 1]!.end),
    ),
  );
  let line = `${backquoted(name)}${type === '' ? '' : ` ${type}`}`;
  // A key column is NOT NULL in MariaDB, said or not (SQLite's rowid alias is too).
  if (primary && !/^NOT NULL\b/i.test(tail)) line += ' NOT NULL';
  if (defaultNull && type !== '') line += ' DEFAULT NULL';
  // MariaDB names the time as a call: `DEFAULT current_timestamp()`, `… ON UPDATE current_timestamp(3)`.
  if (tail !== '')
    line += ` ${tail.replace(
      /\bDEFAULT +(?:CURRENT_TIMESTAMP|NOW|LOCALTIMESTAMP)\b(?: *\( *(\d*) *\))?/i,
      (_m, digits: string | undefined) => `DEFAULT current_timestamp(${digits ?? ''})`,
    )}`;
  if (autoIncrement) line += ' AUTO_INCREMENT';
  return { line, name, primary, unique };
}

/** The kept tokens with the text between neighbours as written (one space where tokens were cut). */
function joinKept(sql: string, kept: readonly Token[]): string {
  let out = '';
  for (let k = 0; k < kept.length; k++) {
    const t = kept[k]!;
    if (k > 0) {
      const gap = sql.slice(kept[k - 1]!.end, t.start);
      out += /^\s*$/.test(gap) ? gap.replace(/\s+/g, ' ') : ' ';
    }
    const word = sql.slice(t.start, t.end);
    out += t.type === TokenType.Word && CLAUSE_WORDS.has(word.toUpperCase()) ? word.toUpperCase() : word;
  }
  return out;
}

/**
 * A column's clause words, which MariaDB writes in upper case whatever the CREATE said (`NOT NULL
 * default '0'`, as WordPress writes it): clients match them so (SQLAlchemy's `DEFAULT`).
 */
const CLAUSE_WORDS = new Set([
  'NOT',
  'NULL',
  'DEFAULT',
  'ON',
  'UPDATE',
  'DELETE',
  'CHECK',
  'REFERENCES',
  'CASCADE',
  'RESTRICT',
  'SET',
  'NO',
  'ACTION',
  'GENERATED',
  'ALWAYS',
  'AS',
  'VIRTUAL',
  'STORED',
  'PERSISTENT',
  'CONSTRAINT',
]);

/** An integer column's DEFAULT given as a string of digits, as MariaDB shows it: a number. */
function integerDefault(type: string, tail: string): string {
  if (!/^(?:tiny|small|medium|big)?int(?:eger)?\b/.test(type)) return tail;
  return tail.replace(/\bDEFAULT '(-?\d+)'/, 'DEFAULT $1');
}

/** A column's declared type as MariaDB shows it where the two differ in name (`BOOL`). */
function typeText(sql: string, tokens: readonly Token[], from: number, to: number): string {
  if (from >= to) return '';
  const written = sql.slice(tokens[from]!.start, tokens[to - 1]!.end);
  if (/^bool(ean)?$/i.test(written)) return 'tinyint(1)';
  // `bigint(20) unsigned`, kept quoted (create-table.ts: SQLite's grammar has no words after
  // a type's parentheses).
  if (to === from + 1 && tokens[from]!.type === TokenType.QuotedId)
    return identifierValue(sql, tokens[from]!).toLowerCase();
  // MariaDB writes a type's words in lower case (`varchar(50)`, `int(10) unsigned`), and clients
  // look them up so (SQLAlchemy's names are lower case); an enum's members stay as declared.
  // Inside the parentheses without spaces (`decimal(10,2)`, `enum('a','b')`).
  let out = '';
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (i > from && depth === 0 && t.start > tokens[i - 1]!.end) out += ' ';
    const word = sql.slice(t.start, t.end);
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    out += t.type === TokenType.Word ? word.toLowerCase() : word;
  }
  return out.replace(/^numeric\b/, 'decimal');
}
