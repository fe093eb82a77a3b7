import { isPunct, type Token, tokenize } from './lexer.js';

/** One entry of a CREATE TABLE's parenthesised list: a column or a table constraint. */
export interface TableEntry {
  /** Its tokens: `tokens[from, to)`. */
  from: number;
  to: number;
  /** Where the comma before it is in the text (-1 for the first entry). */
  commaBefore: number;
}

/**
 * The entries of `createSql`'s column list, SQLite's stored CREATE TABLE text (no backslash
 * escapes), and the tokens they index.
 */
export function tableEntries(createSql: string): { tokens: Token[]; entries: TableEntry[] } {
  const tokens = tokenize(createSql, false);
  const entries: TableEntry[] = [];
  const open = tokens.findIndex((t) => isPunct(createSql, t, '('));
  if (open < 0) return { tokens, entries };
  let depth = 0;
  let from = open + 1;
  let commaBefore = -1;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(createSql, t, '(')) depth++;
    else if (isPunct(createSql, t, ')')) {
      if (depth === 0) {
        if (i > from) entries.push({ from, to: i, commaBefore });
        break;
      }
      depth--;
    } else if (depth === 0 && isPunct(createSql, t, ',')) {
      if (i > from) entries.push({ from, to: i, commaBefore });
      commaBefore = t.start;
      from = i + 1;
    }
  }
  return { tokens, entries };
}
