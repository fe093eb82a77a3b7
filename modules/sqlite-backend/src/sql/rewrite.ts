import { assignedUpTo, isAssigned } from './assignment.js';
import { aliasedCastTypes } from './cast.js';
import { refuseColumnPlacement } from './column-placement.js';
import {
  type AutoIncrementStart,
  checkDecimalTypes,
  createdName,
  rewriteAddedColumn,
  rewriteCreateTable,
  type TableIndex,
} from './create-table.js';
import { rewriteEmptyInsert } from './empty-insert.js';
import { rewriteFunctionSyntax } from './function-syntax.js';
import { createIndexText, indexDdl } from './index-ddl.js';
import { rewriteInformationSchema } from './information-schema.js';
import { dropDefaultValues } from './insert-defaults.js';
import { finishUpsert, rewriteInsertForms, type UpsertAssignments } from './insert-forms.js';
import { rewriteJsonComparisons } from './json-comparison.js';
import { rewriteJsonBooleans } from './json-literals.js';
import { identifierValue, keyword, stringValue, type Token, TokenType } from './lexer.js';
import { addLikeEscapes } from './like-escape.js';
import { rewriteMultiplicative } from './multiplicative.js';
import { addOnUpdateAssignments, updateTarget } from './on-update.js';
import { quotePostfixNullName } from './postfix-null-names.js';
import { type NameResolution, qualifyTables } from './qualify.js';
import { REAL_DIVISION } from './real-division.js';
import { mentionsRollup, rewriteRollup } from './rollup.js';
import { rewriteUpdateLimit } from './update-limit.js';
import { rewriteSetTargets } from './update-set.js';
import { afterViewClauses } from './view-clauses.js';

/** MySQL text turned into SQLite text, with the way back for column names. */
export interface Rewritten {
  /** The SQLite text. */
  text: string;
  /** Where token `i` (relative to the range rewritten) starts in {@link text}. */
  offsets: Int32Array;
  /**
   * Expressions we replaced, SQLite text → what the client wrote, so a column named after an
   * expression (`SELECT @@version`) gets the name MySQL would give it. Longest SQLite text first,
   * the order displayName (engine/column-types.ts) applies them in.
   */
  names: Map<string, string>;
  /** 1 for tokens rewritten to nothing (they do not count as part of the next statement). */
  dropped: Uint8Array;
  /** A CREATE TABLE's `KEY`/`INDEX`/`UNIQUE` entries: SQLite's CREATE INDEXes to run after it. */
  indexes?: string[];
  /** A CREATE TABLE's `AUTO_INCREMENT=n`: to set once the table exists. */
  autoIncrementStart?: AutoIncrementStart;
  /**
   * Aliases of select-list items that are a whole CAST (`CAST(x AS DATE) AS d`) → the MySQL type
   * to describe their column with (sql/cast.ts).
   */
  castTypes?: Map<string, string>;
  /** The table names (lower-cased) written qualified with the session's schema. */
  qualified?: Set<string>;
}

/** Words some function-syntax rewrite starts from (see function-syntax.ts). */
const FUNCTION_SYNTAX_WORDS =
  /\b(?:ISNULL|INTERVAL|TIMESTAMPDIFF|TIMESTAMPADD|EXTRACT|CAST|CONVERT|RLIKE|GROUP_CONCAT|POSITION|TRIM|SUBSTR(?:ING)?|CURRENT_(?:USER|TIMESTAMP|TIME|DATE)|LOCALTIME(?:STAMP)?|UTC_(?:DATE|TIME|TIMESTAMP))\b/i;

/** Words between INSERT / REPLACE and the INTO MySQL lets them leave out. */
const INSERT_HINTS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE']);

/**
 * Hints about scheduling and buffering that change no result (`SELECT HIGH_PRIORITY …`, as the
 * MariaDB primer writes it; `INSERT DELAYED`, `UPDATE LOW_PRIORITY`). MySQL reserves each, so
 * unquoted it is never a name.
 */
