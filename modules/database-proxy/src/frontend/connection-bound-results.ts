import type { BackendConnection } from '../backend/backend-connection.js';
import { Trait } from '../session/statement-traits.js';

/** An error as the proxy answered a statement with it. */
export interface ProxyMadeError {
  errno: number;
  sqlState: string;
  message: string;
}

/** What of a statement's outcome decides whose diagnostics and FOUND_ROWS() a connection holds. */
export interface StatementOutcome {
  error: unknown;
  warningsSeen: boolean;
  resultSets: number;
}

/**
 * Whether what a backend connection remembers of "the previous statement" — its diagnostics area
 * (SHOW WARNINGS, @@warning_count, GET DIAGNOSTICS), FOUND_ROWS() and LAST_INSERT_ID() — is one
 * client's own, when that client's statements run on whichever connection is free.
 *
 * The server keeps all three per connection, so after another client's statement ran there they
 * describe that client's. One of these per client session: it is itself the token a connection's
 * `diagnosticsOwner` holds, and it keeps the client's insert id to give a connection that lacks it.
 */
export class ConnectionBoundResults {
  /**
   * The diagnostics area of the connection this client's statements run on may hold another
   * client's conditions: its statement ran there after another's (or long data took a shared
   * connection) and has not replaced them — a statement that uses no table and raises nothing
   * (SET, DO, a table-less SELECT or CALL, BEGIN) leaves them, as MariaDB does. A read of them
   * (Trait.ReadsConditions) is then cleared first, as for a client with nothing pinned.
   */
  foreignDiagnostics = false;
  /** The same for FOUND_ROWS(): another client's SELECT counted last, none of this one's since. */
  foreignFoundRows = false;
  /** The insert id of this client's last statement that produced one (0: none). */
  private lastInsertId = 0;
  /** {@link lastInsertId} exactly, as decimal text, when it is past 2^53 (see ResponseTracker). */
  private lastInsertIdText: string | undefined;
  /**
   * What a backend's `lastInsertOwner` holds when its last insert id is this client's current
   * one: a new token with every new id (and after a session reset), so that connections holding
   * an earlier id of this client's no longer count — one token per client let a connection
   * where it had inserted before answer LAST_INSERT_ID() with that older id.
   */
  private insertOwner: object = {};
  /**
   * The connection where a statement of this client's left an insert id no OK reported (see
   * ranUnreported), while the proxy does not know its value: the client's LAST_INSERT_ID()
   * lives there alone until {@link learnt} reads it back.
   */
  private unreportedOn: BackendConnection | undefined;
  /**
   * The ERR the proxy answered the client's last statement with itself (a KILL of an unknown
   * id, a refusal, a queue timeout): the server never saw it, so no diagnostics area holds it.
   */
  private localError: ProxyMadeError | undefined;

  /** Either of them may be another client's. */
  get anyForeign(): boolean {
    return this.foreignDiagnostics || this.foreignFoundRows;
  }

  /**
   * A statement of this client goes out on `b`: whose conditions are there now. A replay (a read
   * run again to re-create its results) is there to make them this client's own.
   */
  runsOn(b: BackendConnection, replay: boolean): void {
    if (b.diagnosticsOwner === this) return;
    if (b.diagnosticsOwner !== undefined && !replay) {
      this.foreignDiagnostics = true;
      this.foreignFoundRows = true;
    }
    b.diagnosticsOwner = this;
  }

  /** A statement with these traits reads what another client's statement may have left. */
  readsForeign(traits: number): boolean {
    return (
      (this.foreignDiagnostics && (traits & Trait.ReadsConditions) !== 0) ||
      (this.foreignFoundRows && (traits & Trait.ReadsFoundRows) !== 0)
    );
  }

  /**
   * The client's statement got an error from the proxy itself: the connection's diagnostics are
   * not its previous statement's (a read of them must find that error there first).
   */
  failedHere(error: ProxyMadeError): void {
    this.localError = error;
    this.foreignDiagnostics = true;
  }

  /** A statement of the client goes to a server: the proxy's error is not its last outcome. */
  ranOnServer(): void {
    this.localError = undefined;
  }

