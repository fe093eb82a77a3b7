/**
 * Byte-class lookup tables from RFC 9110 §5.6.2 (tchar) and §5.5 (field-vchar / obs-text).
 * Tables instead of regular expressions: the parser checks every header byte, so each check
 * must be one array load.
 */

function table(predicate: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = predicate(b) ? 1 : 0;
  return t;
}

const TCHAR_PUNCTUATION = "!#$%&'*+-.^_`|~";

/** token characters: the only bytes allowed in methods, header names and transfer codings. */
export const TOKEN = table(
  (b) =>
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    TCHAR_PUNCTUATION.includes(String.fromCharCode(b)),
);

/** Bytes allowed inside a field value: VCHAR, obs-text, SP and HTAB (no CR, LF, NUL or other CTL). */
export const FIELD_VALUE = table((b) => b === 0x09 || b === 0x20 || (b >= 0x21 && b <= 0x7e) || b >= 0x80);

/** Bytes allowed in a request-target: visible ASCII only (RFC 3986 characters and then some). */
export const TARGET = table((b) => b >= 0x21 && b <= 0x7e);

/** Hex digit values, or 255 for a non-hex byte. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = 10 + d;
    t[0x61 + d] = 10 + d;
  }
  return t;
})();

/** Bytes allowed in a quoted-string outside escapes (qdtext). */
export const QDTEXT = table(
  (b) =>
    b === 0x09 ||
    b === 0x20 ||
    b === 0x21 ||
    (b >= 0x23 && b <= 0x5b) ||
    (b >= 0x5d && b <= 0x7e) ||
    b >= 0x80,
);

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
