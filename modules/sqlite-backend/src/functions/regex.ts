import { MysqlError } from '../errors.js';

/** POSIX bracket classes, which MariaDB's PCRE takes inside `[…]`, as JavaScript class contents. */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: '\\p{L}',
  digit: '0-9',
  alnum: '\\p{L}\\p{N}',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: '\\s',
  blank: ' \\t',
  punct: '\\p{P}\\p{S}',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\p{Cc}',
  word: '\\w',
  print: '\\P{C}',
  graph: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}',
};

/** Characters a `\` may escape in a JavaScript `u` pattern; PCRE lets any be escaped. */
const SYNTAX = new Set('^$\\.*+?()[]{}|/-');

function refuse(why: string): never {
  throw new MysqlError(1139, `Regex error '${why}'`, '42000');
}

/**
 * A MariaDB (PCRE) pattern as a JavaScript one: POSIX classes (`[[:alpha:]]`), word boundaries
 * (`[[:<:]]`), `\A` and `\z`, possessive quantifiers (read as greedy), a leading `(?i)` (the
 * match ignores case anyway), escapes of characters that need none.
 *
 * JavaScript's engine backtracks without limit and the backend has one database connection for
 * every session, so a repeated group that itself ends in a repetition (`(a+)+`, `(\w*x*)*`),
 * which can take exponential time, is refused rather than run; `(\d+\.)+` is not.
 */
export function toJavaScript(pattern: string): string {
  const p = pattern.replace(/^\(\?[a-zA-Z]+\)/, '');
  let out = '';
  let inClass = false;
  // Per open group: whether what it holds so far ends in an unbounded repetition.
  const groups: boolean[] = [];
  let endsInRepeat = false;
  let closedRepeating = false;
  const unbounded = (i: number) => p[i] === '+' || p[i] === '*' || /^\{\d*,\}/.test(p.slice(i));
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const wasClosed = closedRepeating;
    closedRepeating = false;
    if (c === '\\') {
      const next = p[i + 1] ?? '';
      i++;
      if (!inClass) endsInRepeat = false;
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && (next === 'z' || next === 'Z')) out += '$';
      else if (/[A-Za-z0-9]/.test(next) || SYNTAX.has(next)) out += `\\${next}`;
      else out += next;
      continue;
    }
    if (inClass) {
      const posix = c === '[' ? /^\[:(\w+):\]/.exec(p.slice(i)) : null;
      if (posix !== null && POSIX_CLASSES[posix[1]!] !== undefined) {
        out += POSIX_CLASSES[posix[1]!];
        i += posix[0].length - 1;
      } else {
        if (c === ']') inClass = false;
        out += c === '[' ? '\\[' : c;
      }
      continue;
    }
    if (p.startsWith('[[:<:]]', i) || p.startsWith('[[:>:]]', i)) {
      endsInRepeat = false;
      out += p[i + 3] === '<' ? '\\b(?=\\w)' : '\\b(?<=\\w)';
      i += 6;
      continue;
    }
    if (c === '[') {
      inClass = true;
      endsInRepeat = false;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      groups.push(endsInRepeat);
      endsInRepeat = false;
    } else if (c === ')') {
      closedRepeating = endsInRepeat;
      endsInRepeat = groups.pop() ?? false;
    } else if (unbounded(i)) {
      if (wasClosed) refuse('a repeated group that ends in a repetition (such as (a+)+) may run for hours');
      endsInRepeat = true;
      if (c === '{') {
        const q = /^\{\d*,\}/.exec(p.slice(i))![0];
        out += q.slice(0, -1);
        i += q.length - 1;
      }
    } else if (c !== '|' && c !== '?') {
      endsInRepeat = false;
    }
    out += p[i];
    // PCRE's possessive `a++`: the second `+` goes.
    if ((p[i] === '+' || p[i] === '*' || p[i] === '?' || p[i] === '}') && p[i + 1] === '+') i++;
  }
  return out;
}

/** The patterns last used, so one applied to every row compiles once. */
const compiled = new Map<string, RegExp>();

/** `pattern` compiled (case-insensitively, as MariaDB's default collation matches). */
export function regex(pattern: string, global = false): RegExp {
  const key = (global ? 'g' : '-') + pattern;
  let r = compiled.get(key);
  if (r === undefined) {
    try {
      r = new RegExp(toJavaScript(pattern), global ? 'giu' : 'iu');
    } catch (e) {
      if (e instanceof MysqlError) throw e;
      refuse((e as Error).message);
    }
    if (compiled.size >= 64) compiled.clear();
    compiled.set(key, r);
  }
  r.lastIndex = 0;
  return r;
}

/**
 * REGEXP_REPLACE: every non-empty match of `pattern` in `s` replaced by `replacement`, in which
 * `\0`–`\9` stand for the match and its groups (a group that did not take part: nothing), as
 * MariaDB's PCRE replaces. Empty matches are left alone, as there.
 */
export function regexReplace(s: string, pattern: string, replacement: string): string {
  return s.replace(regex(pattern, true), (...args: unknown[]) => {
    const match = args[0] as string;
    if (match === '') return '';
    const end = args.findIndex((a, i) => i > 0 && typeof a === 'number');
    const groups = args.slice(0, end) as (string | undefined)[];
    return replacement.replace(/\\([0-9])|\\\\/g, (_all, n: string | undefined) =>
      n === undefined ? '\\' : (groups[Number(n)] ?? ''),
    );
  });
}
