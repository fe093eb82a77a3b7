/**
 * A cheap look at SQL text, before a statement is sent, for what the session-state tracker
 * cannot tell us (or cannot tell us in time): things that bind a backend connection to one
 * client, and statements that read results belonging to the caller's previous statement.
 *
 * It errs on the side of pinning: a keyword inside a string literal or comment can pin a
 * session needlessly (a lost chance to share), never the other way round (wrong results).
 * Whatever the server reports through SESSION_TRACK and the status flags is used on top.
 */
import type { DoubleByteCharset } from './double-byte.js';
import { RESERVED_WORDS } from './reserved-words.js';

/** Bit flags describing a statement. */
export const Trait = {
  /** References a user variable (`@name`, not `@@name`). */
  UserVariable: 1 << 0,
  /** LOCK TABLE(S) … — pins until UNLOCK TABLES. */
  LockTables: 1 << 1,
  /** UNLOCK TABLES — releases LOCK TABLES / FLUSH TABLES WITH READ LOCK pins. */
  UnlockTables: 1 << 2,
  /** FLUSH TABLES … WITH READ LOCK / … FOR EXPORT — pins until UNLOCK TABLES. */
  GlobalReadLock: 1 << 3,
  /** GET_LOCK( — advisory locks live as long as the connection. */
  AdvisoryLock: 1 << 4,
  /** RELEASE_ALL_LOCKS() — frees every advisory lock of the session. */
  ReleaseAllLocks: 1 << 5,
  /** CREATE TEMPORARY TABLE / SEQUENCE — it lives on this backend connection only. */
  TemporaryTable: 1 << 6,
  /** SQL-level PREPARE / EXECUTE / DEALLOCATE. */
  SqlPrepare: 1 << 7,
  /** SQL_CALC_FOUND_ROWS: the next FOUND_ROWS() must run on the same backend. */
  CalcFoundRows: 1 << 8,
  /**
   * Reads what the caller's previous statement left on its connection: FOUND_ROWS(),
   * ROW_COUNT(), LAST_INSERT_ID() / @@identity, @@last_gtid, SHOW WARNINGS / ERRORS,
   * @@warning_count, GET DIAGNOSTICS, SHOW [SESSION] STATUS (Last_query_cost).
   */
  ReadsPreviousResult: 1 << 9,
  /** A SET statement (anything the server may track as session state). */
  Set: 1 << 10,
  /** USE <db> as SQL text. */
  Use: 1 << 11,
  /** CALL: a procedure may change session state the text does not show. */
  Call: 1 << 12,
  /** HANDLER … OPEN and friends: a per-connection table cursor. */
  Handler: 1 << 13,
  /** SET TRANSACTION (without SESSION/GLOBAL): characteristics of the next transaction only. */
  NextTransaction: 1 << 14,
  /** XA START …: the branch belongs to the connection. */
  Xa: 1 << 15,
  /** Touches sql_log_bin or other variables the proxy will not replay on another backend. */
  Unreplayable: 1 << 16,
  /** KILL: connection ids are the proxy's, so the proxy decides what it reaches. */
  Kill: 1 << 17,
  /**
   * Not a pin: a single SELECT that reads and nothing else — no locking clause, no INTO, no
   * function that is not a known side-effect-free built-in (a stored function may write or
   * change the session) and none that waits (SLEEP, BENCHMARK). Such a statement may share a
   * backend connection with others' (pipelined) and may run again if it was lost, since
   * running it twice changes nothing. See {@link isPureRead}.
   */
  PureRead: 1 << 18,
  /**
   * Not a pin: CREATE / ALTER / DROP … VIEW or RENAME TABLE (which renames views too): the
   * proxy's list of views that are not pure reads is stale until checked again (ImpureViews).
   */
  ViewDdl: 1 << 19,
  /**
   * Not a pin: a statement of the text begins with BEGIN, START, COMMIT, ROLLBACK or SAVEPOINT.
   * Only these may be a plain transaction boundary the proxy answers itself, a COMMIT that ends
   * the session or a savepoint taken before the transaction shows (see
   * {@link transactionBoundary}, {@link releasesSession}, {@link savepointEffect}); every other
   * statement skips those checks.
   */
  TransactionControl: 1 << 20,
  /**
   * Not a pin: LAST_INSERT_ID() or @@identity (with ReadsPreviousResult), which the proxy can
   * answer on another backend by setting the caller's last insert id there first; and CALL,
   * whose procedure may set it unseen (the connection then holds the caller's value).
   */
  ReadsInsertId: 1 << 21,
  /** BACKUP LOCK / LOCK INSTANCE FOR BACKUP — pins until BACKUP UNLOCK / UNLOCK INSTANCE. */
  BackupLock: 1 << 22,
  /** BACKUP UNLOCK / UNLOCK INSTANCE — releases that pin only. */
  BackupUnlock: 1 << 23,
  /**
   * Not a pin: with ReadsPreviousResult, reads the diagnostics or counts the previous statement
   * left (SHOW WARNINGS / ERRORS, @@warning_count, GET DIAGNOSTICS, ROW_COUNT(), FOUND_ROWS()),
   * which a server keeps until a statement that uses a table replaces them — another client's,
   * on a shared connection.
   */
  ReadsDiagnostics: 1 << 24,
  /**
   * With ReadsDiagnostics, reads the diagnostics area itself (SHOW WARNINGS / ERRORS,
   * @@warning_count / @@error_count, GET DIAGNOSTICS): kept at the server across statements that
   * use no table and raise nothing.
   */
  ReadsConditions: 1 << 25,
  /**
   * With ReadsDiagnostics, FOUND_ROWS(): the last SELECT's count, kept across other statements.
   * Without it, SHOW SESSION STATUS, whose Last_query_cost is kept the same way.
   */
  ReadsFoundRows: 1 << 26,
  /**
   * Not a pin: changes the password of the session's own account — `SET PASSWORD = …` (no FOR),
   * `ALTER USER CURRENT_USER() …` / `USER()` — which at the server is the backend account every
   * client of the proxy shares (see ClientSession: refused).
   */
  OwnAccount: 1 << 27,
  /**
   * Not a pin: the text is SHOW [FULL] PROCESSLIST alone (comments aside). The server would
   * list its own threads — backend ids no KILL through the proxy reaches, under the backend
   * account every client may share — so the proxy answers it with its clients (see
   * ClientSession.processlist). In a multi-statement text it is the server's.
   */
  Processlist: 1 << 28,
  /** With Processlist: SHOW FULL PROCESSLIST. */
  ProcesslistFull: 1 << 29,
  /**
   * Not a pin: the text is `SELECT CONNECTION_ID() [AS alias] [FROM DUAL]` alone (comments
   * aside). The server would answer its backend thread's id — one of many clients', and no id
   * KILL through the proxy takes — so the proxy answers with the client's own connection id,
   * the one its greeting gave (see connectionIdColumn). In any other statement it is the server's.
   */
  ConnectionId: 1 << 30,
} as const;

/** Every trait but PureRead: any of them makes a statement more than a pure read. */
const STATEFUL = Trait.PureRead - 1;

/**
 * Traits that let the proxy do less — share the connection (PureRead) or end a pin (the
 * unlocks) — and so count only when every reading of an ambiguous text finds them.
 */
const ONLY_IF_EVERY_READING =
  Trait.PureRead |
  Trait.UnlockTables |
  Trait.BackupUnlock |
  Trait.ReleaseAllLocks |
  // Answered by the proxy, so never sent: only a text every reading finds to be that alone.
  Trait.Processlist |
  Trait.ProcesslistFull |
  Trait.ConnectionId;

/**
 * Combines the traits of one text read in several ways (with and without backslash escapes,
 * with and without ANSI_QUOTES) when the proxy cannot tell which way the server reads it: a
 * trait that takes something counts if any reading finds it, one that gives something up only
 * if all do. A misreading could otherwise hide a GET_LOCK — or, just as wrongly, find a
 * RELEASE_ALL_LOCKS() inside a string and unpin a connection that still holds the lock.
 */
