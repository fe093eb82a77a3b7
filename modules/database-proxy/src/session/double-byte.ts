/**
 * Client character sets whose two-byte characters may end in 0x5C, the backslash: read a byte
 * at a time, such a character's second byte looks like an escape inside a string, and the
 * string seems to run on past its closing quote; or in 0x60, the backquote, which outside a
 * string seems to open a quoted name. (' and " are never second bytes in these sets.)
 */

/** Which bytes start a two-byte character and which may follow, in one character set. */
export interface DoubleByteCharset {
  isLead(byte: number): boolean;
  isTrail(byte: number): boolean;
}

// sjis and cp932: 0xA1–0xDF are one-byte half-width katakana, not lead bytes.
const SJIS: DoubleByteCharset = {
  isLead: (b) => (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc),
  isTrail: (b) => (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc),
};
// gb18030's four-byte characters have digits second, never 0x5C: its two-byte ones are gbk's.
const GBK: DoubleByteCharset = {
  isLead: (b) => b >= 0x81 && b <= 0xfe,
  isTrail: (b) => (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfe),
};
const BIG5: DoubleByteCharset = {
  isLead: (b) => b >= 0xa1 && b <= 0xf9,
  isTrail: (b) => (b >= 0x40 && b <= 0x7e) || (b >= 0xa1 && b <= 0xfe),
};

const BY_NAME = new Map([
  ['sjis', SJIS],
  ['cp932', SJIS],
  ['gbk', GBK],
  ['gb18030', GBK],
  ['big5', BIG5],
]);

/** Their collation ids as a greeting names them (MySQL's gb18030 included). */
const BY_COLLATION = new Map([
  [1, BIG5],
  [84, BIG5],
  [13, SJIS],
  [88, SJIS],
  [95, SJIS],
  [96, SJIS],
  [28, GBK],
  [87, GBK],
  [248, GBK],
  [249, GBK],
  [250, GBK],
]);

/**
 * The client's character set when it is one of these: its `character_set_client` if it set
 * one (SET NAMES), else the collation it greeted with.
 */
export function doubleByteCharsetOf(
  characterSetClient: string | undefined,
  handshakeCollation: number,
): DoubleByteCharset | undefined {
  return characterSetClient !== undefined
    ? BY_NAME.get(characterSetClient.toLowerCase())
    : BY_COLLATION.get(handshakeCollation);
}
