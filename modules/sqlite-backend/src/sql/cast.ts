import { CAST_FUNCTION } from '../functions/cast.js';
import { isPunct, keyword, type Token, TokenType } from './lexer.js';

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
  const using = keyword(sql, tokens[split]) === 'USING';
  if (using) {
    if (split + 2 !== close || tokens[split + 1]!.type !== TokenType.Word) return false;
    type = { name: keyword(sql, tokens[split + 1]) === 'BINARY' ? 'BINARY' : 'CHAR', n: -1, m: -1 };
  } else {
    type = castType(sql, tokens, split + 1, close);
  }
  if (type === undefined) return false;
  // The type as written goes along, so two casts of one value to types of one kind (`AS INT`,
  // `AS SIGNED`) stay two texts, each named as the client wrote it.
  const written = sql.slice(tokens[using ? split : split + 1]!.start, tokens[close - 1]!.end);
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
  const n = Number(m[3]);
  const fsp = n < 0 ? '' : `(${n})`;
  switch (m[2]) {
    case 'DATE':
      return 'DATE';
    case 'DATETIME':
    case 'TIME':
      return `${m[2]}${fsp}`;
    case 'DECIMAL':
      return `DECIMAL(${n < 0 ? 10 : n},${Math.max(Number(m[4]), 0)})`;
    case 'DOUBLE':
      return 'DOUBLE';
  }
  return undefined;
}
