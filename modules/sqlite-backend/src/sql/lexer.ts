/**
 * A tokenizer for MySQL statement text: enough of MySQL's lexical grammar to find statement
 * boundaries, string literals (with MySQL's backslash escapes, which SQLite does not know),
 * comments (`#`, `-- `, `/* *\/`; the text of `/*! *\/` is read), quoted identifiers, system and user variables and `?`
 * placeholders. Whitespace and comments are not tokens; the text between two tokens is a gap.
 */

export enum TokenType {
  /** Keyword, identifier or number: a run of letters, digits, `_`, `$` and non-ASCII. */
  Word,
  /** `` `name` `` */
  QuotedId,
  /** `'text'` or `"text"` (MySQL's default: double quotes make strings). */
  String,
  /** `@@name`, `@@session.name`, `@@global.name`. */
  SystemVariable,
  /** `@name`, `@'name'`, `` @`name` ``. */
  UserVariable,
  /** `?` */
  Placeholder,
  /** `;` */
  Semicolon,
  /** Any other character. */
  Punct,
  /**
   * Text MariaDB refuses with 1064 before running anything: an executable comment left open, one
   * nested in another, or a version of 1–4 digits (`/*!123 …*\/`). The token is the comment's
   * start; {@link invalidToken} finds it.
   */
  Invalid,
}

/** One token: its type and where it sits in the text (`end` exclusive). */
export interface Token {
  type: TokenType;
  start: number;
  end: number;
}

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

/** Index just past the quoted run starting at `i` (the opening quote), honouring `\` if asked. */
function skipQuoted(sql: string, i: number, quote: string, backslash: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j]!;
    if (backslash && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length; // unterminated: SQLite (or our parser) reports the syntax error
}

/**
 * The version `/*!NNNNN … *\/` comments are compared with: the one the server announces (8.0.36).
 * MySQL runs the text of an executable comment when its version is at most its own, as the
 * header of every mysqldump relies on (`/*!40101 SET NAMES utf8mb4 *\/`).
 */
const EXECUTABLE_COMMENT_VERSION = 80036;

/** Where {@link tokenize} is: inside an executable comment, whose `*\/` is a gap. */
interface GapState {
  executable: boolean;
  /** Where the open executable comment starts (for the error when it is never closed). */
  openedAt: number;
  /** The start of text to refuse ({@link TokenType.Invalid}), or -1. */
  invalidAt: number;
}

/**
 * Past `/*!` (or MariaDB's `/*M!`) and its optional 5- or 6-digit version at `i`; -1 when the
 * comment is not executable or is for a later version (then it is a plain comment); -2 for a
 * version of 1–4 digits, which MariaDB refuses (1064) rather than guess what was meant. MariaDB
 * runs `/*M!` too, so a MariaDB dump's own lines read as they do there.
 */
function executableCommentBody(sql: string, i: number): number {
  let j = i + 2;
  if (sql.charCodeAt(j) === 0x4d /* M */) j++;
  if (sql.charCodeAt(j) !== 0x21 /* ! */) return -1;
  const from = ++j;
  while (j < sql.length && j < from + 6 && sql.charCodeAt(j) >= 0x30 && sql.charCodeAt(j) <= 0x39) j++;
  const digits = j - from;
  if (digits === 0) return j;
  if (digits < 5) return -2;
  return Number(sql.slice(from, j)) <= EXECUTABLE_COMMENT_VERSION ? j : -1;
}

/** Skips whitespace and comments from `i`; returns the next token's start. */
export function skipGap(
  sql: string,
  i: number,
  state: GapState = { executable: false, openedAt: -1, invalidAt: -1 },
): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b) {
      i++;
    } else if (c === 0x23 /* # */) {
      // Inside an executable comment a line comment eats its `*/` too, leaving it open (1064).
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
      // MySQL needs whitespace (or the end) after `--`; SQLite does not, and neither do we.
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      const body = executableCommentBody(sql, i);
      // MariaDB refuses an executable comment inside another one, and a 1–4 digit version.
      if (body === -2 || (body >= 0 && state.executable)) {
        state.invalidAt = i;
        return i;
      }
      if (body >= 0) {
        state.executable = true;
        state.openedAt = i;
        i = body;
        continue;
      }
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (state.executable && c === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
      state.executable = false;
      i += 2;
    } else {
      break;
    }
  }
  if (i >= n && state.executable) {
    // Never closed: MariaDB (and MySQL) refuse the text rather than run what it holds.
    state.invalidAt = state.openedAt;
    return state.openedAt;
  }
  return i;
}

/**
 * Splits `sql` into tokens. Never throws: malformed text yields tokens SQLite will reject. With
 * `backslashEscapes` false the text is SQLite's own (a stored CREATE TABLE), where `\` in a
 * string is just a character.
 */
