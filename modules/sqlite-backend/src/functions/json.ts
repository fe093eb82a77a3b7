import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { likePattern } from '../engine/show-statement.js';
import { JSON_EXTRACT_VALUE } from '../sql/json-comparison.js';
import { JSON_LITERAL } from '../sql/json-literals.js';
import { type MysqlFunction, wrongArgumentCount } from './definition.js';
import { integer, present, type SqlValue, text } from './values.js';

/**
 * One JSON value as read from a document. Scalars keep their text as written (MariaDB answers
 * `1.0e3` and `"\u00e9"` as written, never reformatted); containers keep theirs for JSON_QUERY and
 * for a document embedded whole, which MariaDB copies as it is.
 */
type Json =
  | { kind: 'object'; entries: { key: string; rawKey: string; value: Json }[]; raw: string }
  | { kind: 'array'; items: Json[]; raw: string }
  | { kind: 'string'; raw: string; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'literal'; raw: 'true' | 'false' | 'null' };

/** JSON's words. */
const LITERALS = ['true', 'false', 'null'] as const;

/** What a string's one-letter escapes stand for; MariaDB reads any other (`\q`) as the letter. */
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Reader {
  pos = 0;
  constructor(readonly s: string) {}

  space(): void {
    while (this.pos < this.s.length && ' \t\n\r'.includes(this.s[this.pos] as string)) this.pos++;
  }

  value(depth: number): Json {
    this.space();
    const start = this.pos;
    const c = this.s[this.pos];
    // MariaDB takes at most 31 objects and arrays one inside another.
    if ((c === '{' || c === '[') && depth >= 31) throw new SyntaxError('too deep');
    if (c === '{') {
      this.pos++;
      const entries: { key: string; rawKey: string; value: Json }[] = [];
      this.space();
      if (this.s[this.pos] === '}') this.pos++;
      else {
        for (;;) {
          this.space();
          if (this.s[this.pos] !== '"') throw new SyntaxError('key');
          const key = this.string();
          this.space();
          if (this.s[this.pos++] !== ':') throw new SyntaxError(':');
          const value = this.value(depth + 1);
          entries.push({ key: key.value, rawKey: key.raw, value });
          this.space();
          const next = this.s[this.pos++];
          if (next === '}') break;
          if (next !== ',') throw new SyntaxError(',');
        }
      }
      return { kind: 'object', entries, raw: this.s.slice(start, this.pos) };
    }
    if (c === '[') {
      this.pos++;
      const items: Json[] = [];
      this.space();
      if (this.s[this.pos] === ']') this.pos++;
      else {
        for (;;) {
          items.push(this.value(depth + 1));
          this.space();
          const next = this.s[this.pos++];
          if (next === ']') break;
          if (next !== ',') throw new SyntaxError(',');
        }
      }
      return { kind: 'array', items, raw: this.s.slice(start, this.pos) };
    }
    if (c === '"') return { kind: 'string', ...this.string() };
    for (const word of LITERALS) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: 'literal', raw: word };
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
    // Read from a short stretch of the document (much faster than from all the rest of a long
    // one), and from all the rest only for a number that fills it.
    let m = number.exec(this.s.slice(this.pos, this.pos + 400));
    if (m !== null && m[0].length === 400) m = number.exec(this.s.slice(this.pos));
    if (m === null) throw new SyntaxError('value');
    this.pos += m[0].length;
    return { kind: 'number', raw: m[0] };
  }

  /** A string token at `pos`: its text as written (quotes included) and its value. */
  string(): { raw: string; value: string } {
    const start = this.pos++;
    let value = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined) throw new SyntaxError('unterminated');
      if (c === '"') break;
      if (c < ' ') throw new SyntaxError('control');
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = this.s[this.pos++];
      if (e === undefined) throw new SyntaxError('escape');
      if (e === 'u') {
        const hex = this.s.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxError('\\u');
        value += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 4;
      } else {
        value += ESCAPES[e] ?? e;
      }
    }
    return { raw: this.s.slice(start, this.pos), value };
  }
}