const SCHEDULING_HINTS = new Set([
  'HIGH_PRIORITY',
  'LOW_PRIORITY',
  'DELAYED',
  'SQL_SMALL_RESULT',
  'SQL_BIG_RESULT',
]);

/** `'text'` as SQLite writes it; NUL characters (not allowed in SQL text) become char(0). */
export function sqliteString(value: string): string {
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\0') ? `(${quoted.replaceAll('\0', "'||char(0)||'")})` : quoted;
}

/** The lower-cased name of a `@@[scope.]name` token, scope kept (`session.sql_mode`). */
export function systemVariableName(sql: string, token: Token): string {
  return sql.slice(token.start + 2, token.end).toLowerCase();
}

/** The name of a `@name` token. */
export function userVariableName(sql: string, token: Token): string {
  const q = sql[token.start + 1];
  if (q === "'" || q === '"' || q === '`') return identifierValue(sql, { ...token, start: token.start + 1 });
  return sql.slice(token.start + 1, token.end);
}

/**
 * Rewrites the MySQL statements in `tokens[from, to)` into SQLite's dialect: string literals
 * with backslash escapes, `@@system` and `@user` variables (as calls of functions the database
 * registers), `FROM DUAL`, `INSERT IGNORE`, `FOR UPDATE`, `SQL_CALC_FOUND_ROWS`, the MySQL
 * parts of `CREATE TABLE` (`AUTO_INCREMENT`, character sets, collations, comments, table options),
 * and the special syntax of some functions' arguments (`INTERVAL 1 DAY`, `EXTRACT(YEAR FROM d)`).
 */
