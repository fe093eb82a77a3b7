import { INTERVAL_UNITS } from '../functions/index.js';
import { rewriteCast } from './cast.js';
import { rewriteGroupConcat } from './group-concat.js';
import { closingParen, isName, isPunct, keyword, type Token, TokenType } from './lexer.js';
import { isIsnullCall } from './postfix-null-names.js';

/** Calls whose last argument may be `INTERVAL expr unit`. */
const INTERVAL_CALLS = new Set(['DATE_ADD', 'DATE_SUB', 'ADDDATE', 'SUBDATE']);
/** Calls whose first argument is a bare unit keyword. */
const UNIT_FIRST_CALLS = new Set(['TIMESTAMPDIFF', 'TIMESTAMPADD']);
/** MySQL's niladic functions, written without parentheses; SQLite knows them only as calls. */
const BARE_CALLS = new Set([
  'CURRENT_USER',
  'LOCALTIME',
  'LOCALTIMESTAMP',
  'UTC_DATE',
  'UTC_TIME',
  'UTC_TIMESTAMP',
]);
/** SQLite keywords that MySQL also takes as calls with a precision: the call is ours. */
const KEYWORD_CALLS = new Map([
  ['CURRENT_TIMESTAMP', 'NOW'],
  ['CURRENT_TIME', 'CURTIME'],
  ['CURRENT_DATE', 'CURDATE'],
]);

/** Where the `words` stand at the top level of the call whose `(` is at `open` (to `close`). */
function topLevel(
  sql: string,
  tokens: readonly Token[],
  open: number,
  close: number,
  words: readonly string[],
): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let j = open + 1; j < close; j++) {
    if (isPunct(sql, tokens[j], '(')) depth++;
    else if (isPunct(sql, tokens[j], ')')) depth--;
    else if (depth === 0 && words.includes(keyword(sql, tokens[j]))) out.push(j);
  }
  return out;
}

/** Words before a parenthesised expression that are not a function's name (`SELECT (a + b) DIV 2`). */
const NOT_CALLED = new Set([
  'SELECT',
  'WHERE',
  'HAVING',
  'ON',
  'AND',
  'OR',
  'XOR',
  'NOT',
  'WHEN',
  'THEN',
  'ELSE',
  'SET',
  'BY',
  'IS',
  'LIKE',
  'BETWEEN',
  'IN',
  'AS',
  'DISTINCT',
  'ALL',
  'RETURN',
  'VALUES',
  'VALUE',
  'LIMIT',
  'OFFSET',
  'CASE',
  'DO',
  'INTERVAL',
  'DIV',
  'MOD',
  'REGEXP',
  'RLIKE',
]);

/**
 * The operand ending at `tokens[end]`: a name (`t.c` too), a literal, a placeholder, or a call
 * `f(…)`. Its first token's index, or -1 when it is none of these (a parenthesised expression…).
 */
function operandBefore(sql: string, tokens: readonly Token[], end: number, from: number): number {
  const t = tokens[end];
  if (t === undefined || end < from) return -1;
  if (isPunct(sql, t, ')')) {
    let depth = 0;
    for (let j = end; j >= from; j--) {
      if (isPunct(sql, tokens[j], ')')) depth++;
      else if (isPunct(sql, tokens[j], '(') && --depth === 0)
        return j - 1 >= from &&
          tokens[j - 1]!.type === TokenType.Word &&
          !NOT_CALLED.has(keyword(sql, tokens[j - 1]))
          ? j - 1
          : -1;
    }
    return -1;
  }
  if (t.type === TokenType.Punct || t.type === TokenType.Semicolon) return -1;
  let start = end;
  while (start - 2 >= from && isPunct(sql, tokens[start - 1], '.') && isName(tokens[start - 2])) start -= 2;
  return start;
}

