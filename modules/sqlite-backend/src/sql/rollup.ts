import { MysqlError, notSupported } from '../errors.js';
import { isBareAlias } from './assignment.js';
import {
  closingParen,
  identifierValue,
  isName,
  isPunct,
  keyword,
  type Token,
  TokenType,
  topLevelList,
} from './lexer.js';

/** Calls whose arguments are read over the group's rows: a group column inside keeps its values. */
const AGGREGATES = new Set([
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'GROUP_CONCAT',
  'BIT_AND',
  'BIT_OR',
  'BIT_XOR',
  'STD',
  'STDDEV',
  'STDDEV_POP',
  'STDDEV_SAMP',
  'VARIANCE',
  'VAR_POP',
  'VAR_SAMP',
  'JSON_ARRAYAGG',
  'JSON_OBJECTAGG',
]);

/** Clauses after which a ROLLUP statement has nothing this rewrite knows how to keep. */
const UNSUPPORTED_AFTER = new Set([
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'INTO',
  'FOR',
  'LOCK',
  'PROCEDURE',
]);

/** A select list item: its expression `[from, to)` and the name its column gets. */
interface Item {
  from: number;
  to: number;
  name: string;
  /** Lower-cased alias, when it has one. */
  alias?: string;
}

/** A GROUP BY entry: the expression `[from, to)` it groups by, its direction and its tokens' key. */
interface GroupEntry {
  from: number;
  to: number;
  desc: boolean;
  key: string[];
}

/** Whether the statement `tokens[start, end)` says WITH ROLLUP anywhere. */
export function mentionsRollup(sql: string, tokens: readonly Token[], start: number, end: number): boolean {
  for (let i = start + 1; i < end; i++)
    if (keyword(sql, tokens[i]) === 'ROLLUP' && keyword(sql, tokens[i - 1]) === 'WITH') return true;
  return false;
}

function refuse(form: string): MysqlError {
  return notSupported(`${form} with GROUP BY … WITH ROLLUP`);
}

function tokenKey(sql: string, t: Token): string {
  if (t.type === TokenType.Word) return sql.slice(t.start, t.end).toLowerCase();
  if (t.type === TokenType.QuotedId) return identifierValue(sql, t).toLowerCase();
  return sql.slice(t.start, t.end);
}

/**
 * Rewrites the SELECT `tokens[start, end)` with GROUP BY … WITH ROLLUP, which SQLite lacks, into
 * a UNION ALL of its groupings — all the GROUP BY entries, then each shorter prefix down to none
 * (the grand total) — where the select list and HAVING see NULL for an entry rolled up, outside
 * aggregates, as MariaDB's super-aggregate rows do. The union is ordered as MariaDB answers: by
 * the entries (in their ASC/DESC), each group's subtotal after its rows, the grand total last;
 * then the LIMIT. `text(a, b)` is the SQLite text of `tokens[a, b)` after the other rewrites;
 * Returns the statement's new text, or refuses (1235) a form it cannot answer as MariaDB does.
 */
