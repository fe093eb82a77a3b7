import { identifierValue, keyword, stringValue, type Token, TokenType } from './lexer.js';

/** MySQL text turned into SQLite text, with the way back for column names. */
export interface Rewritten {
  /** The SQLite text. */
  text: string;
  /** Where token `i` (relative to the range rewritten) starts in {@link text}. */
  offsets: Int32Array;
  /**
   * Expressions we replaced, SQLite text → what the client wrote, so a column named after an
   * expression (`SELECT @@version`) gets the name MySQL would give it.
   */
  names: Map<string, string>;
  /** 1 for tokens rewritten to nothing (they do not count as part of the next statement). */
  dropped: Uint8Array;
}

const KEEP_COLLATIONS = new Set(['BINARY', 'NOCASE', 'RTRIM']);
const TYPE_MODIFIERS = new Set(['UNSIGNED', 'SIGNED', 'ZEROFILL']);

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
 * registers), `FROM DUAL`, `INSERT IGNORE`, `FOR UPDATE`, `SQL_CALC_FOUND_ROWS`, and the MySQL
 * parts of `CREATE TABLE` (`AUTO_INCREMENT`, character sets, collations, comments, table options).
 */
export function rewrite(sql: string, tokens: readonly Token[], from = 0, to = tokens.length): Rewritten {
  const replace = new Map<number, string>();
  const names = new Map<string, string>();
  let statementStart = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) {
      statementStart = i + 1;
      continue;
    }
    if (i === statementStart) {
      const k0 = keyword(sql, t);
      const k1 = keyword(sql, tokens[i + 1]);
      const k2 = keyword(sql, tokens[i + 2]);
      if (k0 === 'CREATE' && (k1 === 'TABLE' || (k2 === 'TABLE' && (k1 === 'TEMPORARY' || k1 === 'TEMP')))) {
        rewriteCreateTable(sql, tokens, i, to, replace);
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
        const text = `__uservar(${sqliteString(userVariableName(sql, t))})`;
        replace.set(i, text);
        names.set(text, sql.slice(t.start, t.end));
        break;
      }
      case TokenType.Word: {
        const k = keyword(sql, t);
        const prev = keyword(sql, tokens[i - 1]);
        if (k === 'DUAL' && prev === 'FROM') {
          replace.set(i - 1, '');
          replace.set(i, '');
        } else if (k === 'IGNORE' && prev === 'INSERT') {
          replace.set(i, 'OR IGNORE');
        } else if (k === 'SQL_CALC_FOUND_ROWS' || k === 'SQL_NO_CACHE' || k === 'SQL_CACHE') {
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
  return emit(sql, tokens, from, to, replace, names);
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

/** Marks the MySQL-only parts of a CREATE TABLE starting at token `start` for rewriting. */
function rewriteCreateTable(
  sql: string,
  tokens: readonly Token[],
  start: number,
  to: number,
  replace: Map<number, string>,
): void {
  let i = start;
  // Find the column list: the first '(' before any AS/SELECT/LIKE.
  while (i < to && tokens[i]!.type !== TokenType.Semicolon) {
    const t = tokens[i]!;
    const k = keyword(sql, t);
    if (k === 'AS' || k === 'SELECT' || k === 'LIKE') return;
    if (t.type === TokenType.Punct && sql[t.start] === '(') break;
    i++;
  }
  if (i >= to || tokens[i]!.type === TokenType.Semicolon) return;
  let depth = 0;
  let segmentStart = i + 1;
  for (; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return;
    const ch = t.type === TokenType.Punct ? sql[t.start] : '';
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        rewriteColumnDefinition(sql, tokens, segmentStart, i, replace);
        i++;
        break;
      }
    } else if (ch === ',' && depth === 1) {
      rewriteColumnDefinition(sql, tokens, segmentStart, i, replace);
      segmentStart = i + 1;
    }
  }
  // Table options (ENGINE=, DEFAULT CHARSET=, AUTO_INCREMENT=, COMMENT=…) mean nothing to
  // SQLite; only its own WITHOUT ROWID and STRICT are kept.
  for (; i < to && tokens[i]!.type !== TokenType.Semicolon; i++) {
    const k = keyword(sql, tokens[i]);
    const keep =
      k === 'STRICT' ||
      k === 'WITHOUT' ||
      (k === 'ROWID' && keyword(sql, tokens[i - 1]) === 'WITHOUT') ||
      (sql[tokens[i]!.start] === ',' && ['STRICT', 'WITHOUT'].includes(keyword(sql, tokens[i + 1])));
    if (!keep) replace.set(i, '');
  }
}

/** One column definition (or table constraint) in `tokens[from, to)`. */
function rewriteColumnDefinition(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
  replace: Map<number, string>,
): void {
  const first = keyword(sql, tokens[from]);
  // Table-level `KEY name (cols)` / `INDEX name (cols)` are MySQL's secondary indexes.
  if (first === 'KEY' || first === 'INDEX' || first === 'FULLTEXT' || first === 'SPATIAL') {
    for (let j = from; j < to; j++) replace.set(j, '');
    // Drop the comma in front of it as well.
    if (from > 0 && sql[tokens[from - 1]!.start] === ',') replace.set(from - 1, '');
    return;
  }
  if (
    first === 'UNIQUE' &&
    (keyword(sql, tokens[from + 1]) === 'KEY' || keyword(sql, tokens[from + 1]) === 'INDEX')
  ) {
    replace.set(from + 1, '');
    if (tokens[from + 2]?.type !== TokenType.Punct) replace.set(from + 2, '');
    return;
  }
  if (first === 'PRIMARY' || first === 'CONSTRAINT' || first === 'FOREIGN' || first === 'CHECK') return;
  let autoIncrement = false;
  for (let j = from + 1; j < to; j++) {
    const k = keyword(sql, tokens[j]);
    if (k === 'AUTO_INCREMENT') {
      autoIncrement = true;
      replace.set(j, '');
    } else if (k === 'CHARACTER' && keyword(sql, tokens[j + 1]) === 'SET') {
      replace.set(j, '');
      replace.set(j + 1, '');
      replace.set(j + 2, '');
    } else if (k === 'CHARSET') {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (k === 'COLLATE' && !KEEP_COLLATIONS.has(keyword(sql, tokens[j + 1]))) {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (k === 'COMMENT' && tokens[j + 1]?.type === TokenType.String) {
      replace.set(j, '');
      replace.set(j + 1, '');
    } else if (k === 'ON' && keyword(sql, tokens[j + 1]) === 'UPDATE') {
      // ON UPDATE CURRENT_TIMESTAMP[(n)]
      let e = j + 2;
      if (e < to && tokens[e + 1] && sql[tokens[e + 1]!.start] === '(') e += 3;
      for (let x = j; x <= e && x < to; x++) replace.set(x, '');
    }
  }
  if (!autoIncrement) return;
  // `id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY` → `id INTEGER PRIMARY KEY`: only a column
  // declared exactly INTEGER becomes SQLite's rowid, which is what numbers new rows.
  let j = from + 1;
  if (keyword(sql, tokens[j]) === '') return;
  replace.set(j, 'INTEGER');
  j++;
  if (tokens[j] && sql[tokens[j]!.start] === '(') {
    while (j < to && sql[tokens[j]!.start] !== ')') replace.set(j++, '');
    replace.set(j++, '');
  }
  while (j < to && TYPE_MODIFIERS.has(keyword(sql, tokens[j]))) replace.set(j++, '');
}