export function rewrite(
  sql: string,
  tokens: readonly Token[],
  from = 0,
  to = tokens.length,
  resolution?: NameResolution,
): Rewritten {
  const replace = new Map<number, string>();
  // The rewrites below read every token; one look at the text spares them for most statements.
  const text = sql.slice(tokens[from]?.start ?? 0, tokens[to - 1]?.end ?? 0);
  const mentions = {
    defaults: /\bDEFAULT\b/i.test(text),
    informationSchema: /information_schema/i.test(text),
    functionSyntax: FUNCTION_SYNTAX_WORDS.test(text),
    rollup: /\bROLLUP\b/i.test(text),
    multiplicative: /%|\b(?:DIV|MOD)\b/i.test(text),
    jsonExtract: /\bJSON_EXTRACT\b/i.test(text),
    jsonBooleans: /\bJSON_/i.test(text) && /\b(?:TRUE|FALSE)\b/i.test(text),
    like: /\bLIKE\b/i.test(text),
  };
  const names = new Map<string, string>();
  const qualified =
    resolution === undefined ? undefined : qualifyTables(sql, tokens, from, to, resolution, replace, names);
  let statementStart = from;
  let autoIncrementStart: AutoIncrementStart | undefined;
  let tableIndexes: string[] | undefined;
  // UPDATE / DELETE statements `[start, end)`: their ORDER BY / LIMIT is rewritten last, around
  // whatever the other rewrites made of their tokens.
  const limitable: [number, number][] = [];
  // UPDATE statements `[start, end)`: their table's ON UPDATE columns are assigned last.
  const updates: [number, number][] = [];
  /** Table names of INSERT / REPLACE statements written without INTO (MySQL's is optional). */
  const withoutInto: number[] = [];
  // `@v := expr` inside a statement: the variable's token and the expression's last.
  const assignments: [number, number][] = [];
  // A CREATE VIEW's ALGORITHM / DEFINER / SQL SECURITY tokens `(statementStart, viewClausesEnd)`:
  // gone, and left alone by the rewrites below (a DEFINER's `@'host'` is no user variable).
  let viewClausesEnd = -1;
  const upserts: UpsertAssignments[] = [];
  // SELECTs with GROUP BY … WITH ROLLUP `[start, end)`: rewritten whole, last.
  const rollups: [number, number][] = [];
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) {
      statementStart = i + 1;
      continue;
    }
    if (i > statementStart && i < viewClausesEnd) continue;
    if (i === statementStart) {
      const end = nextSemicolonIndex(tokens, i, to);
      const index = indexDdl(sql, tokens, i, end, resolution?.schema ?? null, (name) =>
        resolution === undefined ? false : resolution.isTemporary(name),
      );
      if (index !== undefined) {
        // The whole statement is the index DDL's; nothing of its own text stays.
        replace.set(i, index);
        for (let j = i + 1; j < end; j++) replace.set(j, '');
        i = end - 1;
        continue;
      }
      if (mentions.defaults) dropDefaultValues(sql, tokens, i, end, replace, resolution?.columnDefaults);
      if (mentions.rollup && mentionsRollup(sql, tokens, i, end)) rollups.push([i, end]);
      const k0 = keyword(sql, t);
      const k1 = keyword(sql, tokens[i + 1]);
      const k2 = keyword(sql, tokens[i + 2]);
      if (k0 === 'INSERT' || k0 === 'REPLACE') {
        rewriteEmptyInsert(sql, tokens, i, end, replace);
        const upsert = rewriteInsertForms(sql, tokens, i, end, replace);
        if (upsert !== undefined) upserts.push(upsert);
        let j = i + 1;
        while (j < end && INSERT_HINTS.has(keyword(sql, tokens[j]))) j++;
        const named = tokens[j];
        if (
          j < end &&
          (named?.type === TokenType.Word || named?.type === TokenType.QuotedId) &&
          keyword(sql, named) !== 'INTO'
        )
          withoutInto.push(j);
      }
      if (k0 === 'CREATE') {
        viewClausesEnd = afterViewClauses(sql, tokens, i + 1);
        for (let j = i + 1; j < viewClausesEnd; j++) replace.set(j, '');
      }
      // Read for UPDATE / DELETE alone: looked for in their text, not in every statement's (a
      // dump's INSERT may be megabytes).
      if (
        (k0 === 'UPDATE' || k0 === 'DELETE') &&
        /\b(?:LIMIT|ORDER)\b/i.test(sql.slice(t.start, tokens[end - 1]!.end))
      )
        limitable.push([i, end]);
      if (k0 === 'UPDATE') rewriteSetTargets(sql, tokens, i, end, resolution?.schema, replace);
      if (k0 === 'UPDATE' && resolution?.onUpdateColumns !== undefined) updates.push([i, end]);
      if (k0 === 'CREATE' && (k1 === 'TABLE' || (k2 === 'TABLE' && (k1 === 'TEMPORARY' || k1 === 'TEMP')))) {
        checkDecimalTypes(sql, tokens, i, end);
        const indexes: TableIndex[] = [];
        autoIncrementStart = rewriteCreateTable(sql, tokens, i, to, replace, indexes);
        if (indexes.length > 0) {
          const created = createdName(sql, tokens, i);
          const schema = created.schema ?? resolution?.schema;
          tableIndexes = indexes.map((x) =>
            createIndexText(schema, created.table, x.name, x.unique, x.columns),
          );
        }
      } else if (k0 === 'ALTER' && k1 === 'TABLE') {
        checkDecimalTypes(sql, tokens, i, end);
        refuseColumnPlacement(sql, tokens, i, end);
        rewriteAddedColumn(sql, tokens, i, end, replace);
      }
    }
    switch (t.type) {
      case TokenType.String: {
        const raw = sql.slice(t.start, t.end);
        if (raw[0] === '"' || raw.includes('\\')) replace.set(i, sqliteString(stringValue(sql, t)));
        break;
      }
      case TokenType.SystemVariable: {
        const text = `__sysvar('${systemVariableName(sql, t).replaceAll("'", "''")}')`;
        replace.set(i, text);
        names.set(text, sql.slice(t.start, t.end));
        break;
      }
      case TokenType.UserVariable: {
        if (isAssigned(sql, tokens, i)) {
          const last = assignedUpTo(sql, tokens, i, to);
          if (last >= 0) assignments.push([i, last]);
        }
        const text = `__uservar(${sqliteString(userVariableName(sql, t))})`;
        replace.set(i, text);
        names.set(text, sql.slice(t.start, t.end));
        break;
      }
      case TokenType.Punct:
        // MySQL's `/` never divides whole numbers as such (7/2 is 3.5000); SQLite's does (3).
        // `a*1e0/b` has the same parse (`*` and `/` bind alike, from the left) with a real left
        // side; a column named after the expression gets back the client's text.
        // (displayName turns it back in every column name, after the rewritten calls' names.)
        if (sql.charCodeAt(t.start) === 0x2f) replace.set(i, REAL_DIVISION);
        break;
      case TokenType.Word: {
        const k = keyword(sql, t);
        const prev = keyword(sql, tokens[i - 1]);
        if (k === 'ISNULL' || k === 'NOTNULL') quotePostfixNullName(sql, tokens, i, replace, names);
        else if (k === 'DUAL' && prev === 'FROM') {
          replace.set(i - 1, '');
          replace.set(i, '');
        } else if (
          k === 'IGNORE' &&
          (prev === 'INSERT' || (SCHEDULING_HINTS.has(prev) && keyword(sql, tokens[i - 2]) === 'INSERT'))
        ) {
          replace.set(i, 'OR IGNORE');
        } else if (
          k === 'SQL_CALC_FOUND_ROWS' ||
          k === 'SQL_NO_CACHE' ||
          k === 'SQL_CACHE' ||
          (SCHEDULING_HINTS.has(k) && sql[t.start - 1] !== '.')
        ) {
          replace.set(i, '');
        } else if ((k === 'UPDATE' || k === 'SHARE') && prev === 'FOR' && atStatementEnd(tokens, i + 1, to)) {
          // Transactions are serialised, so the rows are locked already.
          replace.set(i - 1, '');
          replace.set(i, '');
        } else if (k === 'MODE' && prev === 'SHARE' && atStatementEnd(tokens, i + 1, to)) {
          for (let j = i - 3; j <= i; j++) replace.set(j, '');
        }
        break;
      }
    }
  }
  if (mentions.informationSchema)
    rewriteInformationSchema(sql, tokens, from, to, replace, () => resolution?.databases?.() ?? ['main']);
  const calls = mentions.functionSyntax ? rewriteFunctionSyntax(sql, tokens, from, to, replace) : [];
  if (mentions.multiplicative) calls.push(...rewriteMultiplicative(sql, tokens, from, to, replace));
  if (mentions.jsonExtract) calls.push(...rewriteJsonComparisons(sql, tokens, from, to, replace));
  if (mentions.jsonBooleans) calls.push(...rewriteJsonBooleans(sql, tokens, from, to, replace));
  if (mentions.like) calls.push(...addLikeEscapes(sql, tokens, from, to, replace));
  // Around what the other rewrites made of the expression: `__setuservar('v', expr)`, which sets
  // the session's variable and gives the value, as MySQL's `:=` does. Named as written.
  for (const [at, last] of assignments) {
    replace.set(at, `__setuservar(${sqliteString(userVariableName(sql, tokens[at]!))}, `);
    replace.set(at + 1, '');
    replace.set(at + 2, '');
    replace.set(last, `${replace.get(last) ?? sql.slice(tokens[last]!.start, tokens[last]!.end)})`);
    calls.push([at, last]);
  }
  for (const [start, end] of limitable) rewriteUpdateLimit(sql, tokens, start, end, replace);
  for (const j of withoutInto)
    replace.set(j, `INTO ${replace.get(j) ?? sql.slice(tokens[j]!.start, tokens[j]!.end)}`);
  for (const u of upserts)
    finishUpsert(
      sql,
      tokens,
      u,
      replace,
      (a, b) => emit(sql, tokens, a, b, replace, names).text,
      resolution?.onUpdateColumns?.(u.schema, u.table),
    );
  for (const [a, b] of updates) {
    const target = updateTarget(sql, tokens, a, b);
    const columns = target === undefined ? [] : resolution!.onUpdateColumns!(target.schema, target.table);
    if (target !== undefined && columns.length > 0)
      addOnUpdateAssignments(
        sql,
        tokens,
        target,
        columns,
        replace,
        (x, y) => emit(sql, tokens, x, y, replace, names).text,
      );
  }
  for (const [a, b] of rollups) {
    const whole = rewriteRollup(sql, tokens, a, b, (x, y) => emit(sql, tokens, x, y, replace, names).text);
    replace.set(a, whole);
    for (let j = a + 1; j < b; j++) replace.set(j, '');
  }
  const out = emit(sql, tokens, from, to, replace, names);
  for (const [first, last] of calls) {
    // A column named after a rewritten call is named as the client wrote it, as in MySQL.
    const written = sql.slice(tokens[first]!.start, tokens[last]!.end);
    const sent = out.text.slice(out.offsets[first - from], out.offsets[last + 1 - from]).trimEnd();
    // Only where the sent text cannot be mistaken for something the client wrote itself.
    if (sent !== written && !sql.includes(sent)) names.set(sent, written);
  }
  if (autoIncrementStart !== undefined) {
    if (autoIncrementStart.schema === undefined && qualified?.has(autoIncrementStart.table.toLowerCase()))
      autoIncrementStart.schema = resolution!.schema ?? undefined;
    out.autoIncrementStart = autoIncrementStart;
  }
  if (qualified !== undefined && qualified.size > 0) out.qualified = qualified;
  const castTypes = aliasedCastTypes(sql, tokens, calls, replace);
  if (castTypes.size > 0) out.castTypes = castTypes;
  if (tableIndexes !== undefined) out.indexes = tableIndexes;
  // Longest first, ordered once here rather than for every column of every execution: a column
  // name holding a rewritten text inside another (a call in a call, `@v := @v + 1`) is matched
  // whole before its parts.
  if (names.size > 1) {
    const longestFirst = [...names].sort((a, b) => b[0].length - a[0].length);
    names.clear();
    for (const [sent, written] of longestFirst) names.set(sent, written);
  }
  return out;
}

