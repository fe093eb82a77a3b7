import { CAST_FUNCTION } from '../functions/cast.js';
import { identifierValue, isPunct, keyword, type Token, TokenType, tokenize } from './lexer.js';

/** The type a CAST names: the function's type word, its length / precision and scale (−1: none). */
interface CastType {
  name: string;
  n: number;
  m: number;
}

/** Words a CHAR type may be followed by, all taken and ignored (the backend's text is UTF-8). */
const CHARSET_WORDS = new Set(['CHARACTER', 'SET', 'CHARSET', 'ASCII', 'UNICODE', 'BINARY', 'COLLATE']);

/**
 * The type written in `tokens[from, to)`, or undefined for one MySQL's CAST does not take (then
 * the CAST is left for SQLite, as before).
 */
function castType(sql: string, tokens: readonly Token[], from: number, to: number): CastType | undefined {
  const word = keyword(sql, tokens[from]);
  let at = from + 1;
  const numbers: number[] = [];
  if (isPunct(sql, tokens[at], '(')) {
    for (at++; at < to; at++) {
      const t = tokens[at]!;
      if (isPunct(sql, t, ')')) break;
      if (isPunct(sql, t, ',')) continue;
      if (t.type !== TokenType.Word || !/^\d+$/.test(keyword(sql, t))) return undefined;
      numbers.push(Number(keyword(sql, t)));
    }
    if (at >= to || numbers.length === 0 || numbers.length > 2) return undefined;
    at++;
  }
  const rest = tokens.slice(at, to).map((t) => keyword(sql, t));
  const [n = -1, m = -1] = numbers;
  const sized = (name: string, most: number): CastType | undefined =>
    rest.length === 0 && numbers.length <= most ? { name, n, m } : undefined;
  switch (word) {
    case 'SIGNED':
    case 'UNSIGNED':
      if (numbers.length > 0 || rest.length > 1) return undefined;
      if (rest.length === 1 && rest[0] !== 'INT' && rest[0] !== 'INTEGER') return undefined;
      return { name: word, n, m };
    case 'INT':
    case 'INTEGER':
      return sized('SIGNED', 0);
    case 'DECIMAL':
    case 'DEC':
      return sized('DECIMAL', 2);
    case 'DOUBLE':
    case 'FLOAT':
      return sized(word, 0);
    case 'DATE':
      return sized('DATE', 0);
    case 'DATETIME':
    case 'TIME':
    case 'BINARY':
      return sized(word, 1);
    case 'CHAR':
    case 'NCHAR':
    case 'VARCHAR':
      if (numbers.length > 1) return undefined;
      // The names after CHARACTER SET / COLLATE are words too: any word goes after the first.
      if (rest.length > 0 && !CHARSET_WORDS.has(rest[0]!)) return undefined;
      return { name: 'CHAR', n, m };
  }
  return undefined;
}

/**
 * Rewrites `CAST(x AS type)`, `CONVERT(x, type)` and `CONVERT(x USING charset)`, the call at `at`
 * (CAST or CONVERT, its `(` next) closed at `close`, into `__mysql_cast(x, 'TYPE', n, m, 'type
 * as written')`: SQLite's own CAST reads MySQL's types by their affinity (`AS DATE` is NUMERIC,
 * so '2024-01-02' is 2024; `AS SIGNED` keeps 3.7), and it has no CONVERT. A charset conversion
 * keeps the text, which is UTF-8 here whatever the charset (`USING binary` gives bytes).
 *
 * @returns whether the call was rewritten
 */
export function rewriteCast(
  sql: string,
  tokens: readonly Token[],
  at: number,
  close: number,
  replace: Map<number, string>,
): boolean {
  const convert = keyword(sql, tokens[at]) === 'CONVERT';
  let split = -1;
  let depth = 0;
  for (let j = at + 2; j < close; j++) {
    const t = tokens[j]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    else if (depth > 0) continue;
    else if (convert ? isPunct(sql, t, ',') || keyword(sql, t) === 'USING' : keyword(sql, t) === 'AS')
      split = j;
  }
  if (split <= at + 2 || split + 1 >= close) return false;
  let type: CastType | undefined;
  if (keyword(sql, tokens[split]) === 'USING') {
    if (split + 2 !== close || tokens[split + 1]!.type !== TokenType.Word) return false;
    type = { name: keyword(sql, tokens[split + 1]) === 'BINARY' ? 'BINARY' : 'CHAR', n: -1, m: -1 };
  } else {
    type = castType(sql, tokens, split + 1, close);
  }
  if (type === undefined) return false;
  // The type as written goes along (`AS INT`, `, SIGNED`, `USING latin1`): two casts of one value
  // to types of one kind stay two texts, each named as the client wrote it, and a stored text (a
  // view's column) can be named so again.
  const written = sql.slice(tokens[split]!.start, tokens[close - 1]!.end);
  replace.set(at, CAST_FUNCTION);
  replace.set(split, ',');
  replace.set(split + 1, `'${type.name}', ${type.n}, ${type.m}, '${written.replaceAll("'", "''")}'`);
  for (let j = split + 2; j < close; j++) replace.set(j, '');
  return true;
}