export function rewriteRollup(
  sql: string,
  tokens: readonly Token[],
  start: number,
  end: number,
  text: (a: number, b: number) => string,
): string {
  if (keyword(sql, tokens[start]) !== 'SELECT') throw refuse('a statement other than SELECT');
  const clause = new Map<string, number>();
  let depth = 0;
  for (let j = start + 1; j < end; j++) {
    const t = tokens[j]!;
    if (t.type === TokenType.Placeholder) throw refuse('a placeholder');
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    const k = keyword(sql, t);
    if (k === 'ROLLUP' && depth > 0) throw refuse('a subquery');
    if (depth > 0) continue;
    if (UNSUPPORTED_AFTER.has(k)) throw refuse(k);
    if (k === 'DISTINCT' || k === 'DISTINCTROW') throw refuse('SELECT DISTINCT');
    if (k === 'OVER') throw refuse('a window function');
    if (['FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT'].includes(k) && !clause.has(k))
      clause.set(k, j);
    if (k === 'ROLLUP') clause.set('ROLLUP', j);
  }
  const from = clause.get('FROM');
  const group = clause.get('GROUP');
  const rollup = clause.get('ROLLUP');
  if (clause.has('ORDER')) throw new MysqlError(1221, 'Incorrect usage of CUBE/ROLLUP and ORDER BY', 'HY000');
  if (from === undefined || group === undefined || rollup === undefined || rollup < group)
    throw refuse('this form');
  const having = clause.get('HAVING');
  const limit = clause.get('LIMIT');
  if (having !== undefined && having < rollup) throw refuse('this form');
  if (limit !== undefined && limit < rollup) throw refuse('this form');
  const afterRollup = rollup + 1;
  const havingEnd = limit ?? end;
  if (having === undefined && afterRollup !== havingEnd) throw refuse('this form');

  const items: Item[] = topLevelList(sql, tokens, start + 1, from).map(([a, b]) => {
    let to = b;
    let alias: Token | undefined;
    if (b - a >= 3 && keyword(sql, tokens[b - 2]) === 'AS') {
      alias = tokens[b - 1];
      to = b - 2;
    } else if (b - a >= 2 && isBareAlias(sql, tokens[b - 2], tokens[b - 1]!)) {
      alias = tokens[b - 1];
      to = b - 1;
    }
    if (to - a === 1 && isPunct(sql, tokens[a], '*')) throw refuse('SELECT *');
    if (isPunct(sql, tokens[to - 1], '*') && isPunct(sql, tokens[to - 2], '.')) throw refuse('SELECT t.*');
    // MariaDB names a column read through its table's name by the column alone.
    const qualifiedColumn =
      to - a === 3 && isPunct(sql, tokens[a + 1], '.') && isName(tokens[a]) && isName(tokens[a + 2]);
    const name =
      alias === undefined
        ? qualifiedColumn
          ? identifierValue(sql, tokens[a + 2]!)
          : sql.slice(tokens[a]!.start, tokens[to - 1]!.end)
        : alias.type === TokenType.String
          ? sql.slice(alias.start + 1, alias.end - 1)
          : identifierValue(sql, alias);
    return { from: a, to, name, alias: alias === undefined ? undefined : name.toLowerCase() };
  });
  const aliases = items.flatMap((x) => (x.alias === undefined ? [] : [x.alias]));
  if (new Set(aliases).size !== aliases.length) throw refuse('two columns of one alias');

  const entries: GroupEntry[] = topLevelList(sql, tokens, group + 2, rollup - 1).map(([a, b]) => {
    let to = b;
    const dir = keyword(sql, tokens[b - 1]);
    if (dir === 'ASC' || dir === 'DESC') to--;
    if (to <= a) throw refuse('this form');
    let range: [number, number] = [a, to];
    const only = tokens[a]!;
    if (to - a === 1 && only.type === TokenType.Word && /^\d+$/.test(sql.slice(only.start, only.end))) {
      const item = items[Number(sql.slice(only.start, only.end)) - 1];
      if (item === undefined) throw refuse('a GROUP BY position out of the select list');
      range = [item.from, item.to];
    } else if (to - a === 1) {
      const item = items.find((x) => x.alias === tokenKey(sql, only));
      if (item !== undefined) range = [item.from, item.to];
    }
    const key: string[] = [];
    for (let j = range[0]; j < range[1]; j++) key.push(tokenKey(sql, tokens[j]!));
    return { from: range[0], to: range[1], desc: dir === 'DESC', key };
  });
  // A grouped column's name: written otherwise elsewhere (`p.user_id` for `user_id`) it would
  // not be seen as the entry, and keep its value where MariaDB's is NULL.
  const groupedNames = new Set(
    entries.flatMap((e) => {
      const last = e.key.at(-1)!;
      return e.key.length === 1 || (e.key.length === 3 && e.key[1] === '.') ? [last] : [];
    }),
  );

  /** `[a, b)` for the branch keeping the first `kept` entries: rolled-up ones NULL. */
  const branchText = (a: number, b: number, kept: number): string => {
    let out = '';
    let from = a;
    const flush = (to: number) => {
      if (to > from) out += `${out === '' ? '' : ' '}${text(from, to)}`;
    };
    for (let j = a; j < b; ) {
      const t = tokens[j]!;
      if (AGGREGATES.has(keyword(sql, t)) && isPunct(sql, tokens[j + 1], '(')) {
        j = closingParen(sql, tokens, j + 1, b, b) + 1;
        continue;
      }
      const at = matchEntry(sql, tokens, entries, j, b);
      if (at !== undefined) {
        const e = entries[at]!;
        const to = j + (sameColumn(sql, tokens, e.key, j, b) || e.key.length);
        if (at >= kept) {
          // Another rewrite may have made the entry part of a larger text (`qty DIV 2` a call
          // around `qty`): cut out, that text would lose its other parts.
          const own = text(j, to);
          if (own === '' || own.split('(').length !== own.split(')').length)
            throw refuse('a grouped expression inside this operation');
          flush(j);
          out += `${out === '' ? '' : ' '}NULL`;
          from = to;
        }
        j = to;
        continue;
      }
      if (
        (t.type === TokenType.Word || t.type === TokenType.QuotedId) &&
        !isPunct(sql, tokens[j + 1], '(') &&
        groupedNames.has(tokenKey(sql, t))
      )
        throw refuse('a grouped column written otherwise than in the GROUP BY');
      j++;
    }
    flush(b);
    return out;
  };

  const n = entries.length;
  const fromText = text(from, group);
  const branches: string[] = [];
  // The fullest grouping last: SQLite types a compound's columns after its last SELECT, whose
  // columns are then the table's own (a DECIMAL's scale kept) rather than NULL.
  for (let kept = 0; kept <= n; kept++) {
    const columns = items.map((x, i) => `${branchText(x.from, x.to, kept)} AS ${hidden(x, i)}`);
    entries.forEach((e, i) => {
      columns.push(`${i < kept ? text(e.from, e.to) : 'NULL'} AS __rollup_g${i + 1}`);
    });
    columns.push(`${kept} AS __rollup_level`);
    // Grouped by a constant, the grand total has no row when no row matched, as in MariaDB.
    const groupBy =
      kept === 0
        ? "''"
        : entries
            .slice(0, kept)
            .map((e) => text(e.from, e.to))
            .join(', ');
    const havingText = having === undefined ? '' : ` HAVING ${branchText(having + 1, havingEnd, kept)}`;
    branches.push(`SELECT ${columns.join(', ')} ${fromText} GROUP BY ${groupBy}${havingText}`);
  }
  const order = entries.flatMap((e, i) => [
    `__rollup_level < ${i + 1}`,
    `__rollup_g${i + 1}${e.desc ? ' DESC' : ''}`,
  ]);
  const outer = items.map((x, i) => `${hidden(x, i)} AS ${quoted(x.name)}`);
  const limitText = limit === undefined ? '' : ` ${text(limit, end)}`;
  return `SELECT ${outer.join(', ')} FROM (${branches.join(' UNION ALL ')}) ORDER BY ${order.join(', ')}${limitText}`;
}

