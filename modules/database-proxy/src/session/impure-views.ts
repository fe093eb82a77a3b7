/**
 * Views whose SELECT is not a pure read.
 *
 * The proxy classifies a statement by its text, and `SELECT * FROM v` reads like a pure read
 * even when v's definition calls a stored function that writes. A pure read may be stacked,
 * moved off a stalled connection and run again when its connection is lost — so a write hidden
 * in a view could be applied twice. This list, loaded from the server's
 * information_schema.VIEWS, lets a client session see through the view: a SELECT that names one
 * of these views is an ordinary statement.
 *
 * A view is impure when its definition is not a pure read by the proxy's own rules (it calls
 * something other than a known built-in, locks, …), when the server did not show its definition
 * (no SHOW VIEW privilege), or when it reads another impure view. Until the list is known, and
 * while a client's view DDL is in flight, every SELECT counts as impure: no stacking, no reruns,
 * rather than a guess.
 *
 * Names are matched the way the server resolves them: `schema.view`, or a bare `view` in the
 * statement's default schema. A name in a string literal or a column that happens to share a
 * view's name also counts — a needless miss of stacking, never a wrong answer.
 */
import { asUtf8Text } from './client-charsets.js';
import { blankLiteralsAndComments, classifyStatement, Trait } from './statement-traits.js';

/** One row of information_schema.VIEWS. */
export interface ViewDefinition {
  schema: string;
  name: string;
  /** Empty when the server does not show it to the proxy's backend user. */
  definition: string;
}

/**
 * One identifier: backquoted (any characters, `` for a backquote), double-quoted (ANSI_QUOTES), or
 * bare. A quoted one of at most 128 characters as written (64 as read, MariaDB's limit): unbounded,
 * an unclosed quote before millions of characters overflowed the matcher's stack.
 */
const IDENT = '(?:`((?:[^`]|``){1,128})`|"((?:[^"]|""){1,128})"|([0-9A-Za-z_$\\u0080-\\u00ff]+))';
/**
 * What the server skips between the parts of a qualified name: white space and comments — from
 * `#` or `-- ` to the end of the line, C-style ones, and the opener (with its version number)
 * and closer of an executable comment, whose inside is code: `test`, an executable comment
 * holding `.v`, names test.v.
 */
const GAP =
  '(?:\\s|/\\*M?!\\d*|\\*/|/\\*[\\s\\S]*?\\*/|#[^\\n]*(?:\\n|$)|--[\\x00-\\x20\\x7f-\\xff][^\\n]*(?:\\n|$))*';
/**
 * A name, optionally qualified (`a.b`, white space or comments allowed around the dot), as it
 * looks in SQL text decoded as latin1 (how sessions read statements). Groups 1–3: the first
 * identifier, 4–6: the second, each in one of its three forms.
 */
const NAME = new RegExp(`${IDENT}(?:${GAP}\\.${GAP}${IDENT})?`, 'g');

/** A name as it appears in SQL text decoded from UTF-8 bytes as latin1, lowercased. */
function latin1Lower(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1').toLowerCase();
}

function key(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}

export class ImpureViews {
  /** `schema\0name` keys (latin1 view of the UTF-8 bytes, lowercased) of the impure views. */
  private keys = new Set<string>();
  /**
   * Any of the impure views' names, as written in SQL (quotes doubled inside a quoted name), in
   * any case: text it does not find names none of them, which skips the full reading — that
   * costs 7–10 µs for a statement with a string literal, paid by every pure read while any view
   * is impure (every view is when the proxy's account lacks SHOW VIEW). Undefined: none is impure.
   */
  private anyName: RegExp | undefined;
  /** Whether the list reflects the server: false before the first check and after view DDL. */
  private known = false;
  /** Whether a check ever succeeded. */
  private loaded = false;
  /** Checking is off: no view is impure, whatever DDL runs. */
  private off = false;
  /** Bumped on every change, so a cached answer for a prepared statement can tell it is stale. */
  version = 0;
  /** The last default schema asked about and its key form: sessions mostly share one. */
  private lastSchema: string | null = null;
  private lastSchemaKey: string | null = null;

  /** Whether the list has been loaded (and not invalidated since). */
  get isKnown(): boolean {
    return this.known;
  }