/** The single-token (or signed number, or call) operand starting at `tokens[at]`: its last index, or -1. */
function operandAfter(sql: string, tokens: readonly Token[], at: number, to: number): number {
  const t = tokens[at];
  if (t === undefined || at >= to) return -1;
  if (isPunct(sql, t, '-') || isPunct(sql, t, '+')) return operandAfter(sql, tokens, at + 1, to);
  if (t.type === TokenType.Word && isPunct(sql, tokens[at + 1], '('))
    return closingParen(sql, tokens, at + 1, to);
  if (t.type === TokenType.Punct || t.type === TokenType.Semicolon) return -1;
  return at;
}

/**
 * MySQL's date operators for simple operands: `d + INTERVAL n unit` / `d - INTERVAL n unit` →
 * `DATE_ADD(d, n, 'unit')` / `DATE_SUB(…)`. `tokens[i]` is the INTERVAL. Returns the call's token
 * range, or undefined when the operands are not simple enough to rewrite safely (then SQLite's
 * syntax error stands).
 */
function operatorCall(
  sql: string,
  tokens: readonly Token[],
  i: number,
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number] | undefined {
  const prepend = (j: number, text: string) =>
    replace.set(j, text + (replace.get(j) ?? sql.slice(tokens[j]!.start, tokens[j]!.end)));
  const op = tokens[i - 1];
  const minus = isPunct(sql, op, '-');
  if (!minus && !isPunct(sql, op, '+')) return undefined;
  const last = operandAfter(sql, tokens, i + 1, to);
  const unit = tokens[last + 1];
  if (last < 0 || !isUnit(keyword(sql, unit))) return undefined;
  const left = operandBefore(sql, tokens, i - 2, from);
  if (left < 0) return undefined;
  prepend(left, minus ? 'DATE_SUB(' : 'DATE_ADD(');
  replace.set(i - 1, ',');
  replace.set(i, '');
  replace.set(last + 1, `, '${keyword(sql, unit)}')`);
  return [left, last + 1];
}

/** An interval unit, also with ODBC's `SQL_TSI_` prefix. */
function isUnit(word: string): boolean {
  return INTERVAL_UNITS.has(word.replace(/^SQL_TSI_/, ''));
}

/**
 * Rewrites MySQL's special syntax inside function calls into plain calls of the functions the
 * backend registers: `DATE_ADD(d, INTERVAL n DAY)` → `DATE_ADD(d, n, 'DAY')`,
 * `TIMESTAMPDIFF(DAY, a, b)` → `TIMESTAMPDIFF('DAY', a, b)`, `EXTRACT(YEAR FROM d)` →
 * `EXTRACT('YEAR', d)`, `CURRENT_USER` → `CURRENT_USER()`, `CURRENT_TIMESTAMP(3)` → `NOW(3)`,
 * `x RLIKE p` → `x REGEXP p`, `ISNULL(x)` → `((x) IS NULL)`, `SUBSTRING(s FROM n FOR m)`,
 * `POSITION(a IN b)`, `TRIM(LEADING x FROM s)`, `GROUP_CONCAT(a, b SEPARATOR s)` (see
 * group-concat.ts), `CAST(x AS type)` and `CONVERT(x, type | USING cs)` (see cast.ts), and
 * for simple operands `d + INTERVAL 1 DAY` (DIV, MOD and `%` are multiplicative.ts's).
 * Replacements go into `replace` (token index → text) unless a token already has one.
 *
 * @returns the token ranges `[first, last]` of the calls rewritten, so the columns they name
 *   can be named as the client wrote them
 */