export function tokenize(sql: string, backslashEscapes = true): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  const state: GapState = { executable: false, openedAt: -1, invalidAt: -1 };
  let i = skipGap(sql, 0, state);
  while (i < n) {
    if (state.invalidAt === i) {
      // Nothing after it is read: the statement it is in will be refused.
      out.push({ type: TokenType.Invalid, start: i, end: n });
      break;
    }
    const c = sql[i]!;
    const code = sql.charCodeAt(i);
    let end: number;
    let type: TokenType;
    if (isWordChar(code)) {
      end = i + 1;
      while (end < n && isWordChar(sql.charCodeAt(end))) end++;
      type = TokenType.Word;
    } else if (c === "'" || c === '"') {
      end = skipQuoted(sql, i, c, backslashEscapes);
      type = TokenType.String;
    } else if (c === '`') {
      end = skipQuoted(sql, i, '`', false);
      type = TokenType.QuotedId;
    } else if (c === '@') {
      if (sql[i + 1] === '@') {
        end = i + 2;
        while (end < n && (isWordChar(sql.charCodeAt(end)) || sql[end] === '.')) end++;
        type = TokenType.SystemVariable;
      } else {
        const q = sql[i + 1];
        if (q === "'" || q === '"' || q === '`') end = skipQuoted(sql, i + 1, q, q !== '`');
        else {
          end = i + 1;
          while (end < n && (isWordChar(sql.charCodeAt(end)) || sql[end] === '.')) end++;
        }
        type = TokenType.UserVariable;
      }
    } else if (c === '?') {
      end = i + 1;
      type = TokenType.Placeholder;
    } else if (c === ';') {
      end = i + 1;
      type = TokenType.Semicolon;
    } else {
      end = i + 1;
      type = TokenType.Punct;
    }
    out.push({ type, start: i, end });
    i = skipGap(sql, end, state);
  }
  return out;
}

/** The value of a MySQL string literal token (quotes removed, escapes and doubled quotes resolved). */
export function stringValue(sql: string, token: Token): string {
  const quote = sql[token.start]!;
  const closed = token.end - token.start >= 2 && sql[token.end - 1] === quote;
  const body = sql.slice(token.start + 1, closed ? token.end - 1 : token.end);
  if (!body.includes('\\') && !body.includes(quote)) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) {
      const e = body[++i]!;
      switch (e) {
        case '0':
          out += '\0';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'b':
          out += '\b';
          break;
        case 'Z':
          out += '\x1a';
          break;
        case '%':
        case '_':
          // Kept escaped, as MySQL does, so LIKE patterns still see them.
          out += `\\${e}`;
          break;
        default:
          out += e;
      }
    } else if (ch === quote && body[i + 1] === quote) {
      out += quote;
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

/** `name` in backticks, which SQLite and MySQL both read as an identifier. */
export function backquoted(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** The name a quoted identifier or word token stands for (backticks removed). */
export function identifierValue(sql: string, token: Token): string {
  if (token.type === TokenType.QuotedId)
    return sql.slice(token.start + 1, token.end - 1).replaceAll('``', '`');
  if (token.type === TokenType.String) return stringValue(sql, token);
  return sql.slice(token.start, token.end);
}

/** The upper-cased text of a word token, or '' for any other token. */
export function keyword(sql: string, token: Token | undefined): string {
  return token !== undefined && token.type === TokenType.Word
    ? sql.slice(token.start, token.end).toUpperCase()
    : '';
}

/** The first {@link TokenType.Invalid} token of `tokens[from, to)`, if any. */
export function invalidToken(tokens: readonly Token[], from: number, to: number): Token | undefined {
  for (let i = from; i < to && i < tokens.length; i++)
    if (tokens[i]!.type === TokenType.Invalid) return tokens[i];
  return undefined;
}

/** Index of the first `;` token at or after `from` (or `tokens.length`). */
export function statementEndIndex(tokens: readonly Token[], from: number): number {
  for (let i = from; i < tokens.length; i++) if (tokens[i]!.type === TokenType.Semicolon) return i;
  return tokens.length;
}

/** Whether `token` is the punctuation character `c`. */
export function isPunct(sql: string, token: Token | undefined, c: string): boolean {
  return token !== undefined && token.type === TokenType.Punct && sql[token.start] === c;
}

/**
 * The index of the `)` closing the `(` at `tokens[open]`, before `to`; `notFound` when none
 * does, or a `;` (the statement's end) comes first.
 */
export function closingParen(
  sql: string,
  tokens: readonly Token[],
  open: number,
  to: number,
  notFound = -1,
): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = tokens[i]!;
    if (t.type === TokenType.Semicolon) return notFound;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')') && --depth === 0) return i;
  }
  return notFound;
}

/** The ranges `[a, b)` that `tokens[from, to)` splits into at its top-level commas. */
export function topLevelList(
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (isPunct(sql, t, '(')) depth++;
    else if (isPunct(sql, t, ')')) depth--;
    else if (depth === 0 && isPunct(sql, t, ',')) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  parts.push([start, to]);
  return parts;
}

/** Whether `token` can be a name: a word or a quoted identifier. */
export function isName(token: Token | undefined): token is Token {
  return token !== undefined && (token.type === TokenType.Word || token.type === TokenType.QuotedId);
}

/** A table as a statement names it: `[schema.]name`. */
export interface TableName {
  schema: string | undefined;
  name: string;
}

/** The `[schema.]name` at `tokens[i]`, and the index after it; undefined when none is there. */
export function tableName(
  sql: string,
  tokens: readonly Token[],
  i: number,
): { table: TableName; next: number } | undefined {
  const first = tokens[i];
  if (!isName(first)) return undefined;
  const second = tokens[i + 2];
  if (isPunct(sql, tokens[i + 1], '.') && isName(second)) {
    return {
      table: { schema: identifierValue(sql, first), name: identifierValue(sql, second) },
      next: i + 3,
    };
  }
  return { table: { schema: undefined, name: identifierValue(sql, first) }, next: i + 1 };
}
