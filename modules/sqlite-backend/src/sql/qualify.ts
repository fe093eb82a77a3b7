import { noDatabaseSelected } from '../errors.js';
import type { ColumnDefaults } from './insert-defaults.js';
import {
  backquoted,
  closingParen,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
} from './lexer.js';
import type { OnUpdateColumn } from './on-update.js';
import { afterViewClauses } from './view-clauses.js';

/**
 * How unqualified table names resolve: in MySQL, in the session's database (`USE x`) and
 * nowhere else. SQLite looks in temp, then main, then every attached database, so an unqualified
 * name main lacks would reach another database's table (`DROP TABLE t` after `USE main` dropping
 * `shop.t`). So the rewriter writes `` `<schema>`.t `` for every one of them, `main` included (in
 * backticks, which SQLite and MySQL both read as a name: a view's stored text goes back to
 * clients, in SHOW CREATE VIEW and dumps) —
 * except for a temporary table of the name, which hides the others in MySQL as well.
 */
export interface NameResolution {
  /** The session's schema; null when none is selected (unqualified names are then 1046). */
  schema: string | null;
  /** True when a temporary table or view is called `name`. */
  isTemporary(name: string): boolean;
  /**
   * The columns with `ON UPDATE CURRENT_TIMESTAMP` of the table an UPDATE names (its database as
   * written, else the session's): see on-update.ts. Absent: none are added.
   */
  onUpdateColumns?(schema: string | undefined, table: string): readonly OnUpdateColumn[];
  /**
   * The DEFAULT expressions of the columns of a table an INSERT names (its database as written,
   * else the session's), for a `DEFAULT` value in some rows of a multi-row INSERT only (see
   * insert-defaults.ts). Absent: those are left as written.
   */
  columnDefaults?: ColumnDefaults;
  /** The databases (SQLite schemas) there are, for information_schema (default: `main` only). */
  databases?(): readonly string[];
}

const CREATED = new Set(['TABLE', 'VIEW', 'INDEX', 'TRIGGER']);
const SELECTS = new Set(['SELECT', 'DELETE', 'UPDATE']);
/**
 * Words that end a FROM list (its commas no longer separate tables). Not ON and USING: a join's
 * condition may be followed by `, t` (`FROM a JOIN b ON …, c`).
 */
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
  'SET',
  'RETURNING',
  'VALUES',
  'SELECT',
  'WITH',
  'FOR',
  'INTO',
]);
/** Tables of the temp schema SQLite names without one (they are in no session schema). */
const TEMP_CATALOG = new Set(['sqlite_temp_master', 'sqlite_temp_schema']);

/**
 * The indices of the tokens in the statement `tokens[from, to)` that name a table without a
 * schema: what a CREATE/DROP/ALTER makes or drops, what INSERT/REPLACE write into, UPDATE
 * changes, and what FROM and JOIN read, also inside parentheses (`FROM (a JOIN b ON …)`) — not a
 * CTE's name where the WITH defining it is in scope, nor a table-valued function. A trigger's
 * body is left alone: SQLite resolves it in the trigger's own schema. What a CREATE TEMPORARY
 * makes is temp's, but its `AS SELECT` reads the session's tables.
 */
