import { MysqlError } from '../errors.js';
import { type FunctionContext, type MysqlFunction, wrongArgumentCount } from './definition.js';
import { bytes, chars, foldCase, int, integer, num, present, type SqlValue, text } from './values.js';

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
  return (s: SqlValue, len: SqlValue, with_: SqlValue): SqlValue => {
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
  const c = chars(text(s));
  let p = int(pos);
  if (p === 0 || -p > c.length) return '';
  if (p < 0) p = c.length + p + 1;
  const n = len === undefined ? c.length : int(len);
  if (n <= 0) return '';
  return c.slice(p - 1, p - 1 + n).join('');
}

/** LOCATE(sub, s[, pos]) and INSTR(s, sub): 1-based, case-insensitive as the default collation. */
function locate(sub: SqlValue, s: SqlValue, pos?: SqlValue): SqlValue {
  if (sub === null || s === null || pos === null) return null;
  const hay = chars(foldCase(text(s)));
  const from = pos === undefined ? 1 : int(pos);
  if (from < 1 || from > hay.length + 1) return 0n;
  const rest = hay.slice(from - 1).join('');
  const at = rest.indexOf(foldCase(text(sub)));
  return at < 0 ? 0n : integer(from + chars(rest.slice(0, at)).length);
}

/** The regular expressions last used, so a pattern applied to every row compiles once. */
const compiled = new Map<string, RegExp>();
function regex(pattern: string, global = false): RegExp {
  const key = (global ? 'g' : '-') + pattern;
  let r = compiled.get(key);
  if (r === undefined) {
    // MariaDB's PCRE with a case-insensitive collation: JavaScript's syntax is close enough for
    // everyday patterns; one it cannot read is a clear error.
    try {
      r = new RegExp(pattern, global ? 'giu' : 'iu');
    } catch (e) {
      throw new MysqlError(1139, `Regex error '${(e as Error).message}'`, '42000');
    }
    if (compiled.size >= 64) compiled.clear();
    compiled.set(key, r);
  }
  r.lastIndex = 0;
  return r;
}

/** The string functions of MySQL that SQLite lacks, or has with other semantics. */
export function stringFunctions(ctx: FunctionContext): MysqlFunction[] {
  return [
    {
      // SQLite's concat() skips NULLs; MySQL's CONCAT is NULL when any argument is.
      names: ['CONCAT'],
      arities: 'any',
      fn: (...args) =>
        args.length === 0 ? wrongArgumentCount('CONCAT') : present(args) ? args.map(text).join('') : null,
    },
    {
      names: ['LEFT'],
      fn: (s, n) =>
        present([s, n])
          ? chars(text(s))
              .slice(0, Math.max(0, int(n)))
              .join('')
          : null,
    },
    {
      names: ['RIGHT'],
      fn: (s, n) => {
        if (!present([s, n])) return null;
        const k = int(n);
        return k <= 0 ? '' : chars(text(s)).slice(-k).join('');
      },
    },
    { names: ['SUBSTRING', 'SUBSTR', 'MID'], arities: [2, 3], fn: substring },
    {
      names: ['CHAR_LENGTH', 'CHARACTER_LENGTH'],
      fn: (s) => (s === null ? null : integer(chars(text(s)).length)),
    },
    // MySQL's LENGTH counts bytes (SQLite's counts characters).
    { names: ['LENGTH', 'OCTET_LENGTH'], fn: (s) => (s === null ? null : integer(bytes(s).length)) },
    // SQLite's lower()/upper() change ASCII letters only.
    {
      names: ['LOWER', 'LCASE'],
      fn: (s) => (s === null || s instanceof Uint8Array ? s : text(s).toLowerCase()),
    },
    {
      names: ['UPPER', 'UCASE'],
      fn: (s) => (s === null || s instanceof Uint8Array ? s : text(s).toUpperCase()),
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
    { names: ['REVERSE'], fn: (s) => (s === null ? null : chars(text(s)).reverse().join('')) },
    { names: ['LPAD'], fn: pad(true, ctx) },
    { names: ['RPAD'], fn: pad(false, ctx) },
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
        return integer(foldCase(items).split(',').indexOf(needle) + 1);
      },
    },
    {
      names: ['FIELD'],
      arities: 'any',
      fn: (s, ...list) => {
        if (list.length === 0) return wrongArgumentCount('FIELD');
        if (s === null) return 0n;
        const numeric = typeof s !== 'string' && !(s instanceof Uint8Array);
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
      arities: 'any',
      fn: (n, ...list) => {
        if (list.length === 0) return wrongArgumentCount('ELT');
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
      fn: (s, pattern, replacement) => {
        if (!present([s, pattern, replacement])) return null;
        // PCRE's \1 back-references are JavaScript's $1.
        const rep = text(replacement)
          .replaceAll('$', '$$$$')
          .replace(/\\(\d)/g, '$$$1');
        return text(s).replace(regex(text(pattern), true), rep);
      },
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
    { names: ['BIN'], fn: (v) => (v === null ? null : unsigned64(v).toString(2)) },
    { names: ['OCT'], fn: (v) => (v === null ? null : unsigned64(v).toString(8)) },
  ];
}

/** A number as the unsigned 64-bit integer MySQL's HEX/BIN/OCT/BIT_COUNT read it as. */
export function unsigned64(v: SqlValue): bigint {
  const n = typeof v === 'bigint' ? v : BigInt(int(v));
  return BigInt.asUintN(64, n);
}
