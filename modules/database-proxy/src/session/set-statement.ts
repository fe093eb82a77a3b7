import type { DoubleByteCharset } from './double-byte.js';
import { blankLiteralsAndComments } from './statement-traits.js';

/**
 * The variables MariaDB's `SET STATEMENT name = value [, …] FOR statement` gives a value for
 * that one statement. The server puts them back after it, but its session tracker may still
 * report the statement's value in the OK (it does for sql_select_limit, max_statement_time,
 * lock_wait_timeout…): taken as a change, that value would be replayed for the client on its
 * next backend and recorded for the connection it left.
 */
export interface StatementScopedVariables {
  /** Lower-case names, without `@@` or a scope. */
  readonly names: ReadonlySet<string>;
  /** The text is that one statement: a report of one of `names` is only the statement's value. */
  readonly alone: boolean;
  /** Where the statement after `FOR` starts in the text, when the text is that one statement. */
  readonly statementAt: number | undefined;
}

const SET_STATEMENT = /\s*SET\s+STATEMENT\s/iy;
const FOR_OR_PAREN = /[()]|\bFOR\b/gi;

/**
 * The variables the `SET STATEMENT … FOR` statements of `sql` set for their statement only;
 * undefined when none of its statements is one.
 */
export function statementScopedVariables(
  sql: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): StatementScopedVariables | undefined {
  const blanked = blankLiteralsAndComments(sql, noBackslashEscapes, doubleByte);
  const names = new Set<string>();
  let statements = 0;
  let statementAt: number | undefined;
  for (let start = 0; start < blanked.length; ) {
    const semicolon = blanked.indexOf(';', start);
    const end = semicolon < 0 ? blanked.length : semicolon;
    if (blanked.slice(start, end).trim() !== '') statements++;
    SET_STATEMENT.lastIndex = start;
    if (SET_STATEMENT.exec(blanked) !== null) {
      const list = SET_STATEMENT.lastIndex;
      const forAt = topLevelFor(blanked, list, end);
      if (forAt < end) statementAt = forAt + 3;
      for (const [from, to] of topLevelItems(blanked, list, forAt)) {
        const eq = blanked.indexOf('=', from);
        if (eq < 0 || eq >= to) continue;
        names.add(variableName(nameText(sql, blanked, from, eq)));
      }
    }
    start = end + 1;
  }
  if (names.size === 0) return undefined;
  const alone = statements === 1;
  return { names, alone, statementAt: alone ? statementAt : undefined };
}

/** Where the `FOR` outside parentheses is in blanked[from, end); `end` if none. */
function topLevelFor(blanked: string, from: number, end: number): number {
  let depth = 0;
  FOR_OR_PAREN.lastIndex = from;
  for (let m = FOR_OR_PAREN.exec(blanked); m !== null && m.index < end; m = FOR_OR_PAREN.exec(blanked)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    else if (depth === 0) return m.index;
  }
  return end;
}

/** The [from, to) ranges of blanked[from, end) between commas outside parentheses. */
function topLevelItems(blanked: string, from: number, end: number): [number, number][] {
  const items: [number, number][] = [];
  let depth = 0;
  let itemStart = from;
  for (let i = from; i < end; i++) {
    const c = blanked.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */) depth--;
    else if (c === 44 /* , */ && depth === 0) {
      items.push([itemStart, i]);
      itemStart = i + 1;
    }
  }
  items.push([itemStart, end]);
  return items;
}

/**
 * The text of sql[from, to) without its comments (blanks in `blanked`), a backquoted part read
 * from `sql` itself (whose contents `blanked` blanks too).
 */
function nameText(sql: string, blanked: string, from: number, to: number): string {
  let name = '';
  let quoted = false;
  for (let i = from; i < to; i++) {
    const c = blanked[i]!;
    if (c === '`') quoted = !quoted;
    else if (quoted) name += sql[i];
    else if (c.trim() !== '') name += c;
  }
  return name;
}

/** `@@session.Name` (backquotes already gone) → `name`. */
function variableName(text: string): string {
  return text
    .trim()
    .replace(/^@@/, '')
    .replace(/^(?:session|local)\./i, '')
    .toLowerCase();
}
