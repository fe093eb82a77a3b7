const NUL = 0x00;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;

/** C's isspace() (space, \t \n \v \f \r): blanks skipped between arguments. */
function isSpace(b: number | undefined): boolean {
  return b === SPACE || (b !== undefined && b >= TAB && b <= CR);
}

/** Bytes that end an unquoted argument (a narrower set than {@link isSpace}, as in Redis). */
function endsWord(b: number): boolean {
  return b === SPACE || b === LF || b === CR || b === TAB;
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: LF, 114: CR, 116: TAB, 98: 0x08, 97: 0x07 };

/**
 * Splits an inline command line (`SET key "hello world"`) into arguments the way redis-server
 * does: blanks separate words, "double quotes" understand `\n \r \t \b \a \xHH` and `\<any>`,
 * 'single quotes' only `\'`, and a closing quote must be followed by a blank or the end.
 * Returns `undefined` for unbalanced quotes. Like Redis (which reads the line as a C string), a
 * NUL byte ends the line.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | undefined {
  const nul = line.indexOf(NUL);
  const end = nul === -1 ? line.length : nul;
  const args: Buffer[] = [];
  let p = 0;
  for (;;) {
    while (p < end && isSpace(line[p])) p++;
    if (p >= end) return args;
    // Fast path: a word without quotes is a slice of the line.
    let q = p;
    while (q < end && !endsWord(line[q]!) && line[q] !== DOUBLE_QUOTE && line[q] !== SINGLE_QUOTE) q++;
    if (q >= end || endsWord(line[q]!)) {
      args.push(line.subarray(p, q));
      p = q;
      continue;
    }
    const word: number[] = [];
    for (let i = p; i < q; i++) word.push(line[i]!);
    p = readQuotedWord(line, q, end, word);
    if (p < 0) return undefined;
    args.push(Buffer.from(word));
  }
}

/** Reads the rest of a word that contains quotes, from `p`; returns where it ended, or -1. */
function readQuotedWord(line: Buffer, p: number, end: number, word: number[]): number {
  let quote = 0;
  while (p < end) {
    const b = line[p]!;
    if (quote === DOUBLE_QUOTE) {
      if (b === BACKSLASH && line[p + 1] === 0x78 && p + 3 < end) {
        const hi = hexValue(line[p + 2]);
        const lo = hexValue(line[p + 3]);
        if (hi >= 0 && lo >= 0) {
          word.push(hi * 16 + lo);
          p += 4;
          continue;
        }
      }
      if (b === BACKSLASH && p + 1 < end) {
        const escaped = line[p + 1]!;
        word.push(ESCAPES[escaped] ?? escaped);
        p += 2;
      } else if (b === DOUBLE_QUOTE) {
        if (p + 1 < end && !isSpace(line[p + 1])) return -1;
        return p + 1;
      } else {
        word.push(b);
        p++;
      }
    } else if (quote === SINGLE_QUOTE) {
      if (b === BACKSLASH && line[p + 1] === SINGLE_QUOTE && p + 1 < end) {
        word.push(SINGLE_QUOTE);
        p += 2;
      } else if (b === SINGLE_QUOTE) {
        if (p + 1 < end && !isSpace(line[p + 1])) return -1;
        return p + 1;
      } else {
        word.push(b);
        p++;
      }
    } else if (endsWord(b)) {
      return p;
    } else {
      if (b === DOUBLE_QUOTE || b === SINGLE_QUOTE) quote = b;
      else word.push(b);
      p++;
    }
  }
  // The line ended inside quotes.
  return quote === 0 ? p : -1;
}
