import { INTERVAL_UNITS } from '../functions/index.js';
import { isPunct, keyword, type Token, TokenType } from './lexer.js';

/** Words that end the expression of an assignment: a clause, an alias, a CASE's next branch. */
const ENDS = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'AS',
  'INTO',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'FOR',
  'LOCK',
  'ON',
  'USING',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ASC',
  'DESC',
  'RETURNING',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
]);

/**
 * Words that join or lead operands (`a AND b`, `a IS NULL`, `BINARY a`, `INTERVAL 1 DAY`): a word
 * after one of these, or one of these after an operand, is still the expression, never its
 * alias.
 */
const OPERATOR_WORDS = new Set([
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
  'DIV',
  'MOD',
  'COLLATE',
  'ESCAPE',
  'SOUNDS',
  'MEMBER',
  'OF',
  'BINARY',
  'INTERVAL',
  'DISTINCT',
  'EXISTS',
  'ALL',
  'ANY',
  'SOME',
  'CASE',
]);

/**
 * Whether `t` starts a bare alias (`@x := 1 + 2 y`) after `prev`, the last token of the
 * expression so far: a name right after a finished operand — a value, a name or a `)` — with no
 * operator between. Not an interval's unit (`d + INTERVAL 1 DAY`), which follows its number so.
 */
export function isBareAlias(sql: string, prev: Token | undefined, t: Token): boolean {
  if (t.type !== TokenType.QuotedId && t.type !== TokenType.Word) return false;
  const k = keyword(sql, t);
  if (OPERATOR_WORDS.has(k) || INTERVAL_UNITS.has(k)) return false;
  if (prev === undefined) return false;
  if (prev.type === TokenType.Punct) return isPunct(sql, prev, ')');
  if (prev.type === TokenType.Word) return !OPERATOR_WORDS.has(keyword(sql, prev));
  return prev.type !== TokenType.Semicolon;
}

/** Whether `tokens[i]`, a user variable, is followed by `:=`. */
export function isAssigned(sql: string, tokens: readonly Token[], i: number): boolean {
  const colon = tokens[i + 1];
  return isPunct(sql, colon, ':') && isPunct(sql, tokens[i + 2], '=') && colon!.end === tokens[i + 2]!.start;
}

/**
 * The last token of the expression an `@v :=` at `tokens[i]` assigns, in `tokens[from, to)`; -1
 * when none follows. `:=` binds least of all operators, so the expression runs on to a comma or
 * `)` outside its parentheses, or a word that ends it there ({@link ENDS}) — not the branches of
 * a CASE inside it, or a bare alias after it (`SELECT @x := 1 + 2 y`).
 */
export function assignedUpTo(sql: string, tokens: readonly Token[], i: number, to: number): number {
  let last = -1;
  let depth = 0;
  let cases = 0;
  for (let j = i + 3; j < to; j++) {
    const t = tokens[j]!;
    if (t.type === TokenType.Semicolon) break;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && isPunct(sql, t, ',')) break;
    else if (depth === 0) {
      const k = keyword(sql, t);
      if (k === 'CASE') cases++;
      else if (k === 'END' && cases > 0) cases--;
      else if (cases === 0 && ENDS.has(k)) break;
      else if (cases === 0 && last >= 0 && isBareAlias(sql, tokens[last], t)) break;
    }
    last = j;
  }
  return last;
}

/** Words after which a `(` at the same depth opens a table of a FROM clause. */
const TABLE_LEADERS = new Set(['FROM', 'JOIN', 'STRAIGHT_JOIN']);

/** Words that start a clause: the nearest one before a `(` says whether it stands in a FROM. */
const CLAUSES = new Set([
  'SELECT',
  'FROM',
  'JOIN',
  'STRAIGHT_JOIN',
  'ON',
  'USING',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'SET',
  'VALUES',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'INTO',
  'RETURNING',
]);

/**
 * The derived tables in `tokens[from, to)` that only assign user variables — `FROM t, (SELECT
 * @n := 0) r`, the row-number idiom — as `[first, end)` ranges of their SELECT (no FROM, no
 * placeholder). MariaDB makes them before it reads the outer rows; SQLite flattens them, and
 * leaves out a column nothing reads, so their assignments would never run: the engine runs them
 * first, once per execution.
 */
export function initOnlyDerivedTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): [number, number][] {
  const found: [number, number][] = [];
  for (let i = from; i + 1 < to; i++) {
    if (!isPunct(sql, tokens[i], '(') || keyword(sql, tokens[i + 1]) !== 'SELECT') continue;
    if (!TABLE_LEADERS.has(clauseBefore(sql, tokens, from, i))) continue;
    let depth = 0;
    let close = -1;
    let assigns = false;
    let plain = true;
    for (let j = i + 1; j < to; j++) {
      const t = tokens[j]!;
      if (t.type === TokenType.Semicolon) break;
      if (isPunct(sql, t, '(')) depth++;
      else if (isPunct(sql, t, ')')) {
        if (depth === 0) {
          close = j;
          break;
        }
        depth--;
      } else if (t.type === TokenType.Placeholder) plain = false;
      else if (t.type === TokenType.UserVariable && isAssigned(sql, tokens, j)) assigns = true;
      else if (depth === 0 && j > i + 1 && CLAUSES.has(keyword(sql, t))) plain = false;
    }
    if (close > 0 && assigns && plain) found.push([i + 1, close]);
  }
  return found;
}

/** The nearest clause word before `tokens[at]` at its depth (a `,` between tables keeps FROM). */
function clauseBefore(sql: string, tokens: readonly Token[], from: number, at: number): string {
  let depth = 0;
  for (let j = at - 1; j >= from; j--) {
    const t = tokens[j]!;
    if (isPunct(sql, t, ')')) depth++;
    else if (isPunct(sql, t, '(')) {
      if (depth === 0) return '';
      depth--;
    } else if (depth === 0 && CLAUSES.has(keyword(sql, t))) return keyword(sql, t);
  }
  return '';
}
