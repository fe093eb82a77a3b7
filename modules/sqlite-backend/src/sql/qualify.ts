import { identifierValue, keyword, type Token, TokenType } from './lexer.js';

/**
 * How unqualified table names resolve: in MySQL, in the session's database (`USE x`). SQLite
 * looks in temp, then main, then attached databases, so after `USE shop` the rewriter writes
 * `"shop".t` for them — except for a temporary table of the name, which hides the others in
 * MySQL as well.
 */
export interface NameResolution {
  /** The session's schema; `main` needs nothing (SQLite finds main's tables first). */
  schema: string;
  /** True when a temporary table or view is called `name`. */
  isTemporary(name: string): boolean;
}

const CREATED = new Set(['TABLE', 'VIEW', 'INDEX', 'TRIGGER']);
const SELECTS = new Set(['SELECT', 'DELETE', 'UPDATE']);
/** Words that end a FROM list (its commas no longer separate tables). */
const FROM_ENDS = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'WINDOW',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'ON',
  'USING',
  'SET',
  'RETURNING',
  'VALUES',
  'SELECT',
]);

function isName(token: Token | undefined): token is Token {
  return token !== undefined && (token.type === TokenType.Word || token.type === TokenType.QuotedId);
}

function isPunct(sql: string, token: Token | undefined, c: string): boolean {
  return token !== undefined && token.type === TokenType.Punct && sql[token.start] === c;
}

/**
 * The indices of the tokens in the statement `tokens[from, to)` that name a table without a
 * schema: what a CREATE/DROP/ALTER makes or drops, what INSERT/REPLACE write into, UPDATE
 * changes, and what FROM and JOIN read (not a CTE's name, nor a table-valued function). A
 * trigger's body is left alone: SQLite resolves it in the trigger's own schema.
 */
export function unqualifiedTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { created: number | undefined; references: number[] } {
  const out: number[] = [];
  let created: number | undefined;
  const k0 = keyword(sql, tokens[from]);
  let i = from + 1;
  if (k0 === 'CREATE' || k0 === 'DROP' || k0 === 'ALTER') {
    const k1 = keyword(sql, tokens[i]);
    if (k1 === 'TEMP' || k1 === 'TEMPORARY') return { created, references: out };
    if (k1 === 'UNIQUE') i++;
    const type = keyword(sql, tokens[i]);
    if (!CREATED.has(type) || (k0 === 'ALTER' && type !== 'TABLE')) return { created, references: out };
    i++;
    if (keyword(sql, tokens[i]) === 'IF') i += k0 === 'CREATE' ? 3 : 2;
    if (isName(tokens[i]) && !isPunct(sql, tokens[i + 1], '.')) {
      if (k0 === 'CREATE') created = i;
      else out.push(i);
    }
    // An index's table, and a trigger's, must be named without a schema: it is the index's.
    if (k0 !== 'CREATE' || type === 'INDEX' || type === 'TRIGGER') return { created, references: out };
    i++;
  }
  const ctes = cteNames(sql, tokens, from, to);
  // Per parenthesis depth: a SELECT/DELETE/UPDATE opened a FROM there; a FROM list is open.
  const selecting: boolean[] = [false];
  const listing: boolean[] = [false];
  let depth = 0;
  const take = (at: number, allowParen: boolean) => {
    const t = tokens[at];
    if (!isName(t) || at >= to || isPunct(sql, tokens[at + 1], '.')) return;
    if (!allowParen && isPunct(sql, tokens[at + 1], '(')) return;
    const k = keyword(sql, t);
    if (k === 'DUAL' || k === 'LATERAL' || SELECTS.has(k) || k === 'WITH') return;
    if (ctes.has(identifierValue(sql, t).toLowerCase())) return;
    out.push(at);
  };
  if (k0 === 'UPDATE') take(keyword(sql, tokens[i]) === 'OR' ? i + 2 : i, false);
  for (let j = from; j < to; j++) {
    const t = tokens[j]!;
    if (t.type === TokenType.Punct) {
      const c = sql[t.start];
      if (c === '(') {
        depth++;
        selecting[depth] = false;
        listing[depth] = false;
      } else if (c === ')') {
        if (depth > 0) depth--;
      } else if (c === ',' && listing[depth]) {
        take(j + 1, false);
      }
      continue;
    }
    const k = keyword(sql, t);
    if (SELECTS.has(k)) selecting[depth] = true;
    if (k === 'UPDATE' && isPunct(sql, tokens[j - 1], ')') && depth === 0) {
      // `WITH … UPDATE t`
      take(keyword(sql, tokens[j + 1]) === 'OR' ? j + 3 : j + 1, false);
    } else if (k === 'FROM' && selecting[depth]) {
      listing[depth] = true;
      take(j + 1, false);
    } else if (k === 'JOIN') {
      take(j + 1, false);
    } else if (k === 'INTO') {
      take(j + 1, true);
    } else if (FROM_ENDS.has(k)) {
      listing[depth] = false;
    }
  }
  return { created, references: out };
}

/**
 * The replacements that qualify the unqualified table names of the statement `tokens[from, to)`
 * with the session's schema (see {@link NameResolution}); returns the names qualified.
 */
export function qualifyTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  resolution: NameResolution,
  replace: Map<number, string>,
): Set<string> {
  const qualified = new Set<string>();
  const { created, references } = unqualifiedTables(sql, tokens, from, to);
  const prefix = `"${resolution.schema.replaceAll('"', '""')}".`;
  const qualify = (at: number) => {
    const t = tokens[at]!;
    replace.set(at, prefix + sql.slice(t.start, t.end));
    qualified.add(identifierValue(sql, t).toLowerCase());
  };
  if (created !== undefined) qualify(created);
  for (const at of references) {
    if (replace.has(at) || resolution.isTemporary(identifierValue(sql, tokens[at]!))) continue;
    qualify(at);
  }
  return qualified;
}

/** The names a WITH clause gives: `name [(cols)] AS [[NOT] MATERIALIZED] (`. */
function cteNames(sql: string, tokens: readonly Token[], from: number, to: number): Set<string> {
  const names = new Set<string>();
  for (let j = from; j < to; j++) {
    const t = tokens[j]!;
    if (!isName(t)) continue;
    let k = j + 1;
    if (isPunct(sql, tokens[k], '(')) {
      while (k < to && !isPunct(sql, tokens[k], ')')) k++;
      k++;
    }
    if (keyword(sql, tokens[k]) !== 'AS') continue;
    k++;
    if (keyword(sql, tokens[k]) === 'NOT') k++;
    if (keyword(sql, tokens[k]) === 'MATERIALIZED') k++;
    if (isPunct(sql, tokens[k], '(')) names.add(identifierValue(sql, t).toLowerCase());
  }
  return names;
}
