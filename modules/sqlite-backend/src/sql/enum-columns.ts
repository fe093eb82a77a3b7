import { MysqlError } from '../errors.js';
import {
  backquoted,
  identifierValue,
  isPunct,
  keyword,
  stringValue,
  type Token,
  TokenType,
  tokenize,
} from './lexer.js';

/*
 * MySQL's `ENUM('a','b')` column, which SQLite's type grammar does not take (a type's arguments
 * are numbers). The column is stored as
 *
 *   c `text enum('a','b')` COLLATE NOCASE CHECK (__enum_member(c, 'c', 'a', 'b'))
 *
 * The quoted type keeps MySQL's text where SQLite reports a column's type (table_info, a result
 * column's declared type), so DESCRIBE, information_schema and result metadata read it there.
 * SQLite gives a type the INTEGER affinity as soon as `INT` is in it, which would turn a member
 * like '1' into a number: the `text` gives TEXT affinity, and an `n` after an `i` in the members
 * (with `%` itself) is written %XX. The CHECK refuses a value that is no member (1265, as MariaDB
 * in strict mode); NOCASE makes comparisons, keys and GROUP BY ignore case, as MariaDB's default
 * collation does.
 */

const STORED = /^text enum\((.*)\)$/is;
const CHECK_FUNCTION = '__enum_member';

/** MySQL's quoting of an enum member: `it's` → `'it''s'`. */
function quoted(member: string): string {
  return `'${member.replaceAll("'", "''")}'`;
}

/** `enum('a','b')` as stored: no `int` in it, whatever the members. */
function storedType(members: readonly string[]): string {
  const text = `enum(${members.map(quoted).join(',')})`
    .replaceAll('%', '%25')
    .replace(/(?<=[iI])[nN]/g, (n) => (n === 'n' ? '%6E' : '%4E'));
  return backquoted(`text ${text}`);
}

/** MySQL's type text for an SQLite declared type that is an enum's, else undefined. */
export function enumType(declared: string | null | undefined): string | undefined {
  const m = declared == null ? null : STORED.exec(declared);
  if (m === null) return undefined;
  return `enum(${m[1]!.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))})`;
}

/** The members of an enum's MySQL type text (`enum('a','it''s')` → a, it's). */
export function enumMembers(type: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  for (let m = re.exec(type); m !== null; m = re.exec(type)) out.push(m[1]!.replaceAll("''", "'"));
  return out;
}

/** The type DESCRIBE / information_schema show for an SQLite declared type. */
export function mysqlColumnType(declared: string): string {
  return enumType(declared) ?? declared.toLowerCase();
}

/**
 * Rewrites the `ENUM('a', …)` type of the column definition `tokens[from, to)` (its name at
 * `from`) into {@link replace}; false when its type is no ENUM. The members' own tokens stay as
 * the CHECK's arguments, so the rewrite turns each into SQLite's string as it does any other.
 */
export function rewriteEnumColumn(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): boolean {
  const at = from + 1;
  if (keyword(sql, tokens[at]) !== 'ENUM' || !isPunct(sql, tokens[at + 1], '(')) return false;
  const members: string[] = [];
  let close = at + 2;
  for (; close < to; close++) {
    const t = tokens[close]!;
    if (isPunct(sql, t, ')')) break;
    if (isPunct(sql, t, ',')) continue;
    if (t.type !== TokenType.String) return false;
    members.push(stringValue(sql, t));
  }
  if (close >= to || members.length === 0) return false;
  const name = identifierValue(sql, tokens[from]!);
  refuseAsMariadb(sql, tokens, close + 1, to, name, members);
  replace.set(
    at,
    `${storedType(members)} COLLATE NOCASE CHECK (${CHECK_FUNCTION}(${backquoted(name)}, ${quoted(name)}, `,
  );
  replace.set(at + 1, '');
  replace.set(close, `))${impliedDefault(sql, tokens, close + 1, to, members[0]!)}`);
  return true;
}

/**
 * MariaDB's refusals of an enum's definition, `tokens[from, to)` its clauses: members equal but
 * for case (1291), a string DEFAULT that is no member (1067). SQLite would take both, and fail
 * only the INSERTs using such a default.
 */
