import { isName, isPunct, keyword, type Token, TokenType } from './lexer.js';
import { OPERATOR_CALLS } from './real-division.js';

/**
 * Words that never start an operand: clauses and operators. A `(` after one of them opens a
 * parenthesised expression or a list, not a call's arguments (`WHERE (a) DIV 2`).
 */
const NOT_OPERANDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'HAVING',
  'GROUP',
  'ORDER',
  'BY',
  'LIMIT',
  'OFFSET',
  'ON',
  'USING',
  'JOIN',
  'OVER',
  'PARTITION',
  'WINDOW',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'AND',
  'OR',
  'XOR',
  'NOT',
  'IS',
  'IN',
  'LIKE',
  'BETWEEN',
  'REGEXP',
  'RLIKE',
  'SOUNDS',
  'ESCAPE',
  'COLLATE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'AS',
  'ASC',
  'DESC',
  'DISTINCT',
  'ALL',
  'ANY',
  'SOME',
  'SET',
  'RETURN',
  'RETURNING',
  'DO',
  'INTO',
  'INTERVAL',
  'DIV',
  'MOD',
  'SQL_CALC_FOUND_ROWS',
  'HIGH_PRIORITY',
  'STRAIGHT_JOIN',
]);

/**
 * The MariaDB operators of `*`'s precedence that SQLite lacks or computes otherwise, as calls.
 * `%` calls MOD's function by another name, so `a % b` and `a MOD b` each name their column.
 */
function callFor(sql: string, t: Token): string | undefined {
  const op = isPunct(sql, t, '%') ? '%' : keyword(sql, t);
  for (const [call, written] of OPERATOR_CALLS) if (written === op) return call;
  return undefined;
}

/** Whether `t` is `*`, `/`, `%`, DIV or MOD: the operators of one precedence, grouped from the left. */
function isMultiplicative(sql: string, t: Token | undefined): t is Token {
  return t !== undefined && (isPunct(sql, t, '*') || isPunct(sql, t, '/') || callFor(sql, t) !== undefined);
}

/** Whether `b` follows `a` with nothing between: the pieces of one number (`1.5e-3`). */
function touching(a: Token | undefined, b: Token | undefined): b is Token {
  return a !== undefined && b !== undefined && a.end === b.start;
}

/** The index of the token closing the bracket or CASE opened at `open`, or -1. */
function matching(sql: string, tokens: readonly Token[], open: number, to: number): number {
  const isCase = keyword(sql, tokens[open]) === 'CASE';
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return -1;
    const k = keyword(sql, t);
    if (isCase ? k === 'CASE' : isPunct(sql, t, '(')) depth++;
    else if ((isCase ? k === 'END' : isPunct(sql, t, ')')) && --depth === 0) return i;
  }
  return -1;
}

/** Whether `tokens[i]` starts a number: `7`, `7.5`, `.5`, `1e3`. */
function startsNumber(sql: string, tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  const digits = isPunct(sql, t, '.') && touching(t, tokens[i + 1]) ? tokens[i + 1] : t;
  return digits?.type === TokenType.Word && /^\d/.test(sql[digits.start]!);
}

/** The last token of the number starting at `tokens[i]` (`7`, `7.5`, `.5`, `1.5e-3`). */
function numberEnd(sql: string, tokens: readonly Token[], i: number, to: number): number {
  let j = i;
  if (isPunct(sql, tokens[j], '.')) j++;
  if (isPunct(sql, tokens[j + 1], '.') && touching(tokens[j], tokens[j + 1])) {
    j++;
    const digits = tokens[j + 1];
    if (j + 1 < to && touching(tokens[j], digits) && digits.type === TokenType.Word) j++;
  }
  const sign = tokens[j + 1];
  if (
    /e$/i.test(sql.slice(tokens[j]!.start, tokens[j]!.end)) &&
    (isPunct(sql, sign, '-') || isPunct(sql, sign, '+')) &&
    touching(tokens[j], sign) &&
    touching(sign, tokens[j + 2]) &&
    j + 2 < to
  )
    j += 2;
  return j;
}

/**
 * The last token of the operand that binds tighter than `*` starting at `tokens[i]`, or -1: a
 * value, name, call, `( … )` or `CASE … END`, after any unary `-`, `+`, `~`, `!` and with any
 * `^ operand` after it. MariaDB's `-a DIV 2` is `(-a) DIV 2`.
 */
