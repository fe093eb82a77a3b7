/**
 * How one client's server reads its SQL text, as far as the proxy can tell: whether a backslash
 * escapes (NO_BACKSLASH_ESCAPES, from the last response's status flags), whether the client
 * writes in a double-byte character set whose characters may end in a backslash or backquote
 * byte, and — where the proxy cannot tell — every way the server may read it. The statement
 * readers (classifyStatement, blankLiteralsAndComments…) are pure; this holds what they are
 * asked with for one session.
 */
import {
  noBackslashEscapes,
  SERVER_STATUS_AUTOCOMMIT,
  SERVER_STATUS_NO_BACKSLASH_ESCAPES,
} from '@scalestack/mysql-protocol';
import { type CharsetStatement, charsetStatementOf } from './charset-statements.js';
import { type DoubleByteCharset, doubleByteCharsetOf } from './double-byte.js';
import type { SessionState } from './session-state.js';
import { type StatementScopedVariables, statementScopedVariables } from './set-statement.js';
import {
  blankLiteralsAndComments,
  classifyStatement,
  combineReadings,
  connectionIdColumn,
  firstBoundary,
  fromTableAtTopLevel,
  leadingKeyword,
  releasesSession,
  type SavepointEffect,
  type StatementBoundary,
  savepointEffect,
  Trait,
} from './statement-traits.js';

/** A text that names sql_mode may change how the server reads the rest of it. */
const SQL_MODE = /sql_mode/i;

/** A way the server may read a text: NO_BACKSLASH_ESCAPES, ANSI_QUOTES. */
type Reading = readonly [boolean, boolean];

/** What the servers behind the proxy do by default (see ProxyCore). */
export interface ServerDefaults {
  /** The servers' sql_mode has NO_BACKSLASH_ESCAPES by default (some or all of them). */
  readonly noBackslashEscapesByDefault: boolean;
  /** Some servers have it by default and others not. */
  readonly backslashDefaultsDiffer: boolean;
  /** The servers' global autocommit is off (some or all of them). */
  readonly autocommitOffByDefault: boolean;
}

/** The status flags a session starts with, before any response: as the servers' defaults say. */
export function defaultStatusFlags(d: ServerDefaults): number {
  return (
    (d.autocommitOffByDefault ? 0 : SERVER_STATUS_AUTOCOMMIT) |
    (d.noBackslashEscapesByDefault ? SERVER_STATUS_NO_BACKSLASH_ESCAPES : 0)
  );
}

export class SqlReader {
  /** The status flags of the last response a backend gave this client (its NO_BACKSLASH_ESCAPES). */
  statusFlags: number;
  /** Whether a response told the session's NO_BACKSLASH_ESCAPES yet. */
  private statusKnown = false;
  /** The character set of the client's login (or last COM_CHANGE_USER). */
  loginCharset = 0;

  constructor(
    private readonly defaults: ServerDefaults,
    private readonly state: SessionState,
  ) {
    this.statusFlags = this.defaultStatus();
  }

  /** A response came with these status flags. */
  answered(statusFlags: number): void {
    this.statusFlags = statusFlags;
    this.statusKnown = true;
  }

  /** A new session (a reset): nothing known before its first response. */
  reset(): void {
    this.statusFlags = this.defaultStatus();
    this.statusKnown = false;
  }

  /**
   * The session has autocommit off, as its last response said: any statement may open a
   * transaction, so none is a pure read.
   */
  get autocommitOff(): boolean {
    return this.statusKnown && !(this.statusFlags & SERVER_STATUS_AUTOCOMMIT);
  }

  /** The session's sql_mode has NO_BACKSLASH_ESCAPES, as its last response said. */
  get noBackslashEscapes(): boolean {
    return noBackslashEscapes(this.statusFlags);
  }

  /** The client writes in big5, cp932, gbk or sjis: characters may end in a 0x5C byte. */
  get doubleByte(): DoubleByteCharset | undefined {
    return doubleByteCharsetOf(this.state.variables.get('character_set_client'), this.loginCharset);
  }

  /**
   * Classifies SQL as the session's server parses it. Where a backslash may be read two ways,
   * read it both ways and combine them with {@link combineReadings}: what takes a pin counts
   * from either reading, what is a pure read or ends a pin only from both — a guess that
   * misreads a string could hide a GET_LOCK or a second statement. That is before any response
   * says whether backslashes escape, with a server whose default says they do not; and in
   * double quotes, which ANSI_QUOTES (not told in any response) makes a name, in which a
   * backslash escapes nothing.
   */
  classify(text: string): number {
    // Without a backslash every reading is the same; a two-byte character then matters only if
    // it ends in a backquote.
    if (text.indexOf('\\') < 0) {
      const doubleByte = text.indexOf('`') >= 0 ? this.doubleByte : undefined;
      return classifyStatement(text, this.noBackslashEscapes, doubleByte);
    }
    const ways = this.readingsOf(text);
    if (ways === undefined) return classifyStatement(text, this.noBackslashEscapes, this.doubleByte);
    return combineReadings(
      ways.map(([noBackslashEscapes, ansiQuotes]) =>
        classifyStatement(text, noBackslashEscapes, this.doubleByte, ansiQuotes),
      ),
    );
  }