function refuseAsMariadb(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  column: string,
  members: readonly string[],
): void {
  // By its lower case, each member as first written (MariaDB's message names that one).
  const seen = new Map<string, string>();
  for (const m of members) {
    const first = seen.get(m.toLowerCase());
    if (first !== undefined)
      throw new MysqlError(1291, `Column '${column}' has duplicated value '${first}' in ENUM`, 'HY000');
    seen.set(m.toLowerCase(), m);
  }
  for (let i = from; i < to; i++) {
    const value = tokens[i + 1];
    if (keyword(sql, tokens[i]) !== 'DEFAULT' || value?.type !== TokenType.String) continue;
    if (!seen.has(stringValue(sql, value).toLowerCase()))
      throw new MysqlError(1067, `Invalid default value for '${column}'`, '42000');
  }
}

/**
 * MariaDB's default for a NOT NULL enum declared without one, `tokens[from, to)` its clauses: the
 * first member (an INSERT leaving the column out stores it; SQLite would fail it as NULL).
 */
function impliedDefault(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  first: string,
): string {
  let notNull = false;
  for (let i = from; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'DEFAULT') return '';
    if (k === 'NULL' && keyword(sql, tokens[i - 1]) === 'NOT') notNull = true;
  }
  return notNull ? ` DEFAULT ${quoted(first)}` : '';
}

/**
 * `__enum_member(value, column, members…)`, the stored CHECK: true for NULL or a member (in any
 * case); else MariaDB's strict-mode refusal. MariaDB counts the row; SQLite does not say which
 * row a CHECK failed on, so the message names row 1.
 */
export function enumMember(value: unknown, column: unknown, ...members: unknown[]): bigint {
  if (value === null) return 1n;
  const v = String(value).toLowerCase();
  if (members.some((m) => String(m).toLowerCase() === v)) return 1n;
  throw new MysqlError(1265, `Data truncated for column '${String(column)}' at row 1`, '01000');
}

/** Whether a stored column definition's clauses are an enum's (its CHECK calls ours). */
export function isStoredEnum(clauses: readonly { kind: string; text: string }[]): boolean {
  return clauses.some((c) => c.kind === 'check' && c.text.includes(CHECK_FUNCTION));
}

/**
 * Gives the values of enum columns the member's own spelling, as MariaDB stores it (`'A'` into
 * `enum('a')` reads `a`): the CHECK cannot change a value, so the case written is kept. Changes
 * `rows` in place.
 */
export function applyEnumMembers(declared: readonly (string | null)[], rows: unknown[][]): void {
  for (let i = 0; i < declared.length; i++) {
    const type = enumType(declared[i]);
    if (type === undefined) continue;
    const byLower = new Map(enumMembers(type).map((m) => [m.toLowerCase(), m]));
    for (const row of rows) {
      const v = row[i];
      if (typeof v === 'string') row[i] = byLower.get(v.toLowerCase()) ?? v;
    }
  }
}

/**
 * A stored CREATE TABLE text with its enum columns as MySQL writes them (SHOW CREATE TABLE):
 * `enum('a','b')`, without the COLLATE NOCASE and CHECK the rewrite added.
 */
export function enumColumnsAsMysql(stored: string): string {
  if (!stored.includes(CHECK_FUNCTION)) return stored;
  const tokens = tokenize(stored, false);
  let out = '';
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== TokenType.QuotedId) continue;
    const type = enumType(identifierValue(stored, t));
    if (type === undefined) continue;
    out += stored.slice(at, t.start) + type;
    at = t.end;
    if (
      keyword(stored, tokens[i + 1]) !== 'COLLATE' ||
      keyword(stored, tokens[i + 3]) !== 'CHECK' ||
      !isPunct(stored, tokens[i + 4], '(') ||
      keyword(stored, tokens[i + 5]) !== CHECK_FUNCTION.toUpperCase()
    )
      continue;
    let depth = 0;
    let j = i + 4;
    for (; j < tokens.length; j++) {
      if (isPunct(stored, tokens[j], '(')) depth++;
      else if (isPunct(stored, tokens[j], ')') && --depth === 0) break;
    }
    if (j >= tokens.length) continue;
    at = tokens[j]!.end;
    i = j;
  }
  return out + stored.slice(at);
}