/** A document, or undefined when it is not valid JSON (MariaDB: NULL and a warning). */
function parse(s: string): Json | undefined {
  const r = new Reader(s);
  try {
    const v = r.value(0);
    r.space();
    return r.pos === s.length ? v : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** A JSON argument, or undefined for NULL or invalid JSON. */
function doc(v: SqlValue): Json | undefined {
  return v === null ? undefined : parse(text(v));
}

/**
 * A string as MariaDB quotes it in JSON: `"`, `\` and control characters escaped (`\n`, `\u001F`),
 * the rest as is — JSON.stringify's escaping, for the strings SQL values give (no lone surrogate,
 * which it alone would escape), but with MariaDB's capital hexadecimal digits.
 */
function quote(s: string): string {
  const q = JSON.stringify(s);
  // Escape by escape, so that the `u00…` after an escaped backslash stays as it is.
  return q.includes('\\u')
    ? q.replace(/\\(?:u00([0-9a-f]{2})|[^u])/g, (e, hex?: string) =>
        hex === undefined ? e : `\\u00${hex.toUpperCase()}`,
      )
    : q;
}

/** MariaDB's text of a value it builds or edits: `{"a": 1, "b": [1, 2]}`. */
function normal(v: Json): string {
  if (v.kind === 'object') return `{${v.entries.map((e) => `${e.rawKey}: ${normal(e.value)}`).join(', ')}}`;
  if (v.kind === 'array') return `[${v.items.map(normal).join(', ')}]`;
  return v.raw;
}

/** JSON_COMPACT's text: no space at all. */
function compact(v: Json): string {
  if (v.kind === 'object') return `{${v.entries.map((e) => `${e.rawKey}:${compact(e.value)}`).join(',')}}`;
  if (v.kind === 'array') return `[${v.items.map(compact).join(',')}]`;
  return v.raw;
}

/** JSON_DETAILED's text: each member on its own line, a container opening below its key. */
function detailed(v: Json, indent: string): string {
  const inner = `${indent}    `;
  const member = (m: Json) => (m.kind === 'object' || m.kind === 'array' ? detailed(m, inner) : m.raw);
  let lines: string[];
  let open: string;
  let close: string;
  if (v.kind === 'object') {
    [open, close] = ['{', '}'];
    lines = v.entries.map((e) =>
      e.value.kind === 'object' || e.value.kind === 'array'
        ? `${inner}${e.rawKey}: \n${inner}${member(e.value)}`
        : `${inner}${e.rawKey}: ${e.value.raw}`,
    );
  } else if (v.kind === 'array') {
    [open, close] = ['[', ']'];
    lines = v.items.map((i) => `${inner}${member(i)}`);
  } else return v.raw;
  // MariaDB writes an empty array `[]` but an empty object over two lines.
  if (lines.length === 0) return v.kind === 'array' ? '[]' : `{\n${indent}}`;
  return `${open}\n${lines.join(',\n')}\n${indent}${close}`;
}

/**
 * Texts one database's JSON functions returned in the statement running now. MariaDB embeds a
 * JSON function's result in JSON_OBJECT, JSON_ARRAY, JSON_SET… as JSON (it is typed JSON) and any
 * other string as a string; a SQLite function sees only the text, so a text one of these
 * functions just built is taken for that result. A statement runs in one synchronous stretch
 * (node:sqlite), so the set is emptied once it is over: a later statement's string stays a string.
 * One per database (its scalar functions and aggregates share it), none shared between servers.
 */
export class JsonResults {
  readonly #texts = new Set<string>();

  /** A JSON function's result, remembered as JSON for a call of the same statement that embeds it. */
  json(s: string): string {
    if (this.#texts.size === 0) queueMicrotask(() => this.#texts.clear());
    this.#texts.add(s);
    return s;
  }

  /** An SQL value as the JSON value MariaDB makes of it for JSON_OBJECT, JSON_ARRAY, JSON_SET… */
  toJson(v: SqlValue): Json {
    if (v === null) return { kind: 'literal', raw: 'null' };
    if (typeof v === 'bigint') return { kind: 'number', raw: String(v) };
    if (typeof v === 'number') return { kind: 'number', raw: numberText(v) };
    const s = text(v);
    if (this.#texts.has(s)) {
      const parsed = parse(s);
      if (parsed !== undefined) return parsed;
    }
    return { kind: 'string', raw: quote(s), value: s };
  }
}

/**
 * A double as MariaDB writes it in JSON: its shortest digits, without an exponent below 1 (1.5e-7
 * is 0.00000015) or where the digits reach the point; an exponent only for trailing zeros past
 * 15 digits (1e15, 2.5e30; 1e14 is 100000000000000).
 */
function numberText(n: number): string {
  if (n === 0) return '0';
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const [mantissa, exponent] = Math.abs(n).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point < digits.length) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point <= 15) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${mantissa}e${point - 1}`;
}

// --- paths -------------------------------------------------------------------------------------

type Step =
  /** A key as written between its quotes: MariaDB matches `\u0061` to `a` by text, not by value. */
  | { kind: 'key'; key: string }
  | { kind: 'anyKey' }
  | { kind: 'index'; from: Index; to?: Index }
  | { kind: 'anyIndex' }
  | { kind: 'descend' };

/** An array position: from the start, or from the end (`last`, `last-1`, `-1`). */
type Index = { fromEnd: boolean; n: number };

interface Path {
  steps: Step[];
  /** Whether it may match more than one value (`*`, `**`, a range). */
  wild: boolean;
}

/** A path such as `$.a[0]."b c"[*]`, `$**.x`, `$[last-1]`, `$[0 to 2]`; undefined if invalid. */
function readPath(v: SqlValue): Path | undefined {
  // MariaDB takes spaces before the path, not after it.
  const s = text(v).trimStart();
  if (!s.startsWith('$')) return undefined;
  const steps: Step[] = [];
  let wild = false;
  let i = 1;
  const index = (t: string): Index | undefined => {
    const m = /^\s*(?:(last)\s*(?:-\s*(\d+))?|(-?\d+))\s*$/.exec(t);
    if (m === null) return undefined;
    if (m[1] !== undefined) return { fromEnd: true, n: m[2] === undefined ? 0 : Number(m[2]) };
    const n = Number(m[3]);
    return n < 0 ? { fromEnd: true, n: -n - 1 } : { fromEnd: false, n };
  };
  while (i < s.length) {
    const c = s[i] as string;
    if (s.startsWith('**', i)) {
      steps.push({ kind: 'descend' });
      wild = true;
      i += 2;
    } else if (c === '.') {
      i++;
      if (s[i] === '*') {
        steps.push({ kind: 'anyKey' });
        wild = true;
        i++;
      } else if (s[i] === '"') {
        const r = new Reader(s);
        r.pos = i;
        try {
          steps.push({ kind: 'key', key: r.string().raw.slice(1, -1) });
        } catch {
          return undefined;
        }
        i = r.pos;
      } else {
        const m = /^[^.[\s*"]+/u.exec(s.slice(i));
        if (m === null) return undefined;
        steps.push({ kind: 'key', key: m[0] });
        i += m[0].length;
      }
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) return undefined;
      const inside = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inside === '*') {
        steps.push({ kind: 'anyIndex' });
        wild = true;
        continue;
      }
      const range = /^(.*?)\s+to\s+(.*)$/i.exec(inside);
      const from = index(range === null ? inside : (range[1] as string));
      const to = range === null ? undefined : index(range[2] as string);
      if (from === undefined || (range !== null && to === undefined)) return undefined;
      steps.push(to === undefined ? { kind: 'index', from } : { kind: 'index', from, to });
      if (to !== undefined) wild = true;
    } else return undefined;
  }
  // A path may not end in `**`.
  if (steps[steps.length - 1]?.kind === 'descend') return undefined;
  return { steps, wild };
}

/** An object member's key as written, without its quotes. */
function bare(member: { rawKey: string }): string {
  return member.rawKey.slice(1, -1);
}

/**
 * A path key's value, as JSON_SET and JSON_REMOVE match it (they find `"\u0061"` by `$.a`, where
 * JSON_EXTRACT does not).
 */
function decoded(key: string): string {
  const r = new Reader(`"${key}"`);
  try {
    return r.string().value;
  } catch (err) {
    if (err instanceof SyntaxError) return key;
    throw err;
  }
}

function position(i: Index, length: number): number {
  return i.fromEnd ? length - 1 - i.n : i.n;
}

/** The values `step` leads to from `v`, in document order. */
function follow(v: Json, step: Step): Json[] {
  switch (step.kind) {
    case 'key': {
      if (v.kind !== 'object') return [];
      // bare(x) === step.key, without cutting a string out of every key compared.
      const e = v.entries.find(
        (x) => x.rawKey.length === step.key.length + 2 && x.rawKey.startsWith(step.key, 1),
      );
      return e === undefined ? [] : [e.value];
    }
    case 'anyKey':
      return v.kind === 'object' ? v.entries.map((e) => e.value) : [];
    case 'anyIndex':
      return v.kind === 'array' ? v.items : [];
    case 'index': {
      // A value that is not an array is read as an array holding it ($[0] of 1 is 1).
      const items = v.kind === 'array' ? v.items : [v];
      const from = position(step.from, items.length);
      const to = step.to === undefined ? from : position(step.to, items.length);
      const out: Json[] = [];
      for (let k = Math.max(0, from); k <= to && k < items.length; k++) out.push(items[k] as Json);
      return out;
    }
    case 'descend':
      return descendants(v);
  }
}

/** `v` and everything inside it, in document order. */
function descendants(v: Json): Json[] {
  const out: Json[] = [v];
  if (v.kind === 'object') for (const e of v.entries) out.push(...descendants(e.value));
  if (v.kind === 'array') for (const i of v.items) out.push(...descendants(i));
  return out;
}

function select(root: Json, path: Path): Json[] {
  let current = [root];
  for (const step of path.steps) current = current.flatMap((v) => follow(v, step));
  return current;
}

/** Reads each path argument; undefined if one is NULL or invalid. */
function paths(args: readonly SqlValue[]): Path[] | undefined {
  const out: Path[] = [];
  for (const a of args) {
    if (a === null) return undefined;
    const p = readPath(a);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

// --- reading functions -------------------------------------------------------------------------

function jsonExtract(results: JsonResults, args: SqlValue[]): SqlValue {
  const d = doc(args[0] ?? null);
  const ps = paths(args.slice(1));
  if (d === undefined || ps === undefined) return null;
  const only = ps[0] as Path;
  if (ps.length === 1 && !only.wild) {
    const v = select(d, only)[0];
    return v === undefined
      ? null
      : v.kind === 'number'
        ? numberValue(results, v.raw)
        : results.json(normal(v));
  }
  return matches(results, d, ps);
}

/** Several paths' or a wildcard's matches in `d`: a JSON array, NULL for none. */
function matches(results: JsonResults, d: Json, ps: readonly Path[]): SqlValue {
  // MariaDB lists the matches in document order, a value once for each path that reaches it.
  const hits = new Map<Json, number>();
  // A value reached twice by one path (`$**[0]`: as an item and as itself) counts once.
  for (const p of ps) for (const v of new Set(select(d, p))) hits.set(v, (hits.get(v) ?? 0) + 1);
  if (hits.size === 0) return null;
  const out: string[] = [];
  for (const v of descendants(d)) for (let k = hits.get(v) ?? 0; k > 0; k--) out.push(normal(v));
  return results.json(`[${out.join(', ')}]`);
}

/**
 * JSON_EXTRACT where its value is compared or computed with (sql/json-comparison.ts renames the
 * call): MariaDB then takes a string found as the string, a number as the number and true as 1.
 */
function jsonExtractValue(results: JsonResults, args: SqlValue[]): SqlValue {
  const d = doc(args[0] ?? null);
  const ps = paths(args.slice(1));
  if (d === undefined || ps === undefined) return null;
  const only = ps[0] as Path;
  if (ps.length !== 1 || only.wild) return matches(results, d, ps);
  const v = select(d, only)[0];
  if (v === undefined) return null;
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number':
      return int64(v.raw) ?? Number(v.raw);
    case 'literal':
      // A JSON null is no SQL NULL there: MariaDB's `= 'null'` is 1 and IS NULL 0.
      return v.raw === 'true' ? 1n : v.raw === 'false' ? 0n : 'null';
    default:
      return results.json(normal(v));
  }
}

/**
 * A number JSON_EXTRACT found, as an SQL number when that writes the same text, so that
 * `JSON_EXTRACT(j, '$.a') = 1` holds as in MariaDB (SQLite never equates the text '1' and 1).
 */
function numberValue(results: JsonResults, raw: string): SqlValue {
  const i = int64(raw);
  if (i !== undefined) return i;
  // An integer beyond 64 bits is never written back as itself (numberText gives it an exponent).
  const n = Number(raw);
  return numberText(n) === raw ? n : results.json(raw);
}

/** A JSON number's text as an SQL integer, if it is one within 64 bits (no point, no exponent). */
function int64(raw: string): bigint | undefined {
  if (!/^-?\d+$/.test(raw)) return undefined;
  const n = BigInt(raw);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * The first value one path leads to, undefined for no value, null for a NULL or invalid argument
 * — or a wildcard path, unless `wild` (only JSON_QUERY and JSON_EXISTS take one in MariaDB).
 */
function first(docArg: SqlValue, pathArg: SqlValue, wild = false): Json | undefined | null {
  const d = doc(docArg);
  const ps = paths([pathArg]);
  if (d === undefined || ps === undefined || (!wild && (ps[0] as Path).wild)) return null;
  return select(d, ps[0] as Path)[0];
}

function jsonUnquote(v: SqlValue): SqlValue {
  if (v === null) return null;
  const s = text(v);
  if (!s.startsWith('"')) return s;
  try {
    // MariaDB reads the first string and ignores what follows ('"a"b"' is a).
    return new Reader(s).string().value;
  } catch (err) {
    if (err instanceof SyntaxError) return s;
    throw err;
  }
}

function scalarValue(v: Json): SqlValue {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number':
      return v.raw;
    case 'literal':
      return v.raw === 'null' ? null : v.raw === 'true' ? '1' : '0';
    default:
      return null;
  }
}

function jsonType(v: SqlValue): SqlValue {
  const d = doc(v);
  if (d === undefined) return null;
  switch (d.kind) {
    case 'object':
      return 'OBJECT';
    case 'array':
      return 'ARRAY';
    case 'string':
      return 'STRING';
    case 'number':
      // 1e3 is an INTEGER to MariaDB too: only a point makes a DOUBLE.
      return d.raw.includes('.') ? 'DOUBLE' : 'INTEGER';
    case 'literal':
      return d.raw === 'null' ? 'NULL' : 'BOOLEAN';
  }
}

function depth(v: Json): number {
  const inner = v.kind === 'object' ? v.entries.map((e) => e.value) : v.kind === 'array' ? v.items : [];
  return inner.length === 0 ? 1 : 1 + Math.max(...inner.map(depth));
}

function equalScalars(a: Json, b: Json): boolean {
  if (a.kind === 'number' && b.kind === 'number') return Number(a.raw) === Number(b.raw);
  if (a.kind === 'string' && b.kind === 'string') return a.value === b.value;
  return a.kind === 'literal' && b.kind === 'literal' && a.raw === b.raw;
}

/** JSON_CONTAINS as MariaDB reads it (a scalar is also found in an array nested in an array). */
function contains(target: Json, candidate: Json): boolean {
  if (target.kind === 'object') {
    if (candidate.kind !== 'object') return false;
    return candidate.entries.every((c) => {
      const t = target.entries.find((e) => e.key === c.key);
      return t !== undefined && contains(t.value, c.value);
    });
  }
  if (target.kind === 'array') {
    if (candidate.kind === 'array')
      return candidate.items.every((c) => target.items.some((t) => contains(t, c)));
    return target.items.some((t) => contains(t, candidate));
  }
  return candidate.kind !== 'object' && candidate.kind !== 'array' && equalScalars(target, candidate);
}

/** Same JSON value: object members in any order, numbers by value, strings by their text. */
function equal(a: Json, b: Json): boolean {
  if (a.kind === 'object' && b.kind === 'object') {
    return (
      a.entries.length === b.entries.length &&
      a.entries.every((e) => b.entries.some((f) => f.key === e.key && equal(e.value, f.value)))
    );
  }
  if (a.kind === 'array' && b.kind === 'array')
    return a.items.length === b.items.length && a.items.every((x, k) => equal(x, b.items[k] as Json));
  return equalScalars(a, b);
}

/** JSON_OVERLAPS: a common array item, or a common object member, or equal scalars. */
function overlaps(a: Json, b: Json): boolean {
  if (a.kind !== 'array' && b.kind === 'array') return overlaps(b, a);
  if (a.kind === 'array') {
    return b.kind === 'array'
      ? a.items.some((x) => b.items.some((y) => equal(x, y)))
      : a.items.some((x) => equal(x, b));
  }
  if (a.kind === 'object' && b.kind === 'object')
    return a.entries.some((e) => b.entries.some((f) => f.key === e.key && equal(e.value, f.value)));
  return equal(a, b);
}

/** JSON_NORMALIZE's text: keys sorted, no spaces, each number as a double `1.5E0`. */
function normalized(v: Json): string {
  if (v.kind === 'object') {
    const sorted = [...v.entries].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    return `{${sorted.map((e) => `${e.rawKey}:${normalized(e.value)}`).join(',')}}`;
  }
  if (v.kind === 'array') return `[${v.items.map(normalized).join(',')}]`;
  if (v.kind !== 'number') return v.raw;
  const [mantissa, exponent] = Number(v.raw).toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

function flag(b: boolean): bigint {
  return b ? 1n : 0n;
}

// --- building and editing ----------------------------------------------------------------------

type Mode = 'set' | 'insert' | 'replace';

/** Where the last step of a path points: the container and the key or position in it. */
function parentOf(root: Json, path: Path): { parents: Json[]; last: Step } | undefined {
  const last = path.steps[path.steps.length - 1];
  if (last === undefined) return undefined;
  return { parents: select(root, { steps: path.steps.slice(0, -1), wild: false }), last };
}

/** Applies one JSON_SET / JSON_INSERT / JSON_REPLACE pair; returns the new root. */
function put(root: Json, path: Path, value: Json, mode: Mode): Json {
  const at = parentOf(root, path);
  if (at === undefined) return mode === 'insert' ? root : value;
  const parent = at.parents[0];
  if (parent === undefined) return root;
  const { last } = at;
  if (last.kind === 'key') {
    if (parent.kind !== 'object') return root;
    const key = decoded(last.key);
    const e = parent.entries.find((x) => x.key === key);
    if (e !== undefined) {
      if (mode !== 'insert') e.value = value;
    } else if (mode !== 'replace') parent.entries.push({ key, rawKey: `"${last.key}"`, value });
    return root;
  }
  if (last.kind !== 'index') return root;
  if (parent.kind === 'array') {
    const k = position(last.from, parent.items.length);
    if (k >= 0 && k < parent.items.length) {
      if (mode !== 'insert') parent.items[k] = value;
    } else if (k >= parent.items.length && mode !== 'replace') parent.items.push(value);
    return root;
  }
  // A value that is not an array: $[0] is the value itself, a later position wraps it.
  const k = position(last.from, 1);
  if (k === 0) return mode === 'insert' ? root : replaceNode(root, parent, value);
  if (k > 0 && mode !== 'replace')
    return replaceNode(root, parent, { kind: 'array', items: [parent, value], raw: '' });
  return root;
}

/** `root` with the node `old` replaced by `value` (or `value` if `old` is the root). */
function replaceNode(root: Json, old: Json, value: Json): Json {
  if (root === old) return value;
  for (const v of descendants(root)) {
    if (v.kind === 'object') for (const e of v.entries) if (e.value === old) e.value = value;
    if (v.kind === 'array') v.items = v.items.map((i) => (i === old ? value : i));
  }
  return root;
}

function remove(root: Json, path: Path): boolean {
  const at = parentOf(root, path);
  if (at === undefined) return false;
  const parent = at.parents[0];
  if (parent === undefined) return true;
  const { last } = at;
  if (last.kind === 'key' && parent.kind === 'object') {
    const key = decoded(last.key);
    const k = parent.entries.findIndex((x) => x.key === key);
    if (k >= 0) parent.entries.splice(k, 1);
  } else if (last.kind === 'index' && parent.kind === 'array') {
    const k = position(last.from, parent.items.length);
    if (k >= 0 && k < parent.items.length) parent.items.splice(k, 1);
  }
  return true;
}

/** A document and (path, value) pairs as JSON_SET and its kin take them. */
function edit(
  results: JsonResults,
  name: string,
  args: SqlValue[],
  apply: (root: Json, path: Path, value: Json) => Json,
): SqlValue {
  // At least three (the arities registered); pairs after the document.
  if (args.length % 2 === 0) wrongArgumentCount(name);
  let root = doc(args[0] ?? null);
  if (root === undefined) return null;
  for (let k = 1; k < args.length; k += 2) {
    const p = args[k] ?? null;
    const path = p === null ? undefined : readPath(p);
    // A wildcard cannot say where to write: MariaDB answers NULL.
    if (path === undefined || path.wild) return null;
    root = apply(root, path, results.toJson(args[k + 1] ?? null));
  }
  return results.json(normal(root));
}

function mergePreserve(a: Json, b: Json): Json {
  if (a.kind === 'object' && b.kind === 'object') {
    const entries = a.entries.map((e) => ({ ...e }));
    for (const e of b.entries) {
      const same = entries.find((x) => x.key === e.key);
      if (same === undefined) entries.push({ ...e });
      else same.value = mergePreserve(same.value, e.value);
    }
    return { kind: 'object', entries, raw: '' };
  }
  const items = (v: Json) => (v.kind === 'array' ? v.items : [v]);
  return { kind: 'array', items: [...items(a), ...items(b)], raw: '' };
}

function mergePatch(target: Json, patch: Json): Json {
  if (patch.kind !== 'object') return patch;
  const entries = target.kind === 'object' ? target.entries.map((e) => ({ ...e })) : [];
  for (const e of patch.entries) {
    const k = entries.findIndex((x) => x.key === e.key);
    if (e.value.kind === 'literal' && e.value.raw === 'null') {
      if (k >= 0) entries.splice(k, 1);
    } else if (k >= 0) {
      const old = entries[k] as (typeof entries)[number];
      old.value = mergePatch(old.value, e.value);
    } else entries.push({ ...e, value: mergePatch({ kind: 'literal', raw: 'null' }, e.value) });
  }
  return { kind: 'object', entries, raw: '' };
}

function merge(results: JsonResults, how: (a: Json, b: Json) => Json) {
  return (...args: SqlValue[]): SqlValue => {
    let out: Json | undefined;
    for (const a of args) {
      const d = doc(a);
      if (d === undefined) return null;
      out = out === undefined ? d : how(out, d);
    }
    return out === undefined ? null : results.json(normal(out));
  };
}

function search(
  results: JsonResults,
  docArg: SqlValue,
  one: SqlValue,
  needle: SqlValue,
  // Left out in a call of three arguments: a backslash escapes, as for NULL or ''.
  escapeChar: SqlValue = null,
  ...ps: SqlValue[]
): SqlValue {
  if (!present([docArg, one, needle])) return null;
  const d = doc(docArg);
  const mode = text(one).toLowerCase();
  if (d === undefined || (mode !== 'one' && mode !== 'all')) return null;
  // Matched as SHOW … LIKE is, not by a regular expression, whose backtracking on `%a%a%a…b`
  // could stall the server for minutes.
  const like = likePattern(
    text(needle),
    escapeChar === null || text(escapeChar) === '' ? '\\' : text(escapeChar),
  );
  const within = paths(ps);
  if (within === undefined) return null;
  // Only strings inside what the paths lead to count, each named by its path from the top (a
  // key as written, unquoted even with a space, as MariaDB names it).
  const inside =
    within.length === 0 ? undefined : new Set(within.flatMap((p) => select(d, p)).flatMap(descendants));
  const found: string[] = [];
  const walk = (v: Json, at: string) => {
    if (v.kind === 'string' && (inside === undefined || inside.has(v)) && like.test(v.value)) found.push(at);
    if (v.kind === 'object') for (const e of v.entries) walk(e.value, `${at}.${bare(e)}`);
    if (v.kind === 'array') for (const [k, i] of v.items.entries()) walk(i, `${at}[${k}]`);
  };
  walk(d, '$');
  if (found.length === 0) return null;
  if (mode === 'one' || found.length === 1) return results.json(quote(found[0] as string));
  return results.json(`[${found.map(quote).join(', ')}]`);
}

/**
 * MariaDB's JSON functions, over SQLite's own of the same names (SQLite's JSON_EXTRACT answers
 * `x` for the string "x", its JSON_OBJECT writes `{"a":1}`, its JSON_TYPE says `text`…). A
 * document that is not valid JSON, or a path that is not valid, answers NULL (MariaDB adds a
 * warning; the backend raises none).
 */
export function jsonFunctions(results: JsonResults): MysqlFunction[] {
  return [
    { names: ['JSON_EXTRACT'], fn: (...args) => jsonExtract(results, args), arities: { atLeast: 2 } },
    {
      names: [JSON_EXTRACT_VALUE],
      fn: (...args) => jsonExtractValue(results, args),
      arities: { atLeast: 2 },
    },
    // A TRUE or FALSE given to a builder (sql/json-literals.ts): JSON's true or false.
    { names: [JSON_LITERAL], fn: (v) => (v === null ? null : results.json(text(v).toLowerCase())) },
    { names: ['JSON_UNQUOTE'], fn: jsonUnquote },
    {
      names: ['JSON_VALUE'],
      fn: (d, p) => {
        const v = first(d, p);
        return v === null || v === undefined ? null : scalarValue(v);
      },
    },
    {
      names: ['JSON_QUERY'],
      fn: (d, p) => {
        const v = first(d, p, true);
        return v === null || v === undefined || (v.kind !== 'object' && v.kind !== 'array')
          ? null
          : results.json(v.raw);
      },
    },
    {
      names: ['JSON_EXISTS'],
      fn: (d, p) => {
        const v = first(d, p, true);
        return v === null ? null : flag(v !== undefined);
      },
    },
    {
      names: ['JSON_OBJECT'],
      fn: (...args) => {
        if (args.length % 2 === 1) wrongArgumentCount('JSON_OBJECT');
        const members: string[] = [];
        for (let k = 0; k < args.length; k += 2) {
          const key = args[k] ?? null;
          // A JSON value given whole is copied as it is written.
          members.push(`${quote(key === null ? '' : text(key))}: ${results.toJson(args[k + 1] ?? null).raw}`);
        }
        return results.json(`{${members.join(', ')}}`);
      },
      arities: { atLeast: 0 },
    },
    {
      names: ['JSON_ARRAY'],
      fn: (...args) => results.json(`[${args.map((a) => results.toJson(a).raw).join(', ')}]`),
      arities: { atLeast: 0 },
    },
    {
      names: ['JSON_SET'],
      fn: (...args) => edit(results, 'JSON_SET', args, (r, p, v) => put(r, p, v, 'set')),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_INSERT'],
      fn: (...args) => edit(results, 'JSON_INSERT', args, (r, p, v) => put(r, p, v, 'insert')),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_REPLACE'],
      fn: (...args) => edit(results, 'JSON_REPLACE', args, (r, p, v) => put(r, p, v, 'replace')),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_ARRAY_APPEND'],
      fn: (...args) =>
        edit(results, 'JSON_ARRAY_APPEND', args, (root, path, value) => {
          const target = select(root, path)[0];
          if (target === undefined) return root;
          if (target.kind === 'array') {
            target.items.push(value);
            return root;
          }
          return replaceNode(root, target, { kind: 'array', items: [target, value], raw: '' });
        }),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_ARRAY_INSERT'],
      fn: (...args) =>
        edit(results, 'JSON_ARRAY_INSERT', args, (root, path, value) => {
          const at = parentOf(root, path);
          const parent = at?.parents[0];
          if (at === undefined || parent?.kind !== 'array' || at.last.kind !== 'index') return root;
          // There `last` is the place after the last item ($[last] appends).
          const from = at.last.from;
          const k = from.fromEnd ? parent.items.length - from.n : from.n;
          parent.items.splice(Math.max(0, Math.min(k, parent.items.length)), 0, value);
          return root;
        }),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_REMOVE'],
      fn: (...args) => {
        const root = doc(args[0] ?? null);
        const ps = paths(args.slice(1));
        if (root === undefined || ps === undefined) return null;
        for (const p of ps) {
          // Removing `$` itself, or through a wildcard, is NULL in MariaDB.
          if (p.wild || p.steps.length === 0) return null;
          remove(root, p);
        }
        return results.json(normal(root));
      },
      arities: { atLeast: 2 },
    },
    {
      names: ['JSON_CONTAINS'],
      fn: (d, candidate, p) => {
        // first() answers null for a NULL or invalid document too.
        const target = p === undefined ? (doc(d) ?? null) : first(d, p);
        const c = doc(candidate);
        if (target === null || c === undefined) return null;
        return flag(target !== undefined && contains(target, c));
      },
      arities: [2, 3],
    },
    {
      names: ['JSON_CONTAINS_PATH'],
      fn: (d, one, ...rest) => {
        const root = doc(d);
        const ps = paths(rest);
        if (root === undefined || ps === undefined || one === null) return null;
        const mode = text(one).toLowerCase();
        if (mode !== 'one' && mode !== 'all') return null;
        const found = ps.map((p) => select(root, p).length > 0);
        return flag(mode === 'one' ? found.some(Boolean) : found.every(Boolean));
      },
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_LENGTH'],
      fn: (d, p) => {
        const v = p === undefined ? (doc(d) ?? null) : first(d, p);
        if (v === null || v === undefined) return null;
        return integer(v.kind === 'object' ? v.entries.length : v.kind === 'array' ? v.items.length : 1);
      },
      arities: [1, 2],
    },
    {
      names: ['JSON_DEPTH'],
      fn: (d) => {
        const v = doc(d);
        return v === undefined ? null : integer(depth(v));
      },
    },
    {
      names: ['JSON_KEYS'],
      fn: (d, p) => {
        const v = p === undefined ? (doc(d) ?? null) : first(d, p);
        if (v === null || v === undefined || v.kind !== 'object') return null;
        return results.json(`[${v.entries.map((e) => e.rawKey).join(', ')}]`);
      },
      arities: [1, 2],
    },
    { names: ['JSON_TYPE'], fn: jsonType },
    { names: ['JSON_VALID'], fn: (v) => (v === null ? null : flag(parse(text(v)) !== undefined)) },
    {
      names: ['JSON_QUOTE'],
      // MariaDB quotes strings only: JSON_QUOTE(1) is NULL.
      fn: (v) => (typeof v === 'string' || v instanceof Uint8Array ? results.json(quote(text(v))) : null),
    },
    {
      names: ['JSON_COMPACT'],
      fn: (d) => {
        const v = doc(d);
        return v === undefined ? null : results.json(compact(v));
      },
    },
    {
      names: ['JSON_DETAILED', 'JSON_PRETTY'],
      fn: (d) => {
        const v = doc(d);
        return v === undefined ? null : results.json(detailed(v, ''));
      },
      arities: [1, 2],
    },
    {
      names: ['JSON_MERGE_PRESERVE', 'JSON_MERGE'],
      fn: merge(results, mergePreserve),
      arities: { atLeast: 2 },
    },
    { names: ['JSON_MERGE_PATCH'], fn: merge(results, mergePatch), arities: { atLeast: 2 } },
    {
      names: ['JSON_SEARCH'],
      fn: (d, one, needle, escapeChar, ...ps) => search(results, d, one, needle, escapeChar, ...ps),
      arities: { atLeast: 3 },
    },
    {
      names: ['JSON_EQUALS'],
      fn: (a, b) => {
        const [x, y] = [doc(a), doc(b)];
        return x === undefined || y === undefined ? null : flag(equal(x, y));
      },
    },
    {
      names: ['JSON_OVERLAPS'],
      fn: (a, b) => {
        const [x, y] = [doc(a), doc(b)];
        return x === undefined || y === undefined ? null : flag(overlaps(x, y));
      },
    },
    {
      names: ['JSON_NORMALIZE'],
      fn: (d) => {
        const v = doc(d);
        return v === undefined ? null : results.json(normalized(v));
      },
    },
  ];
}

/**
 * JSON_ARRAYAGG and JSON_OBJECTAGG, written as MariaDB writes them: `[1,"a",null]` and
 * `{"a":1, "b":2}` (no space in the array, one after each object member's comma); NULL for no
 * rows. JSON_OBJECTAGG skips a row whose key is NULL. `results` is the one the database's
 * {@link jsonFunctions} were made with: a JSON argument is embedded as written, a string quoted.
 */
export function registerJsonAggregates(db: DatabaseSync, results: JsonResults): void {
  const options = { useBigIntArguments: true, deterministic: true };
  const member = (v: SQLInputValue) => results.toJson(v as SqlValue).raw;
  db.aggregate('JSON_ARRAYAGG', {
    ...options,
    start: (() => []) as unknown as () => SQLInputValue,
    step: (acc, value) => {
      (acc as unknown as string[]).push(member(value));
      return acc;
    },
    result: (acc) => {
      const items = acc as unknown as string[];
      return items.length === 0 ? null : results.json(`[${items.join(',')}]`);
    },
  });
  db.aggregate('JSON_OBJECTAGG', {
    ...options,
    start: (() => []) as unknown as () => SQLInputValue,
    step: (acc, key, value) => {
      if (key !== null) (acc as unknown as string[]).push(`${quote(text(key as SqlValue))}:${member(value)}`);
      return acc;
    },
    result: (acc) => {
      const members = acc as unknown as string[];
      return members.length === 0 ? null : results.json(`{${members.join(', ')}}`);
    },
  });
}