function operandEnd(sql: string, tokens: readonly Token[], i: number, to: number): number {
  while (i < to && ['-', '+', '~', '!'].some((op) => isPunct(sql, tokens[i], op))) i++;
  const t = tokens[i];
  if (t === undefined || i >= to) return -1;
  let end: number;
  const k = keyword(sql, t);
  if (isPunct(sql, t, '(') || k === 'CASE') end = matching(sql, tokens, i, to);
  else if (startsNumber(sql, tokens, i)) end = numberEnd(sql, tokens, i, to);
  else if (isName(t) && (!NOT_OPERANDS.has(k) || (k === 'MOD' && isPunct(sql, tokens[i + 1], '(')))) {
    end = i;
    while (end + 2 < to && isPunct(sql, tokens[end + 1], '.') && isName(tokens[end + 2])) end += 2;
    const next = tokens[end + 1];
    if (isPunct(sql, next, '(')) {
      end = matching(sql, tokens, end + 1, to);
      // A window function's call goes on with its window: SUM(x) OVER (…) or OVER w.
      if (end >= 0 && keyword(sql, tokens[end + 1]) === 'OVER')
        end = isPunct(sql, tokens[end + 2], '(') ? matching(sql, tokens, end + 2, to) : end + 2;
    }
    // A typed or character-set literal: DATE '2024-01-01', _utf8mb4'x', X'41'.
    else if (
      next?.type === TokenType.String &&
      (touching(t, next) || k.startsWith('_') || ['DATE', 'TIME', 'TIMESTAMP'].includes(k))
    )
      end++;
  } else if (t.type === TokenType.String) {
    end = i;
    while (end + 1 < to && tokens[end + 1]!.type === TokenType.String) end++;
  } else if (
    t.type === TokenType.UserVariable ||
    t.type === TokenType.SystemVariable ||
    t.type === TokenType.Placeholder
  )
    end = i;
  else return -1;
  if (end >= 0 && isPunct(sql, tokens[end + 1], '^')) {
    const more = operandEnd(sql, tokens, end + 2, to);
    if (more >= 0) return more;
  }
  return end;
}

/**
 * Rewrites MariaDB's DIV, MOD and `%` in `tokens[from, to)` into calls, with MariaDB's grouping:
 * `*`, `/`, `%`, DIV and MOD bind alike, from the left, tighter than `+` and `-`. SQLite has no
 * DIV or MOD and its `%` takes integers (7.5 % 2 is 1 there, 1.5 in MariaDB). Each run of
 * operands joined by these operators is read whole, so `7 * 2 DIV 3` becomes
 * `__mysql_div(7 * 2, 3)` and `10 DIV 4 DIV 3` `__mysql_div(__mysql_div(10, 4), 3)`.
 * A unary `-` or `+` before a run stays outside it: every one of these operations changes sign
 * with its dividend, so `-(a DIV b)` is `(-a) DIV b`.
 *
 * @returns the token ranges `[first, last]` rewritten, so the columns they name are named as
 *   the client wrote them
 */
export function rewriteMultiplicative(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): [number, number][] {
  const runs: [number, number][] = [];
  // A dump's INSERT may be megabytes of rows with `%` in their strings only: one cheap look first.
  // Per token it compares characters only: the keyword's upper-cased copy waits for a word of
  // three letters starting d or m (a row's numbers and names are not copied).
  let operators = false;
  for (let i = from; i < to && !operators; i++) {
    const t = tokens[i]!;
    const length = t.end - t.start;
    const first = sql.charCodeAt(t.start) | 0x20;
    operators =
      (length === 1 && isPunct(sql, t, '%')) ||
      (length === 3 && (first === 0x64 || first === 0x6d) && callFor(sql, t) !== undefined);
  }
  if (!operators) return runs;
  const text = (j: number) => replace.get(j) ?? sql.slice(tokens[j]!.start, tokens[j]!.end);
  // Per depth of brackets and CASEs, the last token of the run read there: the operands inside
  // that run start none of their own.
  const readUpTo: number[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    const k = keyword(sql, t);
    if (t.type === TokenType.Semicolon) depth = 0;
    if (isPunct(sql, t, ')') || k === 'END') depth = Math.max(0, depth - 1);
    if (
      i > (readUpTo[depth] ?? -1) &&
      !isPunct(sql, t, '-') &&
      !isPunct(sql, t, '+') &&
      !isPunct(sql, tokens[i - 1], '.')
    ) {
      let last = operandEnd(sql, tokens, i, to);
      // Each operator made a call: its name, its operator's index, its right operand's last.
      const calls: [string, number, number][] = [];
      while (last >= 0 && isMultiplicative(sql, tokens[last + 1])) {
        const right = operandEnd(sql, tokens, last + 2, to);
        if (right < 0) break;
        const call = callFor(sql, tokens[last + 1]!);
        if (call !== undefined) calls.push([call, last + 1, right]);
        last = right;
      }
      if (last >= 0) readUpTo[depth] = last;
      // From the left, so the call of the last operator opens first and holds the others.
      for (const [call, at, right] of calls) {
        replace.set(i, `${call}(${text(i)}`);
        replace.set(at, ',');
        replace.set(right, `${text(right)})`);
      }
      if (calls.length > 0) runs.push([i, last]);
    }
    if (isPunct(sql, t, '(') || k === 'CASE') depth++;
  }
  return runs;
}