function nextSemicolonIndex(tokens: readonly Token[], i: number, to: number): number {
  while (i < to && tokens[i]!.type !== TokenType.Semicolon) i++;
  return i;
}

function atStatementEnd(tokens: readonly Token[], i: number, to: number): boolean {
  return i >= to || tokens[i]!.type === TokenType.Semicolon;
}

function emit(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
  names: Map<string, string>,
): Rewritten {
  const offsets = new Int32Array(to - from + 1);
  const dropped = new Uint8Array(to - from + 1);
  let text = '';
  let prevEnd = from < to ? tokens[from]!.start : 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    const r = replace.get(i);
    if (r === '') {
      dropped[i - from] = 1;
      offsets[i - from] = text.length;
      continue;
    }
    const closes = t.type === TokenType.Punct && (sql[t.start] === ',' || sql[t.start] === ')');
    if (t.start > prevEnd && text !== '' && !(closes && dropped[i - from - 1] === 1)) {
      const gap = sql.slice(prevEnd, t.start);
      // Comments go (SQLite knows no `#`); plain whitespace stays so expression names match.
      text += gap.trim() === '' ? gap : ' ';
    }
    offsets[i - from] = text.length;
    text += r ?? sql.slice(t.start, t.end);
    prevEnd = t.end;
  }
  offsets[to - from] = text.length;
  return { text, offsets, names, dropped };
}