/** A branch's name for an item: its alias, so HAVING can read it, else a name of ours. */
function hidden(item: Item, i: number): string {
  return item.alias === undefined ? `__rollup_c${i + 1}` : quoted(item.name);
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The entry whose tokens start at `tokens[j]` (the longest), if any. */
function matchEntry(
  sql: string,
  tokens: readonly Token[],
  entries: readonly GroupEntry[],
  j: number,
  to: number,
): number | undefined {
  let best: number | undefined;
  entries.forEach((e, i) => {
    if (best !== undefined && entries[best]!.key.length >= e.key.length) return;
    // A qualified name's last part alone is no match (`p.user_id` is not `user_id` at `user_id`).
    if (j > 0 && isPunct(sql, tokens[j - 1], '.')) return;
    const length = sameColumn(sql, tokens, e.key, j, to);
    if (length > 0) {
      best = i;
      return;
    }
    if (j + e.key.length > to) return;
    for (let k = 0; k < e.key.length; k++) if (tokenKey(sql, tokens[j + k]!) !== e.key[k]) return;
    if (isPunct(sql, tokens[j + e.key.length], '.') || isPunct(sql, tokens[j + e.key.length], '(')) return;
    best = i;
  });
  return best;
}

/**
 * The tokens the column reference at `tokens[j]` takes when it names the column `key` names —
 * `user_id` and `p.user_id` one column, since MariaDB refuses an unqualified name two tables
 * share (1052) — or 0.
 */
function sameColumn(
  sql: string,
  tokens: readonly Token[],
  key: readonly string[],
  j: number,
  to: number,
): number {
  const entry = columnRef(key);
  if (entry === undefined) return 0;
  const qualified = j + 2 < to && isPunct(sql, tokens[j + 1], '.');
  const length = qualified ? 3 : 1;
  const after = tokens[j + length];
  if (isPunct(sql, after, '.') || isPunct(sql, after, '(')) return 0;
  const here = [tokens[j]!, tokens[j + 1]!, tokens[j + 2]!].slice(0, length);
  if (here.some((t, k) => (k === 1 ? false : t.type !== TokenType.Word && t.type !== TokenType.QuotedId)))
    return 0;
  const name = tokenKey(sql, here.at(-1)!);
  const qualifier = qualified ? tokenKey(sql, here[0]!) : undefined;
  if (name !== entry.name) return 0;
  if (qualifier !== undefined && entry.qualifier !== undefined && qualifier !== entry.qualifier) return 0;
  return length;
}

/** A GROUP BY entry's column, when it is a column reference, bare or qualified by its table. */
function columnRef(key: readonly string[]): { name: string; qualifier?: string } | undefined {
  if (key.length === 1 && /^[a-z_$\u0080-\uffff]/.test(key[0]!)) return { name: key[0]! };
  if (key.length === 3 && key[1] === '.') return { name: key[2]!, qualifier: key[0]! };
  return undefined;
}