  /**
   * The statement that raises the proxy's own error of the client's last statement at the
   * server (SIGNAL, which MariaDB takes outside a stored program), so that SHOW WARNINGS,
   * @@error_count or GET DIAGNOSTICS there read it; undefined when there is none, or SIGNAL
   * cannot carry it (a backslash, whose reading depends on sql_mode, or an errno or SQLSTATE
   * it refuses) — the area is then cleared instead. Taken: asked once.
   */
  takeErrorSignal(): string | undefined {
    const e = this.localError;
    this.localError = undefined;
    if (e === undefined || e.message.includes('\\') || e.errno < 1 || e.errno > 65534) return undefined;
    if (!/^[0-9A-Z]{5}$/.test(e.sqlState) || e.sqlState.startsWith('00') || e.sqlState.startsWith('01'))
      return undefined;
    return `SIGNAL SQLSTATE '${e.sqlState}' SET MYSQL_ERRNO = ${e.errno}, MESSAGE_TEXT = '${e.message.replace(/'/g, "''")}'`;
  }

  /** Both are the client's again (its reads were re-created, or another's cleared). */
  owned(): void {
    this.foreignDiagnostics = false;
    this.foreignFoundRows = false;
  }

  /**
   * After a statement of this client on a connection whose diagnostics and FOUND_ROWS() were
   * another's (see runsOn): which of them are this client's now. The diagnostics area is once
   * the statement raised a condition; until then a read of it is cleared first (empty, as the
   * area of a statement that used a table and raised nothing would be — the text cannot tell
   * which statements use a table: `EXTRACT(… FROM …)`, `PREPARE … FROM`). FOUND_ROWS() is once
   * a SELECT ran, which `ranSelect` tells (asked only when it matters).
   */
  after(t: StatementOutcome, ranSelect: (resultSets: number) => boolean): void {
    if (t.error !== undefined || t.warningsSeen) this.foreignDiagnostics = false;
    if (this.foreignFoundRows && t.error === undefined && ranSelect(t.resultSets))
      this.foreignFoundRows = false;
  }

  /**
   * The insert id `b` must be given before a statement that reads LAST_INSERT_ID() runs there
   * (0 for a client with none: the connection's own would be another client's), or undefined
   * when `b` has this client's already. From this call on `b` counts as having it.
   */
  insertIdFor(b: BackendConnection): number | string | undefined {
    if (b.lastInsertOwner === this.insertOwner) return undefined;
    b.lastInsertOwner = this.insertOwner;
    return this.lastInsertIdText ?? this.lastInsertId;
  }

  /**
   * A statement of this client ran on `b` and left `insertId` there (0: none, b's stays);
   * `exact`: the id in decimal when the number is rounded (past 2^53).
   */
  ranOn(b: BackendConnection, insertId: number, exact?: string): void {
    if (insertId > 0) {
      this.unreportedOn = undefined;
      this.lastInsertId = insertId;
      this.lastInsertIdText = exact;
      this.insertOwner = {};
      b.lastInsertOwner = this.insertOwner;
    } else if (b.lastInsertOwner !== this.insertOwner) {
      b.lastInsertOwner = undefined;
    }
  }

  /**
   * A statement of this client ran on `b`, given the client's insert id first, and may have
   * left a new one no OK reported (an INSERT … RETURNING, a CALL): `b` holds the client's
   * current one, whatever its value — the proxy keeps the last it knows for other connections.
   */
  ranUnreported(b: BackendConnection): void {
    this.insertOwner = {};
    b.lastInsertOwner = this.insertOwner;
    this.unreportedOn = b;
  }

  /**
   * Whether `b` holds an insert id of this client's that no OK reported (a CALL's, an INSERT …
   * RETURNING's) and the proxy has not read back: letting `b` go would lose it.
   */
  holdsUnreported(b: BackendConnection): boolean {
    return this.unreportedOn === b && b.lastInsertOwner === this.insertOwner;
  }

  /**
   * `LAST_INSERT_ID()` as read on the connection that held the unreported id (undefined: it
   * could not be read): the client's id from now on, to give other connections. That connection
   * still holds it (the read does not change it).
   */
  learnt(value: string | null | undefined): void {
    this.unreportedOn = undefined;
    if (value === null || value === undefined || !/^[0-9]+$/.test(value)) return;
    const id = Number(value);
    this.lastInsertId = id;
    this.lastInsertIdText = Number.isSafeInteger(id) ? undefined : value;
  }

  /**
   * A new session (COM_RESET_CONNECTION, COM_CHANGE_USER) has no insert id (nor an error of the
   * proxy's to raise), wherever it runs
   * next. `diagnosticsCleared`: its held connection was reset, which empties the diagnostics
   * area — but FOUND_ROWS() still counts the last SELECT there, maybe another client's.
   */
  reset(diagnosticsCleared: boolean): void {
    this.lastInsertId = 0;
    this.lastInsertIdText = undefined;
    this.insertOwner = {};
    this.unreportedOn = undefined;
    this.localError = undefined;
    if (diagnosticsCleared) this.foreignDiagnostics = false;
  }
}
