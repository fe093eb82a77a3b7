import type { FunctionContext, MysqlFunction } from './definition.js';
import { regex, regexReplace } from './regex.js';
import {
  bytes,
  chars,
  foldCase,
  foldChar,
  int,
  integer,
  isBinary,
  num,
  present,
  type SqlValue,
  text,
} from './values.js';

/** `s` repeated to `length` characters (for the pads), or null past the context's limit. */
function padding(pad: string, length: number, ctx: FunctionContext): string | null {
  if (length <= 0) return '';
  const p = chars(pad);
  if (p.length === 0) return null;
  if (length * 4 > ctx.maxResultLength()) return null;
  let out = '';
  for (let i = 0; i < length; i++) out += p[i % p.length];
  return out;
}

function pad(left: boolean, ctx: FunctionContext) {
  // LPAD(s, n) pads with spaces (MariaDB 10.3 on).
  return (s: SqlValue, len: SqlValue, with_: SqlValue = ' '): SqlValue => {
    if (!present([s, len, with_])) return null;
    const n = int(len);
    if (n < 0) return null;
    const c = chars(text(s));
    if (c.length >= n) return c.slice(0, n).join('');
    const fill = padding(text(with_), n - c.length, ctx);
    if (fill === null) return null;
    return left ? fill + c.join('') : c.join('') + fill;
  };
}

/** MySQL's SUBSTRING(s, pos[, len]): 1-based, negative from the end, position 0 is nothing. */
function substring(s: SqlValue, pos: SqlValue, len?: SqlValue): SqlValue {
  if (s === null || pos === null || len === null) return null;
  const c = units(s);
  let p = int(pos);
  const n = len === undefined ? c.length : int(len);
  if (p === 0 || -p > c.length || n <= 0) return joined(s, []);
  if (p < 0) p = c.length + p + 1;
  return joined(s, c.slice(p - 1, p - 1 + n));
}

/**
 * What lengths and positions count in `s`: a binary string's bytes, a text's characters (code
 * points — MySQL counts utf8mb4 characters, not UTF-16 units).
 */
function units(s: SqlValue): (string | number)[] {
  return isBinary(s) ? [...s] : chars(text(s));
}

/** Units of `like` put back together: a binary string for a binary one, text otherwise. */
function joined(like: SqlValue, parts: (string | number)[]): SqlValue {
  return isBinary(like) ? Buffer.from(parts as number[]) : parts.join('');
}

/** LOCATE(sub, s[, pos]) and INSTR(s, sub): 1-based, case-insensitive as the default collation. */
function locate(sub: SqlValue, s: SqlValue, pos?: SqlValue): SqlValue {
  if (sub === null || s === null || pos === null) return null;
  // Folded a character at a time, so positions stay the original's.
  const hay = chars(text(s)).map(foldChar);
  const needle = chars(text(sub)).map(foldChar);
  const from = pos === undefined ? 1 : int(pos);
  if (from < 1 || (from > hay.length && from !== 1)) return 0n;
  for (let i = from - 1; i + needle.length <= hay.length; i++) {
    let j = 0;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return integer(i + 1);
  }
  return 0n;
}

/** Each character's case changed where that keeps it one character (`ß` stays, as in MySQL). */
function changeCase(s: SqlValue, upper: boolean): SqlValue {
  if (s === null || isBinary(s)) return s;
  return chars(text(s))
    .map((c) => {
      const changed = upper ? c.toUpperCase() : c.toLowerCase();
      return chars(changed).length === 1 ? changed : c;
    })
    .join('');
}