  /** How many views are impure (for stats). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Replaces the list with what the server reported.
   * @param asOf {@link version} when the server was asked: if view DDL invalidated the list
   *   since, the answer may predate it, so the list stays unknown until the next check.
   */
  load(views: readonly ViewDefinition[], asOf = this.version): void {
    const impure = new Set<string>();
    const rest: { key: string; schema: string; definition: string }[] = [];
    for (const v of views) {
      const schema = latin1Lower(v.schema);
      const k = key(schema, latin1Lower(v.name));
      const definition = v.definition.trim();
      if (definition === '' || !(classifyStatement(definition) & Trait.PureRead)) impure.add(k);
      else rest.push({ key: k, schema, definition: Buffer.from(definition, 'utf8').toString('latin1') });
    }
    // A view reading an impure view is impure too: repeat until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (const v of rest) {
        if (!impure.has(v.key) && mentions(v.definition, v.schema, impure)) {
          impure.add(v.key);
          changed = true;
        }
      }
    }
    this.keys = impure;
    this.anyName = namePattern(impure);
    this.loaded = true;
    this.known = asOf === this.version;
    this.version++;
  }

  /**
   * The server's views are changing (a client's CREATE/ALTER/DROP VIEW, sent and again when
   * answered): trust nothing, including a check already on its way.
   */
  invalidate(): void {
    if (this.off) return;
    this.known = false;
    this.version++;
  }

  /** Checking is turned off: from now on no view counts as impure. */
  assumeNone(): void {
    this.keys = new Set();
    this.anyName = undefined;
    this.known = true;
    this.off = true;
    this.version++;
  }

  /**
   * The server could not be asked. Before any check succeeded (a server without the catalog,
   * or one that failed at start), go on with no impure views; after one, a list made unknown by
   * view DDL stays unknown until a check succeeds.
   * @param asOf as for {@link load}
   */
  keepCurrent(asOf = this.version): void {
    if (this.known || this.loaded || asOf !== this.version) return;
    this.known = true;
    this.version++;
  }

  /**
   * Whether SQL text (decoded as latin1) may read an impure view: it names one, or the list is
   * not known right now.
   * @param schema the statement's default schema (where bare names resolve), null for none
   */
  mayReadImpureView(latin1Sql: string, schema: string | null, charset?: string): boolean {
    if (!this.known) return true;
    const anyName = this.anyName;
    if (anyName === undefined) return false;
    if (schema !== this.lastSchema) {
      this.lastSchema = schema;
      this.lastSchemaKey = schema === null ? null : latin1Lower(schema);
    }
    if (anyName.test(latin1Sql) && mentionsAnyReading(latin1Sql, this.lastSchemaKey, this.keys)) return true;
    // The catalog's names are UTF-8; a client writing another character set (latin1's é, cp1251's
    // и are one byte) names them in its own bytes.
    if (!NON_ASCII.test(latin1Sql)) return false;
    const asUtf8 = asUtf8Text(latin1Sql, charset);
    return (
      asUtf8 !== undefined &&
      anyName.test(asUtf8) &&
      mentionsAnyReading(asUtf8, this.lastSchemaKey, this.keys)
    );
  }
}

/**
 * A case-insensitive pattern for the view names of `keys` in every form SQL can spell them:
 * bare or quoted as they are, and backquoted or double-quoted with that quote doubled. Every
 * name {@link mentions} can find contains one of these as written, in every reading (blanking
 * only turns characters into spaces). For latin1 text, the `i` flag's comparison is the same
 * as comparing lowercased text.
 */
function namePattern(keys: ReadonlySet<string>): RegExp | undefined {
  if (keys.size === 0) return undefined;
  const forms = new Set<string>();
  for (const k of keys) {
    const name = k.slice(k.indexOf('\u0000') + 1);
    forms.add(name).add(name.replaceAll('`', '``')).add(name.replaceAll('"', '""'));
  }
  return new RegExp([...forms].map((f) => f.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('|'), 'i');
}

const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * Whether `sql` names a view in `keys`, as it is and with its literals and comments blanked by
 * every way the server may read them: a quote inside a string (`'"'`) would otherwise open a
 * quoted name in the text as it is and swallow the view's name after it, and an executable
 * comment's opener hides a name glued to its version number (`/*!50000v*\/` names v).
 */
function mentionsAnyReading(sql: string, schema: string | null, keys: ReadonlySet<string>): boolean {
  if (mentions(sql, schema, keys)) return true;
  if (!QUOTE_OR_EXECUTABLE.test(sql)) return false;
  for (const [noBackslashEscapes, ansiQuotes] of READINGS)
    if (mentions(namesOnly(sql, noBackslashEscapes, ansiQuotes), schema, keys)) return true;
  return false;
}

const QUOTE_OR_EXECUTABLE = /['"`]|\/\*M?!/;
const READINGS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/**
 * `sql` with string literals and comments blanked and quoted names as they are: blankLiteralsAndComments
 * blanks every quoted part, keeping its quotes; the names' contents are put back.
 */
function namesOnly(sql: string, noBackslashEscapes: boolean, ansiQuotes: boolean): string {
  const blanked = blankLiteralsAndComments(sql, noBackslashEscapes, undefined, ansiQuotes);
  let out = '';
  let from = 0;
  for (let i = 0; i < blanked.length; i++) {
    const c = blanked[i];
    if (c === "'" || (c === '"' && !ansiQuotes)) {
      // A literal: blanked in between, so the next such quote ends it.
      const end = blanked.indexOf(c, i + 1);
      if (end < 0) break;
      i = end;
    } else if (c === '`' || c === '"') {
      const end = blanked.indexOf(c, i + 1);
      if (end < 0) break;
      out += blanked.slice(from, i) + sql.slice(i, end + 1);
      from = end + 1;
      i = end;
    }
  }
  return out + blanked.slice(from);
}

/** Whether `sql` names a view in `keys`; bare names resolve in `schema` (lowercased latin1). */
function mentions(sql: string, schema: string | null, keys: ReadonlySet<string>): boolean {
  NAME.lastIndex = 0;
  for (let m = NAME.exec(sql); m !== null; m = NAME.exec(sql)) {
    const first = identifier(m[1], m[2], m[3]);
    const second = identifier(m[4], m[5], m[6]);
    if (second !== undefined) {
      if (keys.has(key(first!, second))) return true;
    } else if (schema !== null && keys.has(key(schema, first!))) {
      return true;
    }
  }
  return false;
}

/** The lowercased name from one of an IDENT's three groups (undefined when none matched). */
function identifier(backquoted?: string, doubleQuoted?: string, bare?: string): string | undefined {
  if (backquoted !== undefined) return backquoted.replaceAll('``', '`').toLowerCase();
  if (doubleQuoted !== undefined) return doubleQuoted.replaceAll('""', '"').toLowerCase();
  return bare?.toLowerCase();
}