export function rewriteFunctionSyntax(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number][] {
  const calls: [number, number][] = [];
  const set = (i: number, text: string): void => {
    if (!replace.has(i)) replace.set(i, text);
  };
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.type !== TokenType.Word) continue;
    const k = keyword(sql, t);
    const opens = isPunct(sql, tokens[i + 1], '(');
    const qualified = isPunct(sql, tokens[i - 1], '.');
    if (qualified) continue;
    if (k === 'INTERVAL') {
      const call = operatorCall(sql, tokens, i, from, to, replace);
      if (call !== undefined) calls.push(call);
      continue;
    }
    if (k === 'RLIKE') {
      // MySQL's synonym of REGEXP, which SQLite knows as an operator.
      set(i, 'REGEXP');
      calls.push([i, i]);
      continue;
    }
    if (!opens) {
      if (BARE_CALLS.has(k) && keyword(sql, tokens[i - 1]) !== 'AS') {
        set(i, `${sql.slice(t.start, t.end)}()`);
        calls.push([i, i]);
      }
      continue;
    }
    const close = closingParen(sql, tokens, i + 1, to);
    if (close < 0) continue;
    const keywordCall = KEYWORD_CALLS.get(k);
    if (k === 'ISNULL') {
      // A table named isnull (`INSERT INTO isnull (a) …`) is postfix-null-names.ts's.
      if (!isIsnullCall(sql, tokens, i)) continue;
      // MySQL's function; SQLite knows ISNULL only as a postfix operator (`x ISNULL`).
      set(i, '(');
      set(close, ') IS NULL)');
      calls.push([i, close]);
    } else if (keywordCall !== undefined) {
      const before = keyword(sql, tokens[i - 1]);
      // A column default stays SQLite's own.
      if (before !== 'DEFAULT' && before !== 'UPDATE') {
        set(i, keywordCall);
        calls.push([i, close]);
      }
    } else if (INTERVAL_CALLS.has(k)) {
      // The last argument: `, INTERVAL expr unit )`.
      const unit = tokens[close - 1];
      if (!isUnit(keyword(sql, unit))) continue;
      let interval = -1;
      let depth = 0;
      for (let j = i + 2; j < close; j++) {
        if (isPunct(sql, tokens[j], '(')) depth++;
        else if (isPunct(sql, tokens[j], ')')) depth--;
        else if (depth === 0 && keyword(sql, tokens[j]) === 'INTERVAL' && isPunct(sql, tokens[j - 1], ','))
          interval = j;
      }
      if (interval < 0) continue;
      set(interval, '');
      set(close - 1, `, '${keyword(sql, unit)}'`);
      calls.push([i, close]);
    } else if (k === 'CAST' || k === 'CONVERT') {
      if (rewriteCast(sql, tokens, i, close, replace)) calls.push([i, close]);
    } else if (k === 'GROUP_CONCAT') {
      if (rewriteGroupConcat(sql, tokens, i, close, replace)) calls.push([i, close]);
    } else if (k === 'SUBSTRING' || k === 'SUBSTR' || k === 'POSITION') {
      // SUBSTRING(s FROM n [FOR m]) → SUBSTRING(s, n[, m]); POSITION(a IN b) → LOCATE(a, b).
      const words = k === 'POSITION' ? ['IN'] : ['FROM', 'FOR'];
      const at = topLevel(sql, tokens, i + 1, close, words);
      if (at.length === 0) continue;
      for (const j of at) set(j, ',');
      if (k === 'POSITION') set(i, 'LOCATE');
      calls.push([i, close]);
    } else if (k === 'TRIM') {
      // TRIM([LEADING|TRAILING|BOTH] [remove] FROM s) → __mysql_trim('MODE', remove, s).
      const mode = keyword(sql, tokens[i + 2]);
      const explicit = mode === 'LEADING' || mode === 'TRAILING' || mode === 'BOTH';
      const [fromAt] = topLevel(sql, tokens, i + 1, close, ['FROM']);
      if (fromAt === undefined) continue;
      set(i, '__mysql_trim');
      if (explicit) {
        set(i + 2, `'${mode}',`);
        if (fromAt === i + 3) set(fromAt, "' ',");
        else set(fromAt, ',');
      } else {
        set(i + 1, "('BOTH', ");
        set(fromAt, ',');
      }
      calls.push([i, close]);
    } else if (UNIT_FIRST_CALLS.has(k) || k === 'EXTRACT') {
      const unit = tokens[i + 2];
      const after = tokens[i + 3];
      const unitName = keyword(sql, unit);
      if (!isUnit(unitName)) continue;
      if (k === 'EXTRACT' ? keyword(sql, after) !== 'FROM' : !isPunct(sql, after, ',')) continue;
      set(i + 2, `'${unitName}'`);
      if (k === 'EXTRACT') set(i + 3, ',');
      calls.push([i, close]);
    }
  }
  return calls;
}
