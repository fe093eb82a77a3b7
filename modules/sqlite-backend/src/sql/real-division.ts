import { isPunct, tokenize } from './lexer.js';

/**
 * What the rewrite sends for MySQL's `/`: `a*1e0/b`, a division of reals with the same parse
 * (`*` and `/` bind alike, from the left). MySQL's `/` never divides whole numbers as such
 * (7/2 is 3.5000); SQLite's does (3). Names and stored texts shown to clients turn it back.
 */
export const REAL_DIVISION = '*1e0/';

/** The calls multiplicative.ts sends for MySQL's DIV, MOD and `%`, and the operator each stands for. */
export const OPERATOR_CALLS: ReadonlyMap<string, string> = new Map([
  ['__mysql_div', 'DIV'],
  ['__mysql_mod', 'MOD'],
  ['__mysql_percent', '%'],
]);

/** Some call of {@link OPERATOR_CALLS}: the cheap look before a text is tokenized for them. */
const OPERATOR_CALL_NAME = /__mysql_(?:div|mod|percent)\b/i;

/**
 * A stored text (a default, a view's or trigger's body, a column named after an expression) with
 * `/`, DIV, MOD and `%` as the client wrote them.
 */
export function withDivisionAsWritten(text: string): string {
  return withOperatorCallsAsWritten(
    text.includes(REAL_DIVISION) ? text.replaceAll(REAL_DIVISION, '/') : text,
  );
}

/** SQLite's text with DIV, MOD and `%` as the client wrote them: `__mysql_div(a , 2)` → `a DIV 2`. */
export function withOperatorCallsAsWritten(text: string): string {
  let out = text;
  // Not just `__mysql_`: a cast's, TRIM's or GROUP_CONCAT's call would cost a tokenizing for nothing.
  while (OPERATOR_CALL_NAME.test(out)) {
    const next = withLastOperatorCallAsWritten(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * `text` with the last of its operator calls turned back (`__mysql_div(a , 2)` → `a DIV 2`): the
 * last one holds no other, and the rewrite kept the gaps around the comma it put for the operator.
 */
function withLastOperatorCallAsWritten(text: string): string {
  const tokens = tokenize(text, false);
  for (let c = tokens.length - 2; c >= 0; c--) {
    const op = OPERATOR_CALLS.get(text.slice(tokens[c]!.start, tokens[c]!.end).toLowerCase());
    if (op === undefined || !isPunct(text, tokens[c + 1], '(')) continue;
    let depth = 0;
    let comma = -1;
    for (let j = c + 1; j < tokens.length; j++) {
      if (isPunct(text, tokens[j], '(')) depth++;
      else if (isPunct(text, tokens[j], ',') && depth === 1) {
        if (comma >= 0) break;
        comma = j;
      } else if (isPunct(text, tokens[j], ')') && --depth === 0) {
        if (comma < 0) break;
        const [open, sep, close] = [tokens[c + 1]!, tokens[comma]!, tokens[j]!];
        return (
          text.slice(0, tokens[c]!.start) +
          text.slice(open.end, sep.start) +
          op +
          text.slice(sep.end, close.start) +
          text.slice(close.end)
        );
      }
    }
  }
  return text;
}