export function combineReadings(readings: readonly number[]): number {
  if (readings.length === 0) return 0;
  let any = 0;
  let every = -1;
  for (const t of readings) {
    any |= t;
    every &= t;
  }
  return (any & ~ONLY_IF_EVERY_READING) | (every & ONLY_IF_EVERY_READING);
}

/**
 * One pass over the text with a single sticky-free regular expression: the common statement
 * (a plain SELECT/INSERT with none of these words) costs one failed scan.
 */
const WORDS =
  /(?<!@)@(?!@)[\w$`'"\u0080-\uffff]|@@(?:tx|transaction)_(?:isolation|read_only)\b|@@(?!(?:session|local|global)\.)[\w$]+\s*:?=|@@(?:session\.|local\.)?(?:identity|last_gtid)\b|\bidentity\s*:?=|\bTRANSACTION\b|\bROLE\b|\b(?:LOCK\s+TABLES?|UNLOCK\s+TABLES|WITH\s+READ\s+LOCK|FOR\s+EXPORT|BACKUP\s+LOCK|BACKUP\s+UNLOCK|BACKUP\s+STAGE\s+\w+|LOCK\s+INSTANCE|UNLOCK\s+INSTANCE|GET_LOCK|RELEASE_ALL_LOCKS|TEMPORARY\s+(?:TABLE|SEQUENCE)|PREPARE|EXECUTE|DEALLOCATE|SQL_CALC_FOUND_ROWS|FOUND_ROWS|ROW_COUNT|LAST_INSERT_ID|WARNINGS|ERRORS|WARNING_COUNT|ERROR_COUNT|DIAGNOSTICS|HANDLER|SQL_LOG_BIN|XA|VIEW|RENAME\s+TABLE|NEXTVAL|SETVAL|LASTVAL|CURRVAL|NEXT\s+VALUE|PREVIOUS\s+VALUE)\b/gi;

/**
 * `PREPARE s FROM '…'`, `EXECUTE IMMEDIATE "…"` whose string reads the diagnostics area or
 * FOUND_ROWS() (roughly: the words anywhere in it).
 */
const PREPARED_DIAGNOSTICS =
  /\b(?:FROM|IMMEDIATE)\s*(['"])[\s\S]*?\b(?:WARNINGS|ERRORS|WARNING_COUNT|ERROR_COUNT|DIAGNOSTICS|FOUND_ROWS)\b/i;

/** A read of the diagnostics area (see Trait.ReadsConditions). */
const DIAGNOSTICS_READ = Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions;

/** `@@\`warning_count\``: a backquoted name, which the blanked text no longer shows after its `@@`. */
const QUOTED_DIAGNOSTICS_VARIABLE = /@@(?:(?:session|local)\s*\.\s*)?`(?:warning|error)_count`/i;

/**
 * What follows CREATE in a stored program's definition (sticky, from the end of CREATE; names
 * and strings are blanked): `[OR REPLACE] [DEFINER = …] [AGGREGATE] PROCEDURE | FUNCTION |
 * TRIGGER | EVENT`.
 */
const STORED_PROGRAM =
  /\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=[^;]*?\s)?(?:AGGREGATE\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)\b/iy;

/**
 * What follows SHOW in `SHOW [FULL] PROCESSLIST` as a statement of its own (sticky, from the
 * end of SHOW, in blanked text: comments are blanks, an executable one's content is code).
 */
const PROCESSLIST_AFTER_SHOW = /\s+(FULL\s+)?PROCESSLIST\s*(;)?\s*$/diy;

/**
 * What follows SHOW in `SHOW [SESSION | LOCAL] STATUS`: the connection's status variables, whose
 * `Last_query_cost` (and `Last_query_…`) describe its previous statement (sticky, like
 * PROCESSLIST_AFTER_SHOW).
 */
const SESSION_STATUS_AFTER_SHOW = /\s+(?:(?:SESSION|LOCAL)\s+)?STATUS\b/iy;

/**
 * What follows SELECT in `SELECT CONNECTION_ID() [AS alias] [FROM DUAL]` as a statement of its
 * own (sticky, from the end of SELECT, in blanked text: a quoted alias is its quotes around
 * blanks). `call` is the call as typed (MariaDB names the column by it), `name` an unquoted
 * alias, `quoted` a quoted one, `end` the `;`; their indices are the same places in the text.
 */