  /**
   * Whether `text` reads a table (see fromTableAtTopLevel) by every way the server may read it:
   * a FROM seen only by a misreading would start a replay after reads whose warnings the
   * statement asks about. Replaying one read too many costs nothing.
   */
  readsTable(text: string): boolean {
    const ways = (text.indexOf('\\') >= 0 ? this.readingsOf(text) : undefined) ?? [
      [this.noBackslashEscapes, false] as const,
    ];
    return ways.every(([noBackslashEscapes, ansiQuotes]) =>
      fromTableAtTopLevel(blankLiteralsAndComments(text, noBackslashEscapes, this.doubleByte, ansiQuotes)),
    );
  }

  /** Whether `text` is a pure read that names no table (so no view either). */
  readsNoTable(text: string): boolean {
    return (
      (this.classify(text) & Trait.PureRead) !== 0 &&
      !/\bFROM\b/i.test(blankLiteralsAndComments(text, this.noBackslashEscapes, this.doubleByte))
    );
  }

  /** The column name of `SELECT CONNECTION_ID() …` alone, if the proxy answers it (see connectionIdColumn). */
  connectionIdColumn(text: string): string | undefined {
    return connectionIdColumn(text, this.noBackslashEscapes, this.doubleByte);
  }

  /** The first keyword of `text` (see leadingKeyword). */
  leadingKeyword(text: string): string | undefined {
    return leadingKeyword(text, this.noBackslashEscapes, this.doubleByte);
  }

  /** What the first statement of `text` does to the session's transaction (see firstBoundary). */
  firstBoundary(text: string): StatementBoundary | undefined {
    return firstBoundary(text, this.noBackslashEscapes, this.doubleByte);
  }

  /** What `text` does to the transaction's savepoints (see savepointEffect). */
  savepointEffect(text: string): SavepointEffect | undefined {
    return savepointEffect(text, this.noBackslashEscapes, this.doubleByte);
  }

  /** Whether `text` ends the session at the server (see releasesSession). */
  releasesSession(text: string, completionType: string | undefined): boolean {
    return releasesSession(text, completionType, this.noBackslashEscapes, this.doubleByte);
  }

  /** What `text` sets for itself only (`SET STATEMENT … FOR`), if anything. */
  statementScoped(text: string): StatementScopedVariables | undefined {
    return statementScopedVariables(text, this.noBackslashEscapes, this.doubleByte);
  }

  /** How the statement in `payload` changes character sets (see charsetStatementOf). */
  charsetStatement(payload: Buffer | undefined): CharsetStatement {
    return charsetStatementOf(payload, this.noBackslashEscapes, this.doubleByte);
  }

  /**
   * The ways the server may read `text`, which has a backslash, when the proxy cannot tell which
   * it uses; or undefined when every reading is the same — a backslash whose meaning is known,
   * outside double quotes.
   */
  private readingsOf(text: string): Reading[] | undefined {
    const d = this.defaults;
    const unsure =
      (d.noBackslashEscapesByDefault &&
        // Before any response; or, with servers whose defaults differ, for as long as the client
        // leaves sql_mode to each server's default (the last response may be another server's).
        (!this.statusKnown || (d.backslashDefaultsDiffer && !this.state.variables.has('sql_mode')))) ||
      // The text may change sql_mode for what follows in it (`SET sql_mode=…; SELECT …`): the
      // server reads each statement of a batch after running the one before.
      SQL_MODE.test(text);
    const quoted = text.indexOf('"') >= 0;
    if (!unsure && !quoted) return undefined;
    const ways: Reading[] = [];
    // Where backslashes escape nothing, double quotes read the same either way.
    if (unsure || this.noBackslashEscapes) ways.push([true, false]);
    if (unsure || !this.noBackslashEscapes) {
      ways.push([false, false]);
      if (quoted) ways.push([false, true]);
    }
    return ways;
  }

  /** What a session starts with, before any response: the servers' NO_BACKSLASH_ESCAPES. */
  private defaultStatus(): number {
    return defaultStatusFlags(this.defaults);
  }
}
