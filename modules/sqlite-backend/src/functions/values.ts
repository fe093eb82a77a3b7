/** A value as node:sqlite hands it to a function, and as a function may return it. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** The text MySQL would see in a value used as a string (a blob's bytes read as UTF-8). */
export function text(v: SqlValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

/** The bytes of a value used as a string: a blob's own, a text's UTF-8. */
export function bytes(v: SqlValue): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(text(v), 'utf8');
}

/**
 * A value used as a number, as MySQL converts a string: its leading numeric part (`'12abc'` is
 * 12, `'abc'` 0).
 */
export function num(v: SqlValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const m = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(text(v));
  return m === null ? 0 : Number(m[0]);
}

/**
 * A value used as an integer count or position: a decimal number rounded (half away from zero),
 * a string's number cut at the point, as MySQL converts each.
 */
export function int(v: SqlValue): number {
  if (typeof v === 'bigint') return Number(v);
  const n = num(v);
  if (typeof v !== 'number') return Math.trunc(n);
  return n < 0 ? -Math.round(-n) : Math.round(n);
}

/** An integer result: SQLite takes a JavaScript number as REAL, a bigint as INTEGER. */
export function integer(n: number): bigint {
  return BigInt(Math.trunc(n));
}

/** The characters (code points) of a string: MySQL counts utf8mb4 characters, not UTF-16 units. */
export function chars(s: string): string[] {
  return Array.from(s);
}

/** Whether every argument is non-NULL (MySQL's functions answer NULL for a NULL argument). */
export function present(args: readonly SqlValue[]): boolean {
  for (const a of args) if (a === null) return false;
  return true;
}

/** One character as MySQL's default collation (utf8mb4_general_ci) weighs it: no case, no accent. */
export function foldChar(c: string): string {
  return c.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * A string as utf8mb4_general_ci compares it, closely enough for the functions here: without
 * case or accents, and trailing spaces ignored (PAD SPACE).
 */
export function foldCase(s: string): string {
  return foldChar(s).replace(/ +$/, '');
}

/** Whether the value is a binary string (a blob), whose length and positions count bytes. */
export function isBinary(v: SqlValue): v is Uint8Array {
  return v instanceof Uint8Array;
}