const CONNECTION_ID_AFTER_SELECT =
  /\s+(?<call>CONNECTION_ID\s*\(\s*\))(?:\s*AS(?:\s+(?<name>[A-Za-z_$][\w$]*)|\s*(?<quoted>(?<q>['"`]) +\k<q>)))?(?:\s+FROM\s+DUAL)?\s*(?<end>;)?\s*$/diy;

/** `PREPARE s FROM 'KILL …'`, `EXECUTE IMMEDIATE "KILL …"`: a string that starts with KILL. */
const PREPARED_KILL = /\b(?:FROM|IMMEDIATE)\s*['"]\s*KILL\b/i;

/** After SET: PASSWORD with no FOR, or FOR CURRENT_USER — the session's own account's. */
const OWN_PASSWORD_SOURCE = String.raw`PASSWORD\b(?:(?!\s*FOR\b)|\s*FOR\s+CURRENT_USER\b)`;
/** After ALTER: USER naming CURRENT_USER or USER() anywhere in its list — the session's own account. */
const OWN_ACCOUNT_SOURCE = String.raw`USER\b[^;]*?(?:\bCURRENT_USER\b|\bUSER\s*\()`;
/** Sticky, from after SET / ALTER. */
const OWN_PASSWORD = new RegExp(String.raw`\s*${OWN_PASSWORD_SOURCE}`, 'iy');
const OWN_ACCOUNT = new RegExp(String.raw`\s*${OWN_ACCOUNT_SOURCE}`, 'iy');
/** `PREPARE s FROM 'SET PASSWORD = …'`, `EXECUTE IMMEDIATE 'ALTER USER CURRENT_USER() …'`. */
const PREPARED_OWN_ACCOUNT = new RegExp(
  String.raw`\b(?:FROM|IMMEDIATE)\s*['"]\s*(?:SET\s+${OWN_PASSWORD_SOURCE}|ALTER\s+${OWN_ACCOUNT_SOURCE})`,
  'i',
);

/** An opening parenthesis after a name: a call. */
const CALL_PARENTHESIS = /\s*\(/y;

/** What follows LAST_INSERT_ID when it is given an argument: `(`, then anything but `)`. */
const LAST_INSERT_ID_ARGUMENT = /\s*\(\s*[^)\s]/y;

/** First keyword of blanked text (its comments are blanks): after whitespace and opening parentheses. */
const LEADING = /^[\s(]*([A-Za-z]+)/;

/**
 * A statement's first keyword, upper-cased; undefined when it has none. Blanks the text only
 * when something else (a comment) comes first: the common statement starts with its keyword.
 */
export function leadingKeyword(
  text: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): string | undefined {
  const lead =
    LEADING.exec(text) ?? LEADING.exec(blankLiteralsAndComments(text, noBackslashEscapes, doubleByte));
  return lead === null ? undefined : lead[1]!.toUpperCase();
}

/**
 * Whether the proxy may answer `text` itself once its blanked reading is a statement the proxy
 * answers (SHOW PROCESSLIST, SELECT CONNECTION_ID()) alone: not with an executable comment in
 * it (the server may skip one by its version: `SHOW /*!80000 FULL *\/ PROCESSLIST`), nor a
 * comment left open (a syntax error there), nor anything but white space after the `;` that
 * ends at `semicolonEnd` (a second, empty statement to a multi-statement client).
 */
function answerableAlone(text: string, semicolonEnd: number | undefined): boolean {
  if (text.includes('/*!') || text.includes('/*M!') || text.lastIndexOf('/*') > text.lastIndexOf('*/'))
    return false;
  return semicolonEnd === undefined || text.slice(semicolonEnd).trim() === '';
}

/** Longest alias MariaDB keeps whole (it cuts a longer one). */
const MAX_ALIAS = 255;

/**
 * The column name MariaDB gives `SELECT CONNECTION_ID() [AS alias]` — the alias, else the call as
 * typed (`connection_id( )`) — for a text the classifier found to be that statement alone
 * (Trait.ConnectionId); undefined when the proxy should leave the text to the server after all,
 * for its alias: a quote left open, a reserved word or a character set introducer (`_latin1`: a
 * syntax error there), one longer than MariaDB keeps, or one with a character the proxy would
 * have to convert or unescape (outside printable ASCII, a backslash, a quote).
 */
export function connectionIdColumn(
  text: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): string | undefined {
  const sql = blankLiteralsAndComments(text, noBackslashEscapes, doubleByte);
  const lead = LEADING.exec(sql);
  if (lead === null) return undefined;
  CONNECTION_ID_AFTER_SELECT.lastIndex = lead.index + lead[0].length;
  const at = CONNECTION_ID_AFTER_SELECT.exec(sql)?.indices?.groups;
  if (at === undefined) return undefined;
  if (at.name !== undefined) {
    const name = text.slice(...at.name);
    const reserved = name.startsWith('_') || RESERVED_WORDS.has(name.toLowerCase());
    return reserved || name.length > MAX_ALIAS ? undefined : name;
  }
  if (at.quoted === undefined) return text.slice(...at.call!);
  const [from, to] = at.quoted;
  // The blanker closes a quote the text leaves open: the text's own must be there.
  if (text[to - 1] !== text[from]) return undefined;
  const name = text.slice(from + 1, to - 1);
  const plain = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(name) && !/['"`\\]/.test(name);
  return plain && name.length <= MAX_ALIAS ? name : undefined;
}

/** Any of these characters may start a string literal, a quoted name or a comment. */
const QUOTE_OR_COMMENT = /['"`#]|--|\/\*/;

/**
 * Blanks out the contents of string literals, quoted names and comments (keeping executable
 * comments, `/*! … *\/` and MariaDB's `/*M! … *\/`), so that an e-mail address in a VALUES list or a keyword in
 * a comment does not pin a session. The common statement has none of them and is returned as is.
 * The result is as long as the text: a position in one is the same place in the other.
 */
export function blankLiteralsAndComments(
  sql: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
  ansiQuotes = false,
): string {
  if (!QUOTE_OR_COMMENT.test(sql)) return sql;
  let out = '';
  let from = 0;
  const n = sql.length;
  let i = 0;
  // Inside an executable comment: its `*/` is blanked like its opener.
  let executable = false;
  while (i < n) {
    const c = sql[i]!;
    let end = -1;
    if (executable && c === '*' && sql[i + 1] === '/') {
      out += `${sql.slice(from, i)}  `;
      from = i = i + 2;
      executable = false;
      continue;
    }
    // A two-byte character outside quotes (a name's) may end in 0x60, which is no backquote.
    if (doubleByte?.isLead(sql.charCodeAt(i)) && doubleByte.isTrail(sql.charCodeAt(i + 1))) {
      i += 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      end = i + 1;
      while (end < n) {
        const d = sql[end]!;
        // big5, cp932, gbk, sjis: a lead byte takes its trail byte with it, which may be 0x5C —
        // part of the character, not an escape (the text is read as latin1: one char a byte).
        if (doubleByte?.isLead(sql.charCodeAt(end)) && doubleByte.isTrail(sql.charCodeAt(end + 1))) end += 2;
        else if (d === '\\' && c !== '`' && !(c === '"' && ansiQuotes) && !noBackslashEscapes) end += 2;
        else if (d === c) {
          if (sql[end + 1] === c) end += 2;
          else break;
        } else end++;
      }
      end = Math.min(end + 1, n);
      // Keep the quotes so that `@'name'` still reads as a user variable.
      out += `${sql.slice(from, i + 1)}${' '.repeat(Math.max(0, end - i - 2))}${end - i >= 2 ? c : ''}`;
      from = i = end;
      continue;
    }
    // `--` starts a comment when a space or a control character follows (a newline too).
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && startsDashComment(sql.charCodeAt(i + 2)))) {
      end = sql.indexOf('\n', i);
      end = end < 0 ? n : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      // `/*!…*/` (MySQL and MariaDB), `/*M!…*/` (MariaDB only): the server runs what is inside.
      // Its opener (and version number) become blanks, so `/*!SET TRANSACTION READ ONLY*/`
      // reads as the SET it is.
      EXECUTABLE_OPENER.lastIndex = i;
      const executableOpener = EXECUTABLE_OPENER.exec(sql);
      if (executableOpener !== null) {
        const opener = executableOpener[0].length;
        out += `${sql.slice(from, i)}${' '.repeat(opener)}`;
        from = i = i + opener;
        executable = true;
        continue;
      }
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? n : end + 2;
    }
    if (end >= 0) {
      out += `${sql.slice(from, i)}${' '.repeat(end - i)}`;
      from = i = end;
      continue;
    }
    i++;
  }
  return out + sql.slice(from);
}

/**
 * `/*!`, `/*M!` and the version number that may follow (`/*!50001`, `/*M!100100`): six digits
 * after either, as MariaDB reads them (`/*!100000 SET …` runs on 10.0 and later).
 */
const EXECUTABLE_OPENER = /\/\*M?!\d{0,6}/y;

/**
 * Classifies SQL text into {@link Trait} flags.
 * @param noBackslashEscapes the session's sql_mode has NO_BACKSLASH_ESCAPES: a backslash in a
 *   string is a plain character (`'C:\'` ends there), so the text after it is read as SQL
 * @param doubleByte the client's character set, when its characters may end in 0x5C (big5,
 *   cp932, gbk, sjis, gb18030; see double-byte.ts): in a string, a lead byte and its trail byte
 *   are one character
 * @param ansiQuotes read `"…"` as the session's sql_mode ANSI_QUOTES does: a name, in which a
 *   backslash escapes nothing (`"C:\"` ends there)
 */
export function classifyStatement(
  text: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
  ansiQuotes = false,
): number {
  // `--` then a byte from 0x80 up starts a comment where the client's character set calls that
  // byte a space (0xA0 in latin1) and not elsewhere: both readings count (see combineReadings).
  if (text.indexOf('--') >= 0 && DASH_HIGH_BYTE.test(text)) {
    const asComments = text.replace(DASH_HIGH_BYTES, '-- ');
    return combineReadings([
      classifyOneReading(text, noBackslashEscapes, doubleByte, ansiQuotes),
      classifyOneReading(asComments, noBackslashEscapes, doubleByte, ansiQuotes),
    ]);
  }
  return classifyOneReading(text, noBackslashEscapes, doubleByte, ansiQuotes);
}

/** `--` followed by a byte from 0x80 up (the text is read a byte a character). */
const DASH_HIGH_BYTE = /--[\u0080-\u00ff]/;
const DASH_HIGH_BYTES = new RegExp(DASH_HIGH_BYTE.source, 'g');

/**
 * Whether `--` followed by the character `code` starts a comment: a space or a control character
 * (DEL too), as MariaDB reads it. A byte from 0x80 up is read both ways (see classifyStatement).
 */
function startsDashComment(code: number): boolean {
  // NaN: the text ends after the dashes, which MariaDB's lexer also reads as a comment.
  return code <= 0x20 || code === 0x7f || Number.isNaN(code);
}

function classifyOneReading(
  text: string,
  noBackslashEscapes: boolean,
  doubleByte: DoubleByteCharset | undefined,
  ansiQuotes: boolean,
): number {
  const blanked = blankLiteralsAndComments(text, noBackslashEscapes, doubleByte, ansiQuotes);
  // A native function called by a quoted name (`` `GET_LOCK`('a', 10) ``, or `"GET_LOCK"(…)`
  // under ANSI_QUOTES) is the function itself to the server, but its name was blanked with the
  // quotes' contents: read such names too. Every quote in the text is tried as an opener, those
  // inside string literals too, so the names found may be nobody's call: they may add pins, and
  // never end one (`UNLOCK TABLES`( in a string would let other clients write through a lock).
  const names = text.includes('`') || text.includes('"') ? quotedCallNames(text) : '';
  if (names === '') return classifyBlanked(blanked, text);
  const withNames = classifyBlanked(blanked + names, text);
  // Most such texts are an ORM's quoted names (`INSERT INTO \`t\` (…)`): nothing given up, one
  // reading enough. Otherwise what it gives up must be found without the names too.
  if ((withNames & ONLY_IF_EVERY_READING) === 0) return withNames;
  return combineReadings([classifyBlanked(blanked, text), withNames]);
}

/** The traits of a statement whose literals and comments `blanked` has blanked out. */
function classifyBlanked(sql: string, text: string): number {
  const lead = LEADING.exec(sql);
  const first = lead ? lead[1]!.toUpperCase() : '';
  let traits = lead ? leadingTraits(first, sql, lead.index + lead[0].length, text) : 0;
  if (first === 'SHOW' && !lead![0].includes('(')) {
    SESSION_STATUS_AFTER_SHOW.lastIndex = lead!.index + lead![0].length;
    // Last_query_cost stays across statements that are not SELECTs, as FOUND_ROWS() does: where
    // another client's SELECT counted last, it is another's (ReadsFoundRows: a kept connection
    // is not taken back for it then). No statement empties it, so it is not cleared either.
    if (SESSION_STATUS_AFTER_SHOW.test(sql)) traits |= Trait.ReadsPreviousResult | Trait.ReadsFoundRows;
    PROCESSLIST_AFTER_SHOW.lastIndex = lead!.index + lead![0].length;
    const m = PROCESSLIST_AFTER_SHOW.exec(sql);
    if (m !== null && answerableAlone(text, m.indices![2]?.[1]))
      traits |= m[1] === undefined ? Trait.Processlist : Trait.Processlist | Trait.ProcesslistFull;
  } else if (first === 'SELECT' && !lead![0].includes('(')) {
    CONNECTION_ID_AFTER_SELECT.lastIndex = lead!.index + lead![0].length;
    const m = CONNECTION_ID_AFTER_SELECT.exec(sql);
    if (m !== null && answerableAlone(text, m.indices!.groups!.end?.[1])) traits |= Trait.ConnectionId;
  }
  if (text.includes('`') && QUOTED_DIAGNOSTICS_VARIABLE.test(text)) traits |= DIAGNOSTICS_READ;
  // A compound statement's `;` end the statements inside it, which are its own business.
  const compound = (traits & Trait.Call) !== 0 && first !== 'CALL';
  statementStart = 0;
  scannedTo = 0;
  WORDS.lastIndex = 0;
  for (let m = WORDS.exec(sql); m !== null; m = WORDS.exec(sql)) {
    const w = m[0];
    if (w.charCodeAt(0) === 64 /* @ */) {
      if (w.charCodeAt(1) !== 64) traits |= Trait.UserVariable;
      // `SET @@name = …` with no scope word sets the session's value, but MariaDB's session
      // tracking does not report it (`@@session.name` and the bare name it does): the proxy
      // cannot replay what it never learns, so the session stays on its connection.
      else if (w.charCodeAt(w.length - 1) === 61 /* = */ && statementLead(sql, m.index, first) === 'SET') {
        traits |= Trait.Set | Trait.Unreplayable;
        // `SET @@identity = 5` / `@@last_insert_id`: the client's value from now on (below).
        if (/^@@(?:identity|last_insert_id)\b/i.test(w)) traits |= Trait.ReadsInsertId;
      }
      // `SET @@tx_isolation = …` / `@@tx_read_only` (MySQL 8 and MariaDB 11.1+:
      // `transaction_…`) with no scope word sets the *next transaction*'s characteristics only,
      // like SET TRANSACTION: the session's value stays, so session tracking reports nothing.
      // `@@session.` / `@@local.` / `@@global.` and the bare name are ordinary variables.
      else if (/_(?:isolation|read_only)$/i.test(w)) {
        if (statementLead(sql, m.index, first) === 'SET') traits |= Trait.NextTransaction;
      }
      // @@identity / @@last_gtid: the connection's own values, like LAST_INSERT_ID().
      // A comparison (`SELECT @@identity = 5`) reads it too.
      else if (/identity\s*:?=?$/i.test(w)) traits |= Trait.ReadsPreviousResult | Trait.ReadsInsertId;
      else if (/last_gtid\s*:?=?$/i.test(w)) traits |= Trait.ReadsPreviousResult;
      // Any other comparison (`SELECT @@warning_count = 0`): the name is read as a word.
      else if (w.charCodeAt(w.length - 1) === 61 /* = */) WORDS.lastIndex = m.index + 2;
      continue;
    }
    if (w.charCodeAt(w.length - 1) === 61 /* = */) {
      // `SET identity = 5` (bare; `last_insert_id` is a word below): a tracked variable, which
      // pins, but the value is the connection's last insert id, which the proxy restores to
      // the client's own before a statement reading it on a backend not marked as the
      // client's. ReadsInsertId restores it before the SET and so marks it the client's after.
      if (statementLead(sql, m.index, first) === 'SET') traits |= Trait.ReadsInsertId;
      continue;
    }
    switch (w.toUpperCase().replace(/\s+/g, ' ')) {
      case 'ROLE':
        // SET ROLE: the session's privileges, which no variable reports.
        if (statementLead(sql, m.index, first) === 'SET') traits |= Trait.Set | Trait.Unreplayable;
        break;
      case 'TRANSACTION':
        // SET [LOCAL] TRANSACTION …, wherever it stands in a multi-statement text; START
        // TRANSACTION and SET SESSION TRANSACTION are not it.
        SET_BEFORE_TRANSACTION.lastIndex = statementAt(sql, m.index);
        if (SET_BEFORE_TRANSACTION.test(sql) && SET_BEFORE_TRANSACTION.lastIndex === m.index)
          traits |= Trait.Set | Trait.NextTransaction;
        break;
      case 'LOCK TABLE':
      case 'LOCK TABLES':
        // "UNLOCK TABLES" also contains "LOCK TABLES"; the word boundary keeps them apart.
        traits |= Trait.LockTables;
        break;
      case 'UNLOCK TABLES':
        traits |= Trait.UnlockTables;
        break;
      case 'WITH READ LOCK':
      case 'FOR EXPORT': // FLUSH TABLES t FOR EXPORT: released by UNLOCK TABLES
        traits |= Trait.GlobalReadLock;
        break;
      case 'BACKUP LOCK': // MariaDB: BACKUP LOCK t, released by BACKUP UNLOCK
      case 'LOCK INSTANCE': // MySQL: LOCK INSTANCE FOR BACKUP, released by UNLOCK INSTANCE
        traits |= Trait.BackupLock;
        break;
      case 'BACKUP UNLOCK':
      case 'UNLOCK INSTANCE':
      case 'BACKUP STAGE END': // MariaDB: the stages hold backup locks until END
        traits |= Trait.BackupUnlock;
        break;
      case 'BACKUP STAGE START':
      case 'BACKUP STAGE FLUSH':
      case 'BACKUP STAGE BLOCK_DDL':
      case 'BACKUP STAGE BLOCK_COMMIT':
        traits |= Trait.BackupLock;
        break;
      case 'GET_LOCK':
        traits |= Trait.AdvisoryLock;
        break;
      case 'RELEASE_ALL_LOCKS':
        traits |= Trait.ReleaseAllLocks;
        break;
      case 'TEMPORARY TABLE':
      case 'TEMPORARY SEQUENCE':
        traits |= Trait.TemporaryTable;
        break;
      case 'PREPARE':
      case 'EXECUTE':
      case 'DEALLOCATE':
        {
          const lead = statementLead(sql, m.index, first);
          if (lead === 'PREPARE' || lead === 'EXECUTE' || lead === 'DEALLOCATE' || lead === 'DROP')
            traits |= Trait.SqlPrepare;
        }
        break;
      case 'SQL_CALC_FOUND_ROWS':
        traits |= Trait.CalcFoundRows;
        break;
      case 'LAST_INSERT_ID':
        LAST_INSERT_ID_ARGUMENT.lastIndex = m.index + w.length;
        if (LAST_INSERT_ID_ARGUMENT.test(sql)) {
          // LAST_INSERT_ID(expr) sets the value rather than reading it: an UPDATE's OK reports
          // it, and nothing need be restored first. A SELECT's result does not report it, so
          // the proxy could not carry it elsewhere: it pins, and (ReadsInsertId) marks the
          // backend's value as the caller's from then on.
          // DO's OK does not report it either.
          const lead = statementLead(sql, m.index, first);
          if (lead === 'SELECT' || lead === 'DO') traits |= Trait.Unreplayable | Trait.ReadsInsertId;
        } else {
          traits |= Trait.ReadsPreviousResult | Trait.ReadsInsertId;
        }
        break;
      case 'FOUND_ROWS':
      case 'ROW_COUNT':
        // The functions; a column of that name reads nothing of the connection's.
        CALL_PARENTHESIS.lastIndex = m.index + w.length;
        if (CALL_PARENTHESIS.test(sql)) {
          traits |= Trait.ReadsPreviousResult | Trait.ReadsDiagnostics;
          if (/found_rows/i.test(w)) traits |= Trait.ReadsFoundRows;
        }
        break;
      case 'WARNING_COUNT':
      case 'ERROR_COUNT':
        // @@warning_count, @@session.warning_count; SHOW COUNT(*) WARNINGS is below.
        if (sql[m.index - 1] === '@' || sql[m.index - 1] === '.')
          traits |= Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions;
        break;
      case 'DIAGNOSTICS':
        traits |= Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions;
        break;
      case 'WARNINGS':
      case 'ERRORS':
        if (statementLead(sql, m.index, first) === 'SHOW')
          traits |= Trait.ReadsPreviousResult | Trait.ReadsDiagnostics | Trait.ReadsConditions;
        break;
      case 'HANDLER':
        if (statementLead(sql, m.index, first) === 'HANDLER') traits |= Trait.Handler;
        break;
      case 'SQL_LOG_BIN':
        // Set, it changes what the connection writes to the binary log; read (`SELECT
        // @@sql_log_bin`), nothing — and pinned a client for its whole session.
        if (statementLead(sql, m.index, first) === 'SET') traits |= Trait.Unreplayable;
        break;
      case 'NEXTVAL':
      case 'SETVAL':
      case 'LASTVAL':
      case 'CURRVAL':
      case 'NEXT VALUE':
      case 'PREVIOUS VALUE':
        // A sequence's previous value lives on the connection until it closes, like
        // LAST_INSERT_ID, but no OK reports it: whoever moves a sequence (or reads that value)
        // stays on its connection. (`s.nextval` / `s.currval` are the sql_mode=ORACLE forms.)
        traits |= Trait.Unreplayable;
        break;
      case 'XA':
        if (statementLead(sql, m.index, first) === 'XA') traits |= Trait.Xa;
        break;
      case 'VIEW':
        // Wherever it stands: after another statement, in a /*!50001 … */ comment (mysqldump).
        if (/\b(?:CREATE|ALTER|DROP)\b/i.test(sql)) traits |= Trait.ViewDdl;
        break;
      case 'RENAME TABLE':
        traits |= Trait.ViewDdl;
        break;
    }
  }
  if (compound) traits |= compoundStatementTraits(sql);
  else if (sql.includes(';')) traits |= laterStatementTraits(sql, text);
  if (first === 'CREATE') {
    // A stored program's body runs when it is called, not now: a KILL or a password change in
    // it is the program's (see Trait.Kill, Trait.OwnAccount). Its pins still count, which only
    // costs sharing.
    STORED_PROGRAM.lastIndex = lead!.index + lead![0].length;
    if (STORED_PROGRAM.test(sql)) traits &= ~(Trait.Kill | Trait.OwnAccount);
  }
  return traits & STATEFUL ? traits & ~Trait.PureRead : traits;
}

/**
 * What the keyword a statement starts with makes of it (`after`: the position after the keyword).
 * Every statement of a multi-statement text counts: `SELECT 1; USE other` changes the schema, and
 * `DO 0; CALL p()` runs a procedure.
 */
function leadingTraits(keyword: string, sql: string, after: number, text: string): number {
  switch (keyword) {
    case 'SELECT':
      return isPureRead(sql, after, text) ? Trait.PureRead : 0;
    case 'SET':
      OWN_PASSWORD.lastIndex = after;
      return OWN_PASSWORD.test(sql) ? Trait.Set | Trait.OwnAccount : Trait.Set;
    case 'ALTER':
      OWN_ACCOUNT.lastIndex = after;
      return OWN_ACCOUNT.test(sql) ? Trait.OwnAccount : 0;
    case 'USE':
      return Trait.Use;
    case 'CALL':
      // A procedure may set the insert id (an INSERT inside) without its OK saying so: the
      // connection gets the caller's value first, and is the caller's after.
      return Trait.Call | Trait.ReadsInsertId;
    case 'KILL':
      return Trait.Kill;
    case 'PREPARE':
    case 'EXECUTE': {
      // Read in the text itself: the blanked one has no strings.
      const rest = text.slice(after - keyword.length);
      // PREPARE s FROM 'KILL …' / EXECUTE IMMEDIATE 'KILL …': the KILL is in a string, which
      // the server runs (see ClientSession.refusePreparedKill).
      if (PREPARED_KILL.test(rest)) return Trait.Kill;
      // … FROM 'SET PASSWORD = …': the session's own account, prepared (see Trait.OwnAccount).
      if (PREPARED_OWN_ACCOUNT.test(rest)) return Trait.OwnAccount;
      // PREPARE s FROM 'SHOW WARNINGS', EXECUTE IMMEDIATE 'SELECT FOUND_ROWS()': reads what
      // the statement before left, as if written out.
      if (PREPARED_DIAGNOSTICS.test(rest)) return DIAGNOSTICS_READ | Trait.ReadsFoundRows;
      return 0;
    }
    case 'BEGIN':
      // BEGIN NOT ATOMIC … END: a compound statement, run like a procedure's body.
      if (/^BEGIN\s+NOT\s+ATOMIC\b/i.test(sql.slice(after - 5))) return Trait.Call | Trait.ReadsInsertId;
      return Trait.TransactionControl;
    case 'START':
    case 'COMMIT':
    case 'ROLLBACK':
    case 'SAVEPOINT':
      return Trait.TransactionControl;
    case 'IF':
    case 'WHILE':
    case 'REPEAT':
    case 'LOOP':
    case 'CASE':
      // MariaDB runs compound statements outside stored programs too.
      return Trait.Call | Trait.ReadsInsertId;
    default:
      return 0;
  }
}

/** A statement's leading keyword, from its start: after blanks and opening parentheses. */
const STATEMENT_LEAD = /[\s(]*([A-Za-z]+)/y;

/**
 * The leading keyword of the statement holding position `at` of a classifyStatement pass, upper
 * case ('' for none); `first` is the text's own.
 */
function statementLead(sql: string, at: number, first: string): string {
  const start = statementAt(sql, at);
  if (start === 0) return first;
  STATEMENT_LEAD.lastIndex = start;
  const m = STATEMENT_LEAD.exec(sql);
  return m === null ? '' : m[1]!.toUpperCase();
}

/** The statements after the first of a multi-statement text: what their leading keywords make of them. */
function laterStatementTraits(sql: string, text: string): number {
  let traits = 0;
  for (let k = sql.indexOf(';'); k >= 0; k = sql.indexOf(';', k + 1)) {
    STATEMENT_LEAD.lastIndex = k + 1;
    const m = STATEMENT_LEAD.exec(sql);
    if (m === null) continue;
    const keyword = m[1]!.toUpperCase();
    // A later SELECT makes no pure read of the text (NOT_PURE): that is the first's to say.
    if (keyword !== 'SELECT') traits |= leadingTraits(keyword, sql, STATEMENT_LEAD.lastIndex, text);
  }
  return traits;
}

/**
 * Inside a compound statement (BEGIN NOT ATOMIC … END, IF … END IF) statements start after
 * THEN, ELSE, DO, LOOP, REPEAT and BEGIN too: the SETs that session tracking does not report
 * (next-transaction characteristics, a role) are looked for anywhere in it.
 */
function compoundStatementTraits(sql: string): number {
  let traits = 0;
  if (/\bSET\s+(?:LOCAL\s+)?TRANSACTION\b|\bSET\s+@@(?:tx|transaction)_(?:isolation|read_only)\b/i.test(sql))
    traits |= Trait.NextTransaction;
  if (/\bSET\s+ROLE\b/i.test(sql)) traits |= Trait.Unreplayable;
  return traits;
}

/**
 * Where the statement holding position `at` starts (after the last `;` before it), for the
 * words of one classifyStatement pass, which come in order: a long multi-statement text is
 * scanned once, not once per word. (Module state: the pass is synchronous.)
 */
let statementStart = 0;
let scannedTo = 0;
function statementAt(sql: string, at: number): number {
  for (let k = sql.indexOf(';', scannedTo); k >= 0 && k < at; k = sql.indexOf(';', k + 1))
    statementStart = k + 1;
  scannedTo = at;
  return statementStart;
}

/** From a statement's start: what stands before `TRANSACTION` in `SET [LOCAL] TRANSACTION`. */
const SET_BEFORE_TRANSACTION = /\s*\(*\s*SET\s+(?:LOCAL\s+)?/iy;

/**
 * ` name(` for every quoted name followed by an opening parenthesis in `text` — a call — for the
 * classifier to read. Backticks, or double quotes (a name under ANSI_QUOTES; a string is never
 * called, so reading one as a name costs nothing); a doubled quote stands for one. Every quote
 * is taken as a name's opener, so any pairing the server may read is covered. Linear: a regular
 * expression (one backtracking step per character) overflowed the stack on a statement of a few
 * million characters — a dump's large row — and took the whole process down.
 */
function quotedCallNames(text: string): string {
  return callsQuotedBy(text, '`') + callsQuotedBy(text, '"');
}

/** Longest quoted name read as a call: MariaDB's names have at most 64 characters (doubled quotes: twice). */
const MAX_QUOTED_NAME = 128;

/** A native function's name: letters, digits and underscores. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function callsQuotedBy(text: string, quote: string): string {
  if (!text.includes(quote)) return '';
  // Runs of the quote: an opener's name ends at the first quote after it not doubled — within
  // its run when an odd number of quotes follow it there, else at the last quote of the next
  // run of odd length.
  const starts: number[] = [];
  const lengths: number[] = [];
  for (let p = text.indexOf(quote); p >= 0; ) {
    let end = p;
    while (text[end + 1] === quote) end++;
    starts.push(p);
    lengths.push(end - p + 1);
    p = text.indexOf(quote, end + 1);
  }
  let names = '';
  let nextOddRunEnd = -1;
  for (let j = starts.length - 1; j >= 0; j--) {
    const run = starts[j]!;
    const length = lengths[j]!;
    for (let i = 0; i < length; i++) {
      const open = run + i;
      const after = length - i - 1;
      const close = after % 2 === 1 ? run + length - 1 : nextOddRunEnd;
      if (close < 0 || close - open < 2 || close - open > MAX_QUOTED_NAME + 1) continue;
      CALL_PARENTHESIS.lastIndex = close + 1;
      // A `;` in a name is no statement's end (a name with one is nobody's built-in anyway).
      // Only a plain word names a native function: `@a`( or `UNLOCK TABLES`( is no call of one.
      if (CALL_PARENTHESIS.test(text) && PLAIN_NAME.test(text.slice(open + 1, close)))
        names += ` ${text.slice(open + 1, close)}(`;
    }
    if (length % 2 === 1) nextOddRunEnd = run + length - 1;
  }
  return names;
}

/**
 * Built-in functions (and keywords that may stand before a parenthesis) a pure read may use:
 * they neither write, nor change or read the session beyond what the proxy replays, nor wait.
 * Anything else called with `(` — a stored or loadable function, SLEEP, GET_LOCK, NEXTVAL —
 * makes the statement an ordinary one. Only names built in on MySQL as well as MariaDB: where a
 * name is not built in (natural_sort_key, crc32c, json_query… on MySQL) an unqualified call of
 * it runs a stored function of that name, which may write.
 */
const PURE_KEYWORDS =
  'select in exists from join on as where and or not xor any all some using values with over ' +
  'partition by having when then else is like regexp rlike between div mod interval distinct ' +
  'union except intersect limit offset group order asc desc case row index key force ' +
  'ignore match against';
/**
 * Keywords and operators written with a parenthesis: white space may stand before it. Before a
 * function's, it may not — without IGNORE_SPACE in sql_mode (mysql2 sets it, the mariadb CLI and
 * Connector/J do not) the server reads `sum (1)` as a call of a stored function named sum.
 */
const KEYWORD_CALLS = new Set(PURE_KEYWORDS.split(' '));
const PURE_CALLS = new Set(
  // keywords and operators written with a parenthesis
  (
    `${PURE_KEYWORDS} ` +
    // types in CAST / CONVERT
    'decimal dec numeric char nchar varchar signed unsigned integer int bigint double float ' +
    'real datetime timestamp ' +
    // aggregates
    'count sum avg min max group_concat std stddev stddev_pop stddev_samp variance var_pop ' +
    'var_samp bit_and bit_or bit_xor json_arrayagg json_objectagg ' +
    // window functions
    'row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value ' +
    'nth_value ' +
    // control flow and casts
    'if ifnull nullif coalesce isnull greatest least cast convert binary ' +
    // strings
    'concat concat_ws substring substr substring_index left right length char_length ' +
    'character_length octet_length bit_length upper lower ucase lcase trim ltrim rtrim replace ' +
    'locate position instr lpad rpad reverse repeat space format hex unhex ascii ord field ' +
    'find_in_set elt make_set export_set insert quote strcmp soundex mid md5 sha sha1 sha2 crc32 ' +
    'to_base64 from_base64 weight_string regexp_replace regexp_instr regexp_substr ' +
    'inet_aton inet_ntoa inet6_aton inet6_ntoa ' +
    // numbers
    'abs ceil ceiling floor round truncate pow power sqrt exp ln log log2 log10 sign pi ' +
    'degrees radians sin cos tan asin acos atan atan2 cot conv bin oct ' +
    // dates and times
    'now curdate curtime current_date current_time current_timestamp localtime localtimestamp ' +
    'utc_date utc_time utc_timestamp unix_timestamp from_unixtime date time year month day ' +
    'dayofmonth dayofweek dayofyear weekday hour minute second microsecond week weekofyear ' +
    'yearweek quarter monthname dayname date_format time_format str_to_date date_add date_sub ' +
    'adddate subdate addtime subtime datediff timediff timestampdiff timestampadd last_day ' +
    'makedate maketime period_add period_diff to_days from_days to_seconds sec_to_time ' +
    'time_to_sec extract convert_tz get_format ' +
    // JSON
    'json_extract json_unquote json_value json_object json_array json_contains ' +
    'json_contains_path json_length json_keys json_type json_valid json_depth json_search ' +
    'json_quote json_merge json_merge_patch json_merge_preserve json_set json_insert json_replace ' +
    'json_remove json_array_append json_array_insert ' +
    // session reads that are the same on every backend the proxy would choose
    'database schema user current_user session_user system_user version charset collation ' +
    'coercibility uuid uuid_short rand'
  ).split(' '),
);

/**
 * Words that make a SELECT lock, write, wait or move a sequence (NEXT VALUE FOR); a second
 * statement; a call of a quoted name (blanked like a literal, so the name cannot be checked).
 */
const NOT_PURE = /\b(?:INTO|UPDATE|SHARE|LOCK|NOWAIT|WAIT|SKIP|PROCEDURE|VALUE\s+FOR)\b|;\s*\S|[`"]\s*\(/i;
/**
 * A name directly followed by an opening parenthesis: a call (or a keyword before a subquery).
 * Unquoted names may hold any character from U+0080 up (text is read as latin1, so a UTF-8
 * name's bytes): `créé(` is one name, not the unknown `é(` nor, for `ümax(`, the built-in `max`.
 */
const CALL = /([\w$.\u0080-\uffff]+)\s*\(/g;

/**
 * True for a SELECT (literals and comments already blanked, `from` past the SELECT keyword)
 * that may be pipelined and re-run: see {@link Trait.PureRead}.
 */
function isPureRead(sql: string, from: number, text: string): boolean {
  if (NOT_PURE.test(sql)) return false;
  if (sql.indexOf('(', from) < 0) return true;
  CALL.lastIndex = from;
  for (let m = CALL.exec(sql); m !== null; m = CALL.exec(sql)) {
    const name = m[1]!.toLowerCase();
    // A comment between a name and its parenthesis (`sum/**/(1)`, blanked to spaces here) makes
    // the name an ordinary identifier to the server: a stored function, whatever its name.
    const gapFrom = m.index + m[1]!.length;
    const gapTo = CALL.lastIndex - 1;
    if (commentBetween(text, gapFrom, gapTo)) return false;
    if (gapTo > gapFrom && !KEYWORD_CALLS.has(name)) return false;
    // schema.function( is a stored function, whatever its name — spaces (or comments, blanked)
    // may stand on either side of the dot: `test . concat(1)` is test.concat.
    if (name.includes('.') || !PURE_CALLS.has(name) || lastCodeChar(sql, m.index) === '.') return false;
    // AGAINST is a keyword only after MATCH (…); anywhere else the server calls a stored
    // function of that name (it is not reserved).
    if (name === 'against' && lastCodeChar(sql, m.index) !== ')') return false;
  }
  return true;
}

/** Whether `text[from, to)` (white space once blanked) held anything but white space: a comment. */
function commentBetween(text: string, from: number, to: number): boolean {
  for (let i = from; i < to && i < text.length; i++) if (text.charCodeAt(i) > 0x20) return true;
  return false;
}

/** The last character before `at` that is not white space ('' at the start). */
function lastCodeChar(sql: string, at: number): string {
  let i = at - 1;
  while (i >= 0 && sql.charCodeAt(i) <= 0x20) i--;
  return i < 0 ? '' : sql[i]!;
}

/**
 * `KILL [CONNECTION | QUERY] <id>`: what to kill and whose; undefined for other forms. The id
 * may be a quoted string of digits, as the server takes any expression there: drivers that
 * fill placeholders themselves (Perl's DBD::mysql, so pt-kill's `prepare('KILL ?')`) send
 * `KILL '346'`. Only single quotes: under ANSI_QUOTES `"346"` is a name.
 */
export function killStatementTarget(sql: string): { query: boolean; id: number } | undefined {
  const m = /^\s*KILL\s+(?:(?:HARD|SOFT)\s+)?(?:(CONNECTION|QUERY)\s+)?(?:(\d+)|'(\d+)')\s*;?\s*$/i.exec(sql);
  if (!m) return undefined;
  return { query: m[1]?.toUpperCase() === 'QUERY', id: Number(m[2] ?? m[3]) };
}

/** The schema named by a `USE db` statement, unquoted; undefined when the text is not one. */
export function useStatementSchema(sql: string): string | undefined {
  const m = USE_ALONE.exec(sql);
  if (!m) return undefined;
  if (m[1] !== undefined) return m[1].replace(/``/g, '`');
  // A reserved word, or `_latin1` (a character set introducer to the lexer), is no name there:
  // the server answers ER 1064.
  const bare = m[2]!;
  return bare.startsWith('_') || RESERVED_WORDS.has(bare.toLowerCase()) ? undefined : bare;
}

/**
 * A USE statement's name, from the statement's start: backquoted (group 1) or bare (group 2), a
 * bare one of the characters an unquoted identifier may have and not led by a digit (`123`,
 * `1e1`, `0x41` are numbers to the server). Any other form (`"db"` under ANSI_QUOTES, `1db`, or
 * a mistake the server answers with ER 1064) is not taken apart: the server gets the text, and
 * its session tracking says which schema it chose.
 */
const USE_AT = /\s*USE\s+(?:`((?:[^`]|``){1,128})`|([A-Za-z_$\u0080-\uffff][0-9A-Za-z_$\u0080-\uffff]*))/iy;
/** A text that is one USE statement and nothing else. */
const USE_ALONE =
  /^\s*USE\s+(?:`((?:[^`]|``){1,128})`|([A-Za-z_$\u0080-\uffff][0-9A-Za-z_$\u0080-\uffff]*))\s*;?\s*$/i;

/**
 * The schema the last `USE` of a multi-statement text names (`SELECT 1; USE db`), unquoted;
 * undefined when no statement of it is a USE.
 */
export function lastUseSchema(sql: string): string | undefined {
  const blanked = blankLiteralsAndComments(sql);
  let schema: string | undefined;
  for (let start = 0; start >= 0; start = blanked.indexOf(';', start) + 1 || -1) {
    USE_AT.lastIndex = start;
    if (USE_AT.exec(blanked) === null) continue;
    // Read from the text itself: the blanked one has the backquoted name's contents blanked.
    USE_AT.lastIndex = start;
    const m = USE_AT.exec(sql)!;
    schema = m[1] !== undefined ? m[1].replace(/``/g, '`') : m[2];
  }
  return schema;
}

/** Where a statement stands to a transaction, when it only opens or only closes one. */
export type TransactionBoundary = 'begin' | 'end';

/** A plain `BEGIN [WORK]` / `START TRANSACTION`: no characteristics, no CONSISTENT SNAPSHOT. */
const PLAIN_BEGIN = /^\s*(?:BEGIN(?:\s+WORK)?|START\s+TRANSACTION)\s*;?\s*$/i;

/**
 * The whole grammar of `COMMIT` / `ROLLBACK` (savepoints aside): `[WORK] [AND [NO] CHAIN]
 * [[NO] RELEASE]`, groups 1–2 the chain clause and its NO, 3–4 the release clause and its NO.
 * Anything after it (a second statement, a comment) does not match.
 */
const COMMIT_OR_ROLLBACK =
  /^\s*(?:COMMIT|ROLLBACK)(?:\s+WORK)?(\s+AND\s+(NO\s+)?CHAIN)?(\s+(NO\s+)?RELEASE)?\s*;?\s*$/i;

/**
 * A plain BEGIN is a `begin`; `COMMIT [WORK]` / `ROLLBACK [WORK]` with neither a chain nor a
 * release clause an `end`; anything else undefined. Comments the server ignores may stand
 * around and between the words (`/* app *\/ BEGIN`, sqlcommenter's trailing tags): the statement
 * is the same. Only these forms may be answered by the proxy without a backend (see
 * ClientSession's lazy BEGIN): a plain BEGIN takes its snapshot at the first read anyway, so
 * opening it on the backend just before that read changes nothing.
 */
export function transactionBoundary(sql: string): TransactionBoundary | undefined {
  const text = QUOTE_OR_COMMENT.test(sql) ? blankPlainComments(sql) : sql;
  if (text === undefined) return undefined;
  if (PLAIN_BEGIN.test(text)) return 'begin';
  const m = COMMIT_OR_ROLLBACK.exec(text);
  return m !== null && m[1] === undefined && m[3] === undefined ? 'end' : undefined;
}

/**
 * A comment the server skips: closed `/* … *\/` that is not executable (`/*!`, `/*M!`), `#` or
 * `-- ` to the end of the line — or to a NUL, where MariaDB's scan of a line comment stops (the
 * rest is then read as SQL, and refused).
 */
const PLAIN_COMMENT = /\/\*(?!M?!)[\s\S]*?\*\/|#[^\n\0]*|--(?=[\x00-\x20\x7f]|$)[^\n\0]*/y;

/**
 * `sql` with its comments blanked when comments are all it has besides words: undefined when
 * it has a literal or a quoted name (no plain boundary has one), an executable or unclosed
 * comment (the server runs or refuses it), `--` before a byte from 0x80 up (a comment only in
 * some character sets), or a comment after a `;` (a second, empty statement, which MariaDB
 * answers with an OK of its own).
 */
function blankPlainComments(sql: string): string | undefined {
  let out = '';
  let from = 0;
  let ended = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === ';') ended = true;
    if (c === "'" || c === '"' || c === '`') return undefined;
    if (c !== '/' && c !== '#' && c !== '-') continue;
    if (c === '-' && sql[i + 1] === '-' && sql.charCodeAt(i + 2) >= 0x80) return undefined;
    PLAIN_COMMENT.lastIndex = i;
    const m = PLAIN_COMMENT.exec(sql);
    if (m === null) {
      if (c === '/' && sql[i + 1] === '*') return undefined;
      continue;
    }
    if (ended) return undefined;
    out += `${sql.slice(from, i)}${' '.repeat(m[0].length)}`;
    from = i + m[0].length;
    i = from - 1;
  }
  return out + sql.slice(from);
}

/**
 * Whether a COMMIT / ROLLBACK ends the session on the server (`… RELEASE`, or completion_type
 * RELEASE without `AND CHAIN` or `NO RELEASE`): MariaDB closes the connection after its OK, so
 * the proxy ends the client's too and never hands that backend connection to anyone else.
 * @param completionType the session's completion_type: as the client set it, else the server's default
 */
export function releasesSession(
  sql: string,
  completionType: string | undefined,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): boolean {
  const releaseByDefault = completionType !== undefined && /^\s*(?:RELEASE|2)\s*$/i.test(completionType);
  // Each statement of a multi-statement text (`DO 0; COMMIT RELEASE`): the server ends the
  // session at the first that releases it, and runs nothing after it.
  for (const statement of blankLiteralsAndComments(sql, noBackslashEscapes, doubleByte).split(';')) {
    const m = COMMIT_OR_ROLLBACK.exec(statement);
    if (m === null) continue;
    if (m[3] !== undefined) {
      if (m[4] === undefined) return true;
    } else if ((m[1] === undefined || m[2] !== undefined) && releaseByDefault) return true;
  }
  return false;
}

/** What a statement does to the session's transaction (see firstBoundary). */
export type StatementBoundary = 'begin' | 'commit' | 'rollback';

/**
 * What the first statement of `sql` does to the session's transaction, read as the server reads
 * it (comments, literals): `begin` for BEGIN [WORK] or START TRANSACTION in any form (not the
 * compound statement BEGIN NOT ATOMIC), `commit` for COMMIT and `rollback` for ROLLBACK in any
 * form (not ROLLBACK [WORK] TO, which ends nothing); undefined for anything else.
 */
export function firstBoundary(
  sql: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): StatementBoundary | undefined {
  const blanked = blankLiteralsAndComments(sql, noBackslashEscapes, doubleByte);
  const end = blanked.indexOf(';');
  const m = TWO_WORDS.exec(end < 0 ? blanked : blanked.slice(0, end));
  if (m === null) return undefined;
  const first = m[1]!.toUpperCase();
  const second = m[2]?.toUpperCase();
  switch (first) {
    case 'COMMIT':
      return 'commit';
    case 'ROLLBACK':
      return (second === 'WORK' ? m[3]?.toUpperCase() : second) === 'TO' ? undefined : 'rollback';
    case 'BEGIN':
      return second === 'NOT' ? undefined : 'begin';
    case 'START':
      return second === 'TRANSACTION' ? 'begin' : undefined;
    default:
      return undefined;
  }
}

/** What a text does to the savepoints of a session's transaction (see savepointEffect). */
export type SavepointEffect = 'takes' | 'ends';

/** A statement's first two words, after blanks and opening parentheses. */
const TWO_WORDS = /^[\s(]*([A-Za-z]+)(?:\s+([A-Za-z]+))?(?:\s+([A-Za-z]+))?/;

/**
 * `takes` when a statement of the text is a SAVEPOINT; else `ends` when one ends the
 * transaction and its savepoints — COMMIT, ROLLBACK (not `ROLLBACK [WORK] TO …`), BEGIN, START
 * TRANSACTION (checked against MariaDB: each makes a later `ROLLBACK TO` answer 1305); else
 * undefined. A text with both takes: holding a connection too long costs sharing, too short
 * loses the savepoint.
 */
export function savepointEffect(
  sql: string,
  noBackslashEscapes = false,
  doubleByte?: DoubleByteCharset,
): SavepointEffect | undefined {
  let ends = false;
  for (const statement of blankLiteralsAndComments(sql, noBackslashEscapes, doubleByte).split(';')) {
    const m = TWO_WORDS.exec(statement);
    if (m === null) continue;
    const first = m[1]!.toUpperCase();
    if (first === 'SAVEPOINT') return 'takes';
    const second = m[2]?.toUpperCase();
    if (first === 'ROLLBACK') {
      const to = second === 'WORK' ? m[3]?.toUpperCase() : second;
      if (to !== 'TO') ends = true;
    } else if (first === 'COMMIT' || (first === 'START' && second === 'TRANSACTION')) ends = true;
    else if (first === 'BEGIN' && second !== 'NOT') ends = true;
  }
  return ends ? 'ends' : undefined;
}

/**
 * Whether a statement's code (literals and comments blanked) names a table in a FROM of its
 * own — one outside parentheses, and not FROM DUAL. A FROM inside parentheses is a function's
 * (`EXTRACT(YEAR FROM d)`, `TRIM(… FROM …)`, `SUBSTRING(s FROM 2)`) or a subquery's, which
 * this does not count: a "no" only makes the caller do more (replay an earlier read, clear the
 * diagnostics area first), while a wrong "yes" would read another client's diagnostics.
 */
export function fromTableAtTopLevel(code: string): boolean {
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === 'F' || c === 'f') && (i === 0 || !WORD_CHAR.test(code[i - 1]!))) {
      FROM_HERE.lastIndex = i;
      const m = FROM_HERE.exec(code);
      if (m !== null && m[1]!.toUpperCase() !== 'DUAL') return true;
    }
  }
  return false;
}

const WORD_CHAR = /[\w$]/;
/** `FROM` as a word, then what it names (group 1: the first word, or the opening character). */
const FROM_HERE = /FROM\b\s*(\w+|\S)/iy;
