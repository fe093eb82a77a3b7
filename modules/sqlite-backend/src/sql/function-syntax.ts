import { INTERVAL_UNITS } from '../functions/index.js';
import { isPunct, keyword, type Token, TokenType } from './lexer.js';

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

/** An interval unit, also with ODBC's `SQL_TSI_` prefix. */
function isUnit(word: string): boolean {
  return INTERVAL_UNITS.has(word.replace(/^SQL_TSI_/, ''));
}

/** The index of the `)` closing the `(` at `open`, or -1 before `to`. */
function closing(sql: string, tokens: readonly Token[], open: number, to: number): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return -1;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')') && --depth === 0) return i;
  }
  return -1;
}

/**
 * Rewrites MySQL's special syntax inside function calls into plain calls of the functions the
 * backend registers: `DATE_ADD(d, INTERVAL n DAY)` → `DATE_ADD(d, n, 'DAY')`,
 * `TIMESTAMPDIFF(DAY, a, b)` → `TIMESTAMPDIFF('DAY', a, b)`, `EXTRACT(YEAR FROM d)` →
 * `EXTRACT('YEAR', d)`, `CURRENT_USER` → `CURRENT_USER()`, `CURRENT_TIMESTAMP(3)` → `NOW(3)`,
 * `x RLIKE p` → `x REGEXP p`.
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
    const close = closing(sql, tokens, i + 1, to);
    if (close < 0) continue;
    const keywordCall = KEYWORD_CALLS.get(k);
    if (keywordCall !== undefined) {
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
