/**
 * What a statement that changed the connection's character sets left behind, read from its
 * text: session tracking reports the new character sets, not the collation a `SET NAMES …
 * COLLATE` chose nor whether `character_set_results` was set by name, and both shape the
 * metadata of results the client reads afterwards (see the README's *Pins*).
 */

import type { DoubleByteCharset } from './double-byte.js';
import { blankLiteralsAndComments } from './statement-traits.js';

/**
 * A statement's text and its code, position for position: literals and comments blanked (a
 * `character_set_results` in a comment sets nothing), plain names in backquotes put back
 * (`SET @@session.\`character_set_results\` = …` does).
 */
export interface CharsetStatement {
  text: string;
  code: string;
}

/** The text of `payload` (a COM_QUERY or a prepare's, command byte first) and its code. */
export function charsetStatementOf(
  payload: Buffer | undefined,
  noBackslashEscapes: boolean,
  doubleByte: DoubleByteCharset | undefined,
): CharsetStatement {
  const text = payload?.toString('latin1', 1) ?? '';
  const blanked = blankLiteralsAndComments(text, noBackslashEscapes, doubleByte);
  // Backquotes left in the code open and close names (those in strings and comments are blanks).
  const code = blanked.includes('`')
    ? blanked.replace(/`( +)`/g, (whole, _inside: string, at: number) => {
        const name = text.slice(at + 1, at + whole.length - 1);
        return /^\w+$/.test(name) ? ` ${name} ` : whole;
      })
    : blanked;
  return { text, code };
}

/** `SET CHARACTER SET` / `SET CHARSET` (first in a SET, or after a comma; not the CHARSET() function). */
const CHARACTER_SET_ITEM = String.raw`(?:\bSET|,)\s*(?:CHARACTER\s+SET|CHARSET)\b(?!\s*\()`;

/** What sets `character_set_results` by name: an assignment to it, or `SET CHARACTER SET`. */
const RESULTS_SET_BY_NAME = new RegExp(String.raw`\bcharacter_set_results\s*:?=|${CHARACTER_SET_ITEM}`, 'gi');

/** What else sets the connection's character set, giving it its default collation. */
const CHARSET_CONNECTION_SET = new RegExp(
  String.raw`\bcharacter_set_connection\s*:?=|${CHARACTER_SET_ITEM}`,
  'gi',
);

/** `NAMES` as an item of a SET (first, or after a comma): group 1 is the keyword. */
const SET_NAMES_KEYWORD = /(?:\bSET|,)\s*(NAMES)\b/dgi;

/**
 * Where `pattern` (global; its group 1, if it has one and `d`, else the whole match) is found in
 * `code` inside a SET statement, in order. Statements end at `;`.
 */
function inSetStatements(code: string, pattern: RegExp): number[] {
  const found: number[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(code); m !== null; m = pattern.exec(code)) {
    const at = m.indices?.[1]?.[0] ?? m.index;
    const start = code.lastIndexOf(';', at) + 1;
    if (/^[\s(]*SET\b/i.test(code.slice(start, at + 4))) found.push(at);
  }
  return found;
}

/**
 * Whether the statement, which set `character_set_results`, set it by name last (giving results
 * that set's default collation) rather than with `SET NAMES` (the connection's collation).
 */
export function resultsSetByName({ code }: CharsetStatement): boolean {
  const namesAt = inSetStatements(code, SET_NAMES_KEYWORD).at(-1) ?? -1;
  const byNameAt = inSetStatements(code, RESULTS_SET_BY_NAME).at(-1) ?? -1;
  return namesAt <= byNameAt;
}

/**
 * `NAMES cs [COLLATE c]` in a statement's code, where a quoted name is blanks between its quotes:
 * the set is group 1 (bare) or 3 (quoted), the collation 4 or 6.
 */
const SET_NAMES_AT = /NAMES\s+(?:(\w+)|(['"])( *)\2)(?:\s+COLLATE\s+(?:(\w+)|(['"])( *)\5))?/diy;

/**
 * The collation a statement's text leaves the connection with, given the character set the
 * server reported (undefined: that set's default). The last setter of the connection's set in
 * a SET decides: `NAMES cs [COLLATE c]` naming that set (one naming another failed, so the one
 * before stands), or an assignment of the set itself, which gives its default collation.
 */
export function collationLeftBy(
  { text, code }: CharsetStatement,
  charset: string | undefined,
): string | undefined {
  const names = new Set(inSetStatements(code, SET_NAMES_KEYWORD));
  const setters = [...names, ...inSetStatements(code, CHARSET_CONNECTION_SET)].sort((a, b) => a - b);
  // The text of a name: bare in the code, or the quoted one's contents in the text.
  const nameOf = (m: RegExpExecArray, bare: number, quoted: number): string | undefined => {
    if (m[bare] !== undefined) return m[bare].toLowerCase();
    const at = m.indices![quoted];
    return at === undefined ? undefined : text.slice(at[0], at[1]).toLowerCase();
  };
  for (let i = setters.length - 1; i >= 0; i--) {
    const at = setters[i]!;
    if (!names.has(at)) return undefined;
    SET_NAMES_AT.lastIndex = at;
    const m = SET_NAMES_AT.exec(code);
    if (m === null) return undefined;
    const named = nameOf(m, 1, 3);
    // utf8 is reported as utf8mb3 (MariaDB 10.6+), and its collations as utf8mb3_…: named so
    // here too, so that NAMES … COLLATE can replay them (see namesClause).
    const utf8 = named === 'utf8' && charset === 'utf8mb3';
    if (named === 'default') return undefined;
    if (named !== charset && !utf8) continue;
    const collation = nameOf(m, 4, 6);
    // COLLATE DEFAULT: the set's default collation, as no COLLATE.
    if (collation === undefined || collation === 'default') return undefined;
    return utf8 && collation.startsWith('utf8_') ? `utf8mb3_${collation.slice(5)}` : collation;
  }
  return undefined;
}