/** The call a column named after a cast is (`__mysql_cast(x, 'DATE', -1, -1, 'DATE')`), balanced. */
const CAST_CALL = new RegExp(
  `^${CAST_FUNCTION}\\((.*), '([A-Z]+)', (-?\\d+), (-?\\d+), '(?:[^']|'')*'\\)$`,
  's',
);

/**
 * The MySQL type to declare for a result column SQLite names `name`, when that is a whole cast
 * call (not aliased, not inside an expression): MariaDB's DATE, DATETIME(n), TIME(n) and
 * DECIMAL(p,s) types, so a DECIMAL shows its scale (`1.00`). Undefined for anything else.
 */
export function castColumnType(name: string): string | undefined {
  const m = CAST_CALL.exec(name);
  if (m === null) return undefined;
  // `__mysql_cast(a, …) + __mysql_cast(b, …)` matches too: the first `(` must close last.
  let depth = 0;
  let quoted = false;
  for (let i = CAST_FUNCTION.length; i < name.length; i++) {
    const c = name[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0 && i !== name.length - 1) return undefined;
  }
  return declaredCastType(m[2]!, Number(m[3]), Number(m[4]));
}

/** The declared type a column of the cast `__mysql_cast(x, 'name', n, m, …)` is described with. */
function declaredCastType(name: string, n: number, m: number): string | undefined {
  switch (name) {
    case 'DATE':
      return 'DATE';
    case 'DATETIME':
    case 'TIME':
      return n < 0 ? name : `${name}(${n})`;
    case 'DECIMAL':
      return `DECIMAL(${n < 0 ? 10 : n},${Math.max(m, 0)})`;
    case 'DOUBLE':
      return 'DOUBLE';
  }
  return undefined;
}

/** Words after a select list's item that are no alias. */
const NOT_ALIASES = new Set([
  'FROM',
  'ASC',
  'DESC',
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'UNION',
  'INTO',
]);

/**
 * The aliases of select-list items that are a whole cast (`SELECT CAST(x AS DECIMAL(10,2)) AS p`),
 * among the rewritten `calls`, each with the type to describe its column with, as
 * {@link castColumnType} gives one for an item without an alias: SQLite names such a column
 * after the alias, and declares no type for it.
 */
export function aliasedCastTypes(
  sql: string,
  tokens: readonly Token[],
  calls: readonly [number, number][],
  replace: ReadonlyMap<number, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [first, last] of calls) {
    if (replace.get(first) !== CAST_FUNCTION) continue;
    const before = tokens[first - 1];
    if (!isPunct(sql, before, ',') && !['SELECT', 'DISTINCT', 'ALL'].includes(keyword(sql, before))) continue;
    let at = last + 1;
    if (keyword(sql, tokens[at]) === 'AS') at++;
    const alias = tokens[at];
    if (alias === undefined || (alias.type !== TokenType.Word && alias.type !== TokenType.QuotedId)) continue;
    if (NOT_ALIASES.has(keyword(sql, alias))) continue;
    // The outer cast's type is the last one written in the call (`CAST(CAST(a AS DATE) AS CHAR)`).
    for (let j = last - 1; j > first; j--) {
      const m = /^'([A-Z]+)', (-?\d+), (-?\d+), '/.exec(replace.get(j) ?? '');
      if (m === null) continue;
      const type = declaredCastType(m[1]!, Number(m[2]), Number(m[3]));
      if (type !== undefined) out.set(identifierValue(sql, alias), type);
      break;
    }
  }
  return out;
}

/**
 * A column name SQLite made from stored text (a view's) with its casts as the client wrote them:
 * `__mysql_cast(a , 'DATE', -1, -1, 'AS DATE')` → `CAST(a AS DATE)`, `CONVERT(a, DATE)`.
 */
export function withCastsAsWritten(text: string): string {
  let out = text;
  while (out.includes(`${CAST_FUNCTION}(`)) {
    const next = withLastCastAsWritten(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

/** `text` with its last cast call, which holds no other, turned back. */
function withLastCastAsWritten(text: string): string {
  const tokens = tokenize(text, false);
  for (let c = tokens.length - 2; c >= 0; c--) {
    const t = tokens[c]!;
    if (text.slice(t.start, t.end).toLowerCase() !== CAST_FUNCTION || !isPunct(text, tokens[c + 1], '('))
      continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = c + 1; j < tokens.length; j++) {
      if (isPunct(text, tokens[j], '(')) depth++;
      else if (isPunct(text, tokens[j], ',') && depth === 1) commas.push(j);
      else if (isPunct(text, tokens[j], ')') && --depth === 0) {
        const written = tokens[j - 1]!;
        if (commas.length !== 4 || written.type !== TokenType.String) return text;
        const type = text.slice(written.start + 1, written.end - 1).replaceAll("''", "'");
        const value = text.slice(tokens[c + 1]!.end, tokens[commas[0]!]!.start).trimEnd();
        const call = type.startsWith(',')
          ? `CONVERT(${value}${type})`
          : `${/^USING\b/i.test(type) ? 'CONVERT' : 'CAST'}(${value} ${type})`;
        return text.slice(0, t.start) + call + text.slice(tokens[j]!.end);
      }
    }
    return text;
  }
  return text;
}
