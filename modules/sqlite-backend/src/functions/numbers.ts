import { notSupported } from '../errors.js';
import type { MysqlFunction } from './definition.js';
import { unsigned64 } from './strings.js';
import { foldCase, int, num, present, type SqlValue, text } from './values.js';

function isNumber(v: SqlValue): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

function compare(a: SqlValue, b: SqlValue, numeric: boolean): number {
  if (numeric) return num(a) - num(b);
  const x = foldCase(text(a));
  const y = foldCase(text(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * GREATEST / LEAST: NULL if any argument is; numbers compared as numbers, strings as the default
 * collation compares them, and a mix of both as numbers, as MySQL does.
 */
function extreme(greater: boolean) {
  return (...args: SqlValue[]): SqlValue => {
    if (!present(args)) return null;
    const numeric = args.some(isNumber);
    let best: SqlValue = args[0]!;
    for (const v of args.slice(1)) {
      if (greater ? compare(v, best, numeric) > 0 : compare(v, best, numeric) < 0) best = v;
    }
    // A string that won a numeric comparison is answered as its number.
    return numeric && !isNumber(best) ? num(best) : best;
  };
}

/** `value` as a decimal string rounded (half away from zero) or cut to `decimals` places. */
export function decimalString(value: SqlValue, decimals: number, cut: boolean): string {
  let s = typeof value === 'bigint' ? value.toString() : plainNumber(num(value));
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  let [whole = '0', frac = ''] = s.split('.');
  if (decimals < 0) {
    // TRUNCATE(123, -1) / ROUND: the digits left of the point go to zero.
    const keep = Math.max(0, whole.length + decimals);
    const roundUp = !cut && (whole[keep] ?? '0') >= '5';
    let kept = whole.slice(0, keep) || '0';
    if (roundUp) kept = (BigInt(kept) + 1n).toString();
    const out = kept === '0' ? '0' : kept + '0'.repeat(whole.length - keep);
    return negative && out !== '0' ? `-${out}` : out;
  }
  frac = frac.padEnd(decimals + 1, '0');
  let digits = BigInt(whole + frac.slice(0, decimals));
  if (!cut && frac[decimals]! >= '5') digits += 1n;
  let out = digits.toString().padStart(decimals + 1, '0');
  if (decimals > 0) out = `${out.slice(0, -decimals)}.${out.slice(-decimals)}`;
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

/** A number written without an exponent. */
function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Beyond 1e21 toFixed writes an exponent too; such a double is a whole number.
  if (Number.isInteger(n)) return BigInt(n).toString();
  return n
    .toFixed(20)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/**
 * `a` and `b` as whole numbers of one scale, and that scale (7.5 and 2 → 75n, 20n, 1), read from
 * their shortest decimal texts; undefined for a number that needs an exponent. MariaDB divides
 * and takes remainders of the decimals the client wrote (0.3 MOD 0.1 is 0, 0.3 DIV 0.1 is 3),
 * where the doubles SQLite holds them as give 0.09999999999999998 and 2.
 */
function sameScale(a: number, b: number): [bigint, bigint, number] | undefined {
  const parts = [a, b].map((n) => /^(-?\d+)(?:\.(\d+))?$/.exec(String(n)));
  if (parts[0] === null || parts[1] === null) return undefined;
  const scale = Math.max(...parts.map((p) => p![2]?.length ?? 0));
  if (scale > 22) return undefined;
  const [x, y] = parts.map((p) => BigInt(p![1]! + (p![2] ?? '').padEnd(scale, '0')));
  return [x!, y!, scale];
}

/** The numeric functions of MySQL that SQLite lacks. */
export function numberFunctions(): MysqlFunction[] {
  return [
    { names: ['GREATEST'], arities: { atLeast: 2 }, fn: extreme(true) },
    { names: ['LEAST'], arities: { atLeast: 2 }, fn: extreme(false) },
    {
      names: ['RAND'],
      arities: [0, 1],
      deterministic: false,
      fn: (seed) => {
        // MySQL's seeded sequence goes on from row to row of one statement: a function here
        // cannot tell rows from statements, so a seed is refused rather than half honoured.
        if (seed !== undefined) throw notSupported('RAND(seed)');
        return Math.random();
      },
    },
    {
      names: ['SLEEP'],
      deterministic: false,
      fn: (seconds) => {
        if (seconds === null || num(seconds) <= 0) return 0n;
        // Statements run synchronously on the one database: a sleep would stall every session.
        throw notSupported('SLEEP() of more than 0 seconds');
      },
    },
    {
      names: ['TRUNCATE'],
      fn: (x, d) => {
        if (!present([x, d])) return null;
        const places = int(d);
        // An integer stays one (cut to tens, hundreds… for negative places); a double a double.
        if (typeof x === 'bigint') return places >= 0 ? x : BigInt(decimalString(x, places, true));
        return Number(decimalString(x, places, true));
      },
    },
    {
      // FORMAT(x, d[, locale]): rounded, with thousands separators — en_US's whatever the locale.
      // Registered for 2 and 3 arguments so SQLite's own format() (printf) never answers.
      names: ['FORMAT'],
      arities: [2, 3],
      fn: (x, d) => {
        if (!present([x, d])) return null;
        const places = Math.min(Math.max(int(d), 0), 38);
        const s = decimalString(x, places, false);
        const negative = s.startsWith('-');
        const [whole, frac] = (negative ? s.slice(1) : s).split('.');
        const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
        return (negative ? '-' : '') + grouped + (frac === undefined ? '' : `.${frac}`);
      },
    },
    {
      // a DIV b, rewritten into a call: integer division toward zero; NULL for a zero divisor.
      names: ['__mysql_div'],
      fn: (a, b) => {
        if (!present([a, b])) return null;
        if (typeof a === 'bigint' && typeof b === 'bigint') return b === 0n ? null : a / b;
        const [x, y] = [num(a), num(b)];
        if (y === 0) return null;
        const exact = sameScale(x, y);
        return exact === undefined ? BigInt(Math.trunc(x / y)) : exact[0] / exact[1];
      },
    },
    {
      // a MOD b and a % b, rewritten into calls: the remainder with the dividend's sign, of
      // fractions too (SQLite's `%` takes integers); NULL for a zero divisor.
      names: ['__mysql_mod', '__mysql_percent'],
      fn: (a, b) => {
        if (!present([a, b])) return null;
        if (typeof a === 'bigint' && typeof b === 'bigint') return b === 0n ? null : a % b;
        const [x, y] = [num(a), num(b)];
        if (y === 0) return null;
        const exact = sameScale(x, y);
        return exact === undefined ? x % y : Number(exact[0] % exact[1]) / 10 ** exact[2];
      },
    },
    {
      names: ['BIT_COUNT'],
      fn: (v) => {
        if (v === null) return null;
        let n = unsigned64(v);
        let count = 0n;
        while (n > 0n) {
          count += n & 1n;
          n >>= 1n;
        }
        return count;
      },
    },
    {
      names: ['INET_ATON'],
      fn: (v) => {
        if (v === null) return null;
        const parts = text(v).split('.');
        if (parts.length > 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
        // MySQL reads a short form as its last parts: '127.1' is 127.0.0.1.
        const nums = parts.map(Number);
        while (nums.length < 4) nums.splice(nums.length - 1, 0, 0);
        return nums.reduce((acc, p) => acc * 256n + BigInt(p), 0n);
      },
    },
    {
      names: ['INET_NTOA'],
      fn: (v) => {
        if (v === null) return null;
        const n = typeof v === 'bigint' ? v : BigInt(Math.trunc(num(v)));
        if (n < 0n || n > 0xffffffffn) return null;
        return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
      },
    },
  ];
}