export function unqualifiedTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): { created: number | undefined; createdOn?: number; references: number[] } {
  const out: number[] = [];
  let created: number | undefined;
  const k0 = keyword(sql, tokens[from]);
  // Past a view's ALGORITHM / DEFINER / SQL SECURITY (rewrite drops them).
  let i = k0 === 'CREATE' ? afterViewClauses(sql, tokens, from + 1) : from + 1;
  if (k0 === 'CREATE' || k0 === 'DROP' || k0 === 'ALTER') {
    const k1 = keyword(sql, tokens[i]);
    const temporary = k1 === 'TEMP' || k1 === 'TEMPORARY';
    if (temporary) i++;
    if (keyword(sql, tokens[i]) === 'UNIQUE') i++;
    const type = keyword(sql, tokens[i]);
    if (!CREATED.has(type) || (k0 === 'ALTER' && type !== 'TABLE')) return { created, references: out };
    // A temporary trigger's body is SQLite's to resolve, as a trigger's is.
    if (temporary && (k0 !== 'CREATE' || type === 'TRIGGER')) return { created, references: out };
    i++;
    if (keyword(sql, tokens[i]) === 'IF') i += k0 === 'CREATE' ? 3 : 2;
    if (!temporary && isName(tokens[i]) && !isPunct(sql, tokens[i + 1], '.')) {
      if (k0 === 'CREATE') created = i;
      else out.push(i);
    }
    // An index's table, and a trigger's, must be named without a schema: it is the index's.
    if (k0 === 'CREATE' && (type === 'INDEX' || type === 'TRIGGER')) {
      let on = i + 1;
      while (on < to && keyword(sql, tokens[on]) !== 'ON') on++;
      return { created, createdOn: isName(tokens[on + 1]) ? on + 1 : undefined, references: out };
    }
    if (k0 !== 'CREATE') return { created, references: out };
    i++;
  }
  const ctes = cteScopes(sql, tokens, from, to);
  // Per parenthesis depth: a SELECT/DELETE/UPDATE opened a FROM there; a FROM list is open.
  const selecting: boolean[] = [false];
  const listing: boolean[] = [false];
  let depth = 0;
  // The token where a table may stand: after FROM, JOIN, a FROM list's comma, a table's `(`.
  let expect = -1;
  const take = (at: number, allowParen: boolean) => {
    const t = tokens[at];
    if (!isName(t) || at >= to || isPunct(sql, tokens[at + 1], '.')) return;
    if (!allowParen && isPunct(sql, tokens[at + 1], '(')) return;
    const k = keyword(sql, t);
    if (k === 'DUAL' || k === 'LATERAL' || SELECTS.has(k) || k === 'WITH' || k === 'VALUES') return;
    const name = identifierValue(sql, t).toLowerCase();
    if (TEMP_CATALOG.has(name)) return;
    if (ctes.some((c) => c.name === name && at >= c.from && at < c.to)) return;
    out.push(at);
  };
  if (k0 === 'UPDATE') take(keyword(sql, tokens[i]) === 'OR' ? i + 2 : i, false);
  for (let j = from; j < to; j++) {
    const t = tokens[j]!;
    if (t.type === TokenType.Punct) {
      const c = sql[t.start];
      if (c === '(') {
        // `FROM (a JOIN b ON …)`: the parentheses hold tables (or a subquery, whose SELECT
        // closes the list again).
        const holdsTables = j === expect;
        depth++;
        selecting[depth] = holdsTables;
        listing[depth] = holdsTables;
        if (holdsTables) expect = j + 1;
      } else if (c === ')') {
        if (depth > 0) depth--;
      } else if (c === ',' && listing[depth]) {
        expect = j + 1;
      }
      continue;
    }
    if (j === expect) take(j, false);
    const k = keyword(sql, t);
    if (SELECTS.has(k)) selecting[depth] = true;
    if (k === 'UPDATE' && isPunct(sql, tokens[j - 1], ')') && depth === 0) {
      // `WITH … UPDATE t`
      take(keyword(sql, tokens[j + 1]) === 'OR' ? j + 3 : j + 1, false);
    } else if (k === 'FROM' && selecting[depth] && !isDistinctFrom(sql, tokens, j)) {
      listing[depth] = true;
      expect = j + 1;
    } else if (k === 'JOIN') {
      expect = j + 1;
    } else if (k === 'INTO') {
      listing[depth] = false;
      take(j + 1, true);
    } else if (k === 'ON') {
      // `ON DUPLICATE KEY UPDATE a = 1, b = 2`, `ON CONFLICT … DO UPDATE SET`: no tables.
      const next = keyword(sql, tokens[j + 1]);
      if (next === 'DUPLICATE' || next === 'CONFLICT') listing[depth] = false;
    } else if (FROM_ENDS.has(k)) {
      listing[depth] = false;
    }
  }
  return { created, references: out };
}