/** The string functions of MySQL that SQLite lacks, or has with other semantics. */
export function stringFunctions(ctx: FunctionContext): MysqlFunction[] {
  return [
    {
      // SQLite's concat() skips NULLs; MySQL's CONCAT is NULL when any argument is.
      names: ['CONCAT'],
      arities: { atLeast: 1 },
      fn: (...args) => {
        if (!present(args)) return null;
        // With a binary string among them the result is one, byte for byte.
        return args.some(isBinary) ? Buffer.concat(args.map(bytes)) : args.map(text).join('');
      },
    },
    {
      names: ['LEFT'],
      fn: (s, n) => (present([s, n]) ? joined(s, units(s).slice(0, Math.max(0, int(n)))) : null),
    },
    {
      names: ['RIGHT'],
      fn: (s, n) => {
        if (!present([s, n])) return null;
        const k = int(n);
        return joined(s, k <= 0 ? [] : units(s).slice(-k));
      },
    },
    { names: ['SUBSTRING', 'SUBSTR', 'MID'], arities: [2, 3], fn: substring },
    {
      names: ['CHAR_LENGTH', 'CHARACTER_LENGTH'],
      fn: (s) => (s === null ? null : integer(units(s).length)),
    },
    // MySQL's LENGTH counts bytes (SQLite's counts characters).
    { names: ['LENGTH', 'OCTET_LENGTH'], fn: (s) => (s === null ? null : integer(bytes(s).length)) },
    // SQLite's lower()/upper() change ASCII letters only.
    {
      names: ['LOWER', 'LCASE'],
      fn: (s) => changeCase(s, false),
    },
    {
      names: ['UPPER', 'UCASE'],
      fn: (s) => changeCase(s, true),
    },
    { names: ['LOCATE'], arities: [2, 3], fn: locate },
    { names: ['INSTR'], fn: (s, sub) => locate(sub, s) },
    {
      names: ['SUBSTRING_INDEX'],
      fn: (s, delim, count) => {
        if (!present([s, delim, count])) return null;
        const str = text(s);
        const d = text(delim);
        const n = int(count);
        if (d === '' || n === 0) return '';
        const parts = str.split(d);
        return n > 0 ? parts.slice(0, n).join(d) : parts.slice(Math.max(0, parts.length + n)).join(d);
      },
    },
    {
      names: ['REPEAT'],
      fn: (s, count) => {
        if (!present([s, count])) return null;
        const n = int(count);
        const str = text(s);
        if (n <= 0 || str === '') return '';
        return Buffer.byteLength(str) * n > ctx.maxResultLength() ? null : str.repeat(n);
      },
    },
    {
      names: ['SPACE'],
      fn: (count) => {
        if (count === null) return null;
        const n = int(count);
        if (n <= 0) return '';
        return n > ctx.maxResultLength() ? null : ' '.repeat(n);
      },
    },
    { names: ['REVERSE'], fn: (s) => (s === null ? null : joined(s, units(s).reverse())) },
    { names: ['LPAD'], arities: [2, 3], fn: pad(true, ctx) },
    { names: ['RPAD'], arities: [2, 3], fn: pad(false, ctx) },
    // The leftmost byte; ORD reads a multi-byte character's bytes as one number.
    { names: ['ASCII'], fn: (s) => (s === null ? null : integer(bytes(s)[0] ?? 0)) },
    {
      names: ['ORD'],
      fn: (s) => {
        if (s === null) return null;
        const first = chars(text(s))[0];
        if (first === undefined) return 0n;
        let n = 0n;
        for (const b of Buffer.from(first, 'utf8')) n = n * 256n + BigInt(b);
        return n;
      },
    },
    {
      names: ['FIND_IN_SET'],
      fn: (s, list) => {
        if (!present([s, list])) return null;
        const needle = foldCase(text(s));
        if (needle.includes(',')) return 0n;
        const items = text(list);
        if (items === '') return 0n;
        return integer(items.split(',').map(foldCase).indexOf(needle) + 1);
      },
    },
    {
      names: ['FIELD'],
      arities: { atLeast: 2 },
      fn: (s, ...list) => {
        if (s === null) return 0n;
        // Strings compare as strings only when all are strings; otherwise as numbers.
        const numeric = [s, ...list].some((x) => x !== null && typeof x !== 'string' && !isBinary(x));
        for (let i = 0; i < list.length; i++) {
          const x = list[i]!;
          if (x === null) continue;
          if (numeric ? num(x) === num(s) : foldCase(text(x)) === foldCase(text(s))) return integer(i + 1);
        }
        return 0n;
      },
    },
    {
      names: ['ELT'],
      arities: { atLeast: 2 },
      fn: (n, ...list) => {
        if (n === null) return null;
        const i = int(n);
        return i >= 1 && i <= list.length ? list[i - 1]! : null;
      },
    },
    {
      names: ['STRCMP'],
      fn: (a, b) => {
        if (!present([a, b])) return null;
        const x = foldCase(text(a));
        const y = foldCase(text(b));
        return x === y ? 0n : x < y ? -1n : 1n;
      },
    },
    // `x REGEXP p` is SQLite's regexp(p, x).
    {
      names: ['REGEXP'],
      fn: (pattern, s) => (present([pattern, s]) ? (regex(text(pattern)).test(text(s)) ? 1n : 0n) : null),
    },
    {
      names: ['REGEXP_SUBSTR'],
      fn: (s, pattern) => {
        if (!present([s, pattern])) return null;
        return regex(text(pattern)).exec(text(s))?.[0] ?? '';
      },
    },
    {
      names: ['REGEXP_INSTR'],
      fn: (s, pattern) => {
        if (!present([s, pattern])) return null;
        const str = text(s);
        const m = regex(text(pattern)).exec(str);
        return m === null ? 0n : integer(chars(str.slice(0, m.index)).length + 1);
      },
    },
    {
      names: ['REGEXP_REPLACE'],
      fn: (s, pattern, replacement) =>
        present([s, pattern, replacement]) ? regexReplace(text(s), text(pattern), text(replacement)) : null,
    },
    {
      // MySQL's HEX of a number is the number's, not its text's.
      names: ['HEX'],
      fn: (v) => {
        if (v === null) return null;
        if (typeof v === 'number' || typeof v === 'bigint') return unsigned64(v).toString(16).toUpperCase();
        return bytes(v).toString('hex').toUpperCase();
      },
    },
    {
      // TRIM(LEADING|TRAILING|BOTH remove FROM s), rewritten into a call: whole copies of `remove`.
      names: ['__mysql_trim'],
      fn: (mode, remove, s) => {
        if (!present([mode, remove, s])) return null;
        const r = text(remove);
        let out = text(s);
        if (r === '') return out;
        const m = text(mode);
        if (m !== 'TRAILING') while (out.startsWith(r)) out = out.slice(r.length);
        if (m !== 'LEADING') while (out.endsWith(r)) out = out.slice(0, -r.length);
        return out;
      },
    },
    { names: ['BIN'], fn: (v) => (v === null ? null : unsigned64(v).toString(2)) },
    { names: ['OCT'], fn: (v) => (v === null ? null : unsigned64(v).toString(8)) },
  ];
}

/** A number as the unsigned 64-bit integer MySQL's HEX/BIN/OCT/BIT_COUNT read it as. */
export function unsigned64(v: SqlValue): bigint {
  const n = typeof v === 'bigint' ? v : BigInt(Math.trunc(num(v)));
  return BigInt.asUintN(64, n);
}