/** `IS [NOT] DISTINCT FROM x` at the FROM `tokens[j]`: a comparison, not a FROM clause. */
function isDistinctFrom(sql: string, tokens: readonly Token[], j: number): boolean {
  if (keyword(sql, tokens[j - 1]) !== 'DISTINCT') return false;
  const before = keyword(sql, tokens[j - 2]);
  return before === 'IS' || (before === 'NOT' && keyword(sql, tokens[j - 3]) === 'IS');
}

/**
 * The replacements that qualify the unqualified table names of the statement `tokens[from, to)`
 * with the session's schema (see {@link NameResolution}); returns the names qualified, and puts
 * the way back from each qualified text into `names` (see displayName). With no schema
 * selected, a name that needs one is ERR 1046, as in MySQL.
 */
export function qualifyTables(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  resolution: NameResolution,
  replace: Map<number, string>,
  names?: Map<string, string>,
): Set<string> {
  const qualified = new Set<string>();
  const { created, createdOn, references } = unqualifiedTables(sql, tokens, from, to);
  const schema = resolution.schema;
  const qualify = (at: number) => {
    if (schema === null) throw noDatabaseSelected();
    const t = tokens[at]!;
    const written = sql.slice(t.start, t.end);
    const sent = `${backquoted(schema)}.${written}`;
    replace.set(at, sent);
    // A column named after a subquery is named as the client wrote it (MySQL names it by the
    // text), unless the qualified text could be the client's own.
    if (names !== undefined && !sql.includes(sent)) names.set(sent, written);
    qualified.add(identifierValue(sql, t).toLowerCase());
  };
  // An index or trigger on a temporary table is temp's, as SQLite makes it when unqualified.
  const onTemporary =
    createdOn !== undefined && resolution.isTemporary(identifierValue(sql, tokens[createdOn]!));
  if (created !== undefined && !onTemporary) qualify(created);
  for (const at of references) {
    if (replace.has(at) || resolution.isTemporary(identifierValue(sql, tokens[at]!))) continue;
    qualify(at);
  }
  return qualified;
}

/** A CTE name and the tokens `[from, to)` it is visible in: the query its WITH belongs to. */
interface CteScope {
  name: string;
  from: number;
  to: number;
}

/**
 * The names each WITH clause of `tokens[from, to)` gives (`name [(cols)] AS [[NOT]
 * MATERIALIZED] (…)`, comma-separated), each visible from its WITH to the end of the query the
 * WITH starts: the statement, or the parenthesised subquery it is in. A CTE in a subquery does
 * not hide a table of its name outside the subquery.
 */
function cteScopes(sql: string, tokens: readonly Token[], from: number, to: number): CteScope[] {
  const scopes: CteScope[] = [];
  for (let w = from; w < to; w++) {
    if (keyword(sql, tokens[w]) !== 'WITH') continue;
    let end = w + 1;
    for (let depth = 0; end < to; end++) {
      if (isPunct(sql, tokens[end], '(')) depth++;
      else if (isPunct(sql, tokens[end], ')') && --depth < 0) break;
    }
    let k = w + 1;
    if (keyword(sql, tokens[k]) === 'RECURSIVE') k++;
    for (;;) {
      const t = tokens[k];
      if (!isName(t) || k >= end) break;
      k++;
      if (isPunct(sql, tokens[k], '(')) k = closingParen(sql, tokens, k, end, end) + 1;
      if (keyword(sql, tokens[k]) !== 'AS') break;
      k++;
      if (keyword(sql, tokens[k]) === 'NOT') k++;
      if (keyword(sql, tokens[k]) === 'MATERIALIZED') k++;
      if (!isPunct(sql, tokens[k], '(')) break;
      scopes.push({ name: identifierValue(sql, t).toLowerCase(), from: w, to: end });
      k = closingParen(sql, tokens, k, end, end) + 1;
      if (!isPunct(sql, tokens[k], ',')) break;
      k++;
    }
  }
  return scopes;
}
