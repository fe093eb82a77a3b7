import { randomUUID } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { MysqlError, notSupported } from '../errors.js';
import { registerGroupConcatDistinct } from '../functions/group-concat-distinct.js';
import { mysqlFunctions, registerFunctions as registerMysqlFunctions } from '../functions/index.js';
import { JsonResults, registerJsonAggregates } from '../functions/json.js';
import type { Session } from '../session/session.js';
import { splitScope, type VariableValue } from '../session/variables.js';
import { declaredAutoIncrementType } from '../sql/auto-increment-type.js';
import { foreignKeyClauses } from '../sql/foreign-key-clauses.js';
import { onUpdateColumns, onUpdateExtraOf } from '../sql/on-update.js';
import { quoteIdentifier } from './show-statement.js';

/** A session waiting for the database while another session's transaction holds it. */
interface Waiter {
  session: Session;
  run: () => void;
  timer: NodeJS.Timeout;
}

/** What a session may leave in the temp schema; indexes go with their tables. */
const TEMPORARY_TYPES: readonly string[] = ['trigger', 'view', 'table'];

/** An ownership change made inside the open transaction, to undo if SQLite rolls it back. */
interface OwnershipChange {
  /** `PRAGMA temp.schema_version` after the change: a rollback to before it takes the version below. */
  version: number;
  key: string;
  /** The owner before the change; undefined: the object did not exist. */
  previous: Session | null | undefined;
}

/**
 * The key (`type\0name`) of the object in `present` of one of `types` named `name`, as SQLite
 * resolves names: ASCII case-insensitively.
 */
export function findTemporary(
  present: Set<string>,
  types: readonly string[],
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  for (const key of present) {
    const nul = key.indexOf('\0');
    if (types.includes(key.slice(0, nul)) && key.slice(nul + 1).toLowerCase() === lower) return key;
  }
  return undefined;
}

/**
 * The one SQLite connection every client session shares, and the lock that serialises
 * transactions on it.
 *
 * node:sqlite runs statements synchronously, so one statement never interleaves with another;
 * what needs guarding is a transaction spanning several commands. While a session's
 * transaction is open it owns the database; other sessions' commands wait (FIFO, the socket
 * paused) until it commits or rolls back, or answer 1205 after `lock_wait_timeout` seconds.
 * That is SERIALIZABLE isolation, and it works the same for `:memory:` and for files.
 *
 * MySQL functions SQLite lacks (DATABASE(), USER(), CONNECTION_ID(), LAST_INSERT_ID(), NOW()…)
 * and the system/user variables our rewriter turns into `__sysvar()`/`__uservar()` calls are
 * registered as SQLite functions that read the session whose statement is running.
 */
export class SharedDatabase {
  readonly db: DatabaseSync;
  readonly sqliteVersion: string;
  /** The session whose statement is running (the functions below read it). */
  current: Session | undefined;
  #owner: Session | undefined;
  readonly #waiters: Waiter[] = [];
  /** Set from a release until its queued wake ran: the database is kept for the waiters. */
  #wakePending = false;
  /**
   * Bumped whenever the schema may have changed under what was read from it: DDL (the engine
   * calls {@link schemaChanged}) or a transaction that ended other than by COMMIT (a rollback
   * undoes its DDL, and SQLite's schema_version goes back with it, so that cannot tell).
   */
  schemaGeneration = 0;
  /**
   * Objects in the temp schema (`type\0name`) → the session that created them, or null once
   * that session ended and they wait to be dropped (see {@link abandon}). Kept true to what
   * exists, also across ROLLBACK and ROLLBACK TO SAVEPOINT (see {@link #journal}).
   */
  readonly #temporary = new Map<string, Session | null>();
  /**
   * The changes to {@link #temporary} made inside the open transaction, oldest first. SQLite's
   * rollbacks undo DDL, and the temp schema's schema_version goes back with them: the changes
   * made after the version it went back to are undone too, so an object a rollback brings back
   * is its owner's again, not the rolling-back session's.
   */
  readonly #journal: OwnershipChange[] = [];
  /** {@link #temporary} may hold objects to drop: settle it once no transaction is open. */
  #temporaryUnsettled = false;
  #listTemporary: StatementSync | undefined;
  #temporaryVersion: StatementSync | undefined;
  #foreignKeys: StatementSync | undefined;
  /** Per schema, the lookup of a table's stored text (see tableText). */
  readonly #tableText = new Map<string, StatementSync>();
  /** SQLite's own SQLITE_LIMIT_LENGTH, which {@link withLengthLimit} lowers for a while. */
  readonly #maxLength: number;
  /**
   * Bytes the user variables of all sessions hold (as {@link userVariableBytes} counts them): a
   * session's count is given back when it ends or resets. They live on the heap as results do.
   */
  userVariableBytes = 0;

  constructor(
    readonly location: string,
    private readonly globals: Map<string, VariableValue>,
  ) {
    this.db = new DatabaseSync(location, { enableForeignKeyConstraints: true });
    if (location !== ':memory:' && location !== '') {
      this.db.exec('PRAGMA journal_mode=WAL');
    }
    this.#maxLength = this.db.limits.length;
    const row = this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    this.sqliteVersion = row.v;
    this.registerFunctions();
  }

  /**
   * SQLITE_LIMIT_LENGTH (the largest string or blob SQLite makes or reads, and the largest row it
   * builds to sort or store), lowered to `bytes` at most until {@link restoreLengthLimit}: SQLite
   * then fails a statement with SQLITE_TOOBIG before a value reaches the JavaScript heap.
   */
  setLengthLimit(bytes: number): void {
    this.db.limits.length = Math.max(1, Math.min(Math.floor(bytes), this.#maxLength));
  }

  restoreLengthLimit(): void {
    this.db.limits.length = this.#maxLength;
  }

  /** The session holding the database in a transaction, if any. */
  get owner(): Session | undefined {
    return this.#owner;
  }

  /** Sessions waiting for the database. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** True when `session` may run a statement now. */
  available(session: Session): boolean {
    if (this.#owner !== undefined) return this.#owner === session;
    // Between a release and its wake the waiters come first: the releasing session's next
    // command (already read, e.g. a pipelined BEGIN) queues behind them instead of starving them.
    return !this.#wakePending;
  }

  /** Call after running DDL (CREATE/DROP/ALTER, ATTACH/DETACH). */
  schemaChanged(): void {
    this.schemaGeneration++;
  }

  /**
   * Queues `run` until the database is free for `session`; after `timeoutMs` calls `onTimeout`
   * instead. Returns a function that withdraws the request (the connection closed).
   */
  wait(session: Session, run: () => void, timeoutMs: number, onTimeout: () => void): () => void {
    const waiter: Waiter = {
      session,
      run,
      timer: setTimeout(() => {
        this.#remove(waiter);
        onTimeout();
      }, timeoutMs),
    };
    this.#waiters.push(waiter);
    return () => {
      clearTimeout(waiter.timer);
      this.#remove(waiter);
    };
  }

  #remove(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
  }

  /**
   * Call after every statement a session ran: takes or releases the database. `committed`: the
   * statement was a COMMIT (a transaction ending otherwise may have rolled DDL back).
   */
  settle(session: Session, committed = false): void {
    // A session that ran while another one owns the database (a lone KILL) did not open the
    // transaction SQLite reports: that is the owner's, and stays so.
    if (this.#owner !== undefined && this.#owner !== session) return;
    const open = this.db.isTransaction;
    session.inTransaction = open;
    if (open) {
      this.#owner = session;
      return;
    }
    if (this.#owner === session) this.#release(committed);
  }

  /**
   * Rolls back whatever `session` left open (it disconnected or reset), frees the database and
   * drops the temporary objects it created, as MySQL drops a session's temporary tables. While
   * another session's transaction is open the drop waits until it ends: DDL run now would become
   * part of that transaction, and its ROLLBACK would bring the objects back.
   */
  abandon(session: Session): void {
    // Its user variables go with it (a reset clears them).
    this.userVariableBytes -= session.userVariableBytes;
    session.userVariableBytes = 0;
    // After close(): the server is going away, and the objects with it.
    if (!this.db.isOpen) return;
    let orphaned = false;
    for (const [key, owner] of this.#temporary) {
      if (owner !== session) continue;
      this.#temporary.set(key, null);
      orphaned = true;
    }
    // What a rollback of the open transaction would give back is orphaned too.
    for (const change of this.#journal) {
      if (change.previous !== session) continue;
      change.previous = null;
      orphaned = true;
    }
    if (orphaned) this.#temporaryUnsettled = true;
    if (this.#owner === session) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      session.inTransaction = false;
      this.#release(false);
    } else if (orphaned && this.#owner === undefined && !this.db.isTransaction) {
      this.#settleTemporary();
    }
  }

  /** The temporary objects that exist now (`type\0name`); pass it to {@link temporaryChanged}. */
  temporaryObjects(): Set<string> {
    this.#listTemporary ??= this.db.prepare(
      `SELECT type, name FROM temp.sqlite_master WHERE type IN (${TEMPORARY_TYPES.map((t) => `'${t}'`).join(', ')})`,
    );
    const rows = this.#listTemporary.all() as { type: string; name: string }[];
    return new Set(rows.map((r) => `${r.type}\0${r.name}`));
  }

  /**
   * Before `session` creates a temporary `type` (`table`, `view` or `trigger`) named `name`, with
   * what is `present` ({@link temporaryObjects}): throws 1235 when one of that name is another
   * session's. MySQL would give each session a table of its own; on the one shared connection
   * there is one, and sharing it (`IF NOT EXISTS` is a no-op) would have it dropped under this
   * session when its owner ends.
   */
  refuseOthersTemporary(
    session: Session,
    { type, name }: { type: string; name: string },
    present = this.temporaryObjects(),
  ): void {
    // Tables and views share one namespace in SQLite.
    const key = findTemporary(present, type === 'trigger' ? ['trigger'] : ['table', 'view'], name);
    const owner = key === undefined ? undefined : this.#temporary.get(key);
    if (owner === undefined || owner === session) return;
    throw notSupported(
      'temporary tables of the same name in two sessions',
      `: '${name}' is another session's`,
    );
  }

  /**
   * True when the temporary object `key` is another live session's. In MySQL that session's
   * temporary tables do not exist for `session`; here they are in the one shared temp schema, so
   * statements that act on temporary tables by name must pass over them. An ended session's
   * object (waiting for the open transaction to end before it is dropped) is nobody's: dropping
   * it early frees its name for whoever holds the database.
   */
  othersTemporary(session: Session, key: string): boolean {
    const owner = this.#temporary.get(key);
    return owner !== undefined && owner !== null && owner !== session;
  }

  /**
   * Call after DDL (or ROLLBACK TO SAVEPOINT) `session` ran, with {@link temporaryObjects} from
   * before it: the session owns the temporary objects that appeared, whatever way it named them
   * (`CREATE TEMPORARY`, `temp.x`, a trigger on a temporary table, a rename); the ones gone are
   * forgotten. Objects a rollback brought back are their owners' again.
   */
  temporaryChanged(session: Session, before: Set<string>): void {
    this.#undoRolledBack();
    const after = this.temporaryObjects();
    for (const key of before) if (!after.has(key)) this.#setOwner(key, undefined);
    for (const key of after) if (!before.has(key) && !this.#temporary.has(key)) this.#setOwner(key, session);
  }

  /** Sets (undefined: forgets) the owner of `key`, journaled while a transaction may undo it. */
  #setOwner(key: string, owner: Session | undefined): void {
    const previous = this.#temporary.get(key);
    if (previous === owner) return;
    if (this.db.isTransaction) this.#journal.push({ version: this.#temporarySchemaVersion(), key, previous });
    if (owner === undefined) this.#temporary.delete(key);
    else this.#temporary.set(key, owner);
  }

  /** Undoes the ownership changes of DDL a rollback (to a savepoint, or of it all) undid. */
  #undoRolledBack(): void {
    if (this.#journal.length === 0) return;
    const version = this.#temporarySchemaVersion();
    while (this.#journal.length > 0 && this.#journal.at(-1)!.version > version) {
      const { key, previous } = this.#journal.pop()!;
      if (previous === undefined) this.#temporary.delete(key);
      else this.#temporary.set(key, previous);
    }
  }

  #temporarySchemaVersion(): number {
    this.#temporaryVersion ??= this.db.prepare('PRAGMA temp.schema_version');
    return (this.#temporaryVersion.get() as { schema_version: number }).schema_version;
  }

  /**
   * With no transaction open: drops the temporary objects of sessions that ended (and forgets
   * any that are gone, should DDL have escaped {@link temporaryChanged}).
   */
  #settleTemporary(): void {
    if (!this.#temporaryUnsettled) return;
    this.#temporaryUnsettled = false;
    const present = this.temporaryObjects();
    const drops: [type: string, name: string][] = [];
    for (const [key, owner] of this.#temporary) {
      if (owner === null && present.has(key)) {
        const nul = key.indexOf('\0');
        drops.push([key.slice(0, nul), key.slice(nul + 1)]);
      }
      if (owner === null || !present.has(key)) this.#temporary.delete(key);
    }
    if (drops.length === 0) return;
    // Triggers and views first: dropping a table takes its own triggers along.
    drops.sort(([a], [b]) => TEMPORARY_TYPES.indexOf(a) - TEMPORARY_TYPES.indexOf(b));
    for (const [type, name] of drops) {
      try {
        this.db.exec(`DROP ${type.toUpperCase()} IF EXISTS temp.${quoteIdentifier(name)}`);
      } catch {
        // Runs as a connection closes, where there is no one to tell: the object stays, shared,
        // as it would have without this clean-up.
      }
    }
    this.schemaChanged();
  }

  #release(committed: boolean): void {
    this.#owner = undefined;
    // A ROLLBACK (ours, SQLite's on an error, or an abandoned session's) took the temp schema
    // back: so do its owners. After a COMMIT the changes stay, and need no journal any more.
    this.#undoRolledBack();
    this.#journal.length = 0;
    if (!committed) this.schemaChanged();
    // Before any waiter runs: a session that ended during the transaction had its objects kept
    // until now, and the name must be free for whoever creates it next.
    this.#settleTemporary();
    if (this.#waiters.length === 0) return;
    // Not now: the releasing session may be mid-way through a multi-statement text, and a
    // waiter woken synchronously would open its transaction under the statements still to run.
    this.#wakePending = true;
    queueMicrotask(() => this.#wake());
  }

  #wake(): void {
    this.#wakePending = false;
    // Each woken session runs its command synchronously; stop once one of them opened a
    // transaction (the rest keep waiting for it), or once one ran a whole transaction: its release
    // queued a wake of its own, and until that runs every waiter would queue itself again.
    while (this.#owner === undefined && !this.#wakePending && this.#waiters.length > 0) {
      const next = this.#waiters.shift()!;
      clearTimeout(next.timer);
      next.run();
    }
  }

  /** The SQLite schemas clients see as databases: `main` and attached ones (not `temp`). */
  schemas(): string[] {
    const rows = this.db.prepare('PRAGMA database_list').all() as { name: string }[];
    return rows.map((r) => r.name).filter((n) => n !== 'temp');
  }

  /**
   * The stored CREATE TABLE text of `table` in SQLite's schema `schema` (`temp` too), or
   * undefined when there is no such table or schema. Read for SHOW CREATE TABLE, DESCRIBE and an
   * UPDATE's ON UPDATE columns (once per schema generation: Engine.resolution).
   */
  tableText(schema: string, table: string): string | undefined {
    let lookup = this.#tableText.get(schema);
    try {
      if (lookup === undefined) {
        lookup = this.db.prepare(
          `SELECT sql FROM ${quoteIdentifier(schema)}.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
        );
        this.#tableText.set(schema, lookup);
      }
      return (lookup.get(table) as { sql: string } | undefined)?.sql;
    } catch {
      // An unknown (or detached) schema: the statement itself will say so.
      this.#tableText.delete(schema);
      return undefined;
    }
  }

  /**
   * `steps` with SQLite's foreign keys off, put back after as they were (a client's own PRAGMA
   * may have turned them off for everybody: the connection is every session's). SQLite ignores
   * the switch inside a transaction, so callers use it outside one.
   */
  withoutForeignKeys<T>(steps: () => T): T {
    this.#foreignKeys ??= this.db.prepare('PRAGMA foreign_keys');
    const before = (this.#foreignKeys.get() as { foreign_keys: number }).foreign_keys;
    this.db.exec('PRAGMA foreign_keys = OFF');
    try {
      return steps();
    } finally {
      this.db.exec(`PRAGMA foreign_keys = ${before ? 'ON' : 'OFF'}`);
    }
  }

  /** The schema spelled `name` (case-insensitively), or undefined. */
  findSchema(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.schemas().find((s) => s.toLowerCase() === lower);
  }

  /** A system variable as the running session sees it. */
  variable(session: Session | undefined, qualified: string): VariableValue {
    const { scope, name } = splitScope(qualified);
    if (name === 'autocommit' && scope === 'session' && session) return session.autocommit ? 1n : 0n;
    if (name === 'last_insert_id' || name === 'identity') return session?.lastInsertId ?? 0n;
    if (scope === 'session' && session?.variables.has(name)) return session.variables.get(name)!;
    if (this.globals.has(name)) return this.globals.get(name)!;
    throw new MysqlError(1193, `Unknown system variable '${name}'`);
  }

  /**
   * Gives a session that logs in, or is reset, the values MySQL derives from the kind of client:
   * an interactive client's wait_timeout is the global interactive_timeout.
   */
  startSession(session: Session): void {
    if (session.interactive)
      session.variables.set('wait_timeout', this.variable(undefined, 'interactive_timeout'));
  }

  /** True when `name` is a system variable we know. */
  hasVariable(name: string): boolean {
    return this.globals.has(name) || name === 'last_insert_id' || name === 'identity';
  }

  /** Sets a global variable (SET GLOBAL). */
  setGlobal(name: string, value: VariableValue): void {
    this.globals.set(name, value);
  }

  /** Every global variable (SHOW VARIABLES). */
  get globalVariables(): ReadonlyMap<string, VariableValue> {
    return this.globals;
  }

  close(): void {
    for (const w of this.#waiters) clearTimeout(w.timer);
    this.#waiters.length = 0;
    if (this.db.isOpen) this.db.close();
  }

  private registerFunctions(): void {
    const db = this.db;
    const opts = { deterministic: false, directOnly: false };
    const session = () => this.current;
    db.function('__sysvar', opts, (name) => this.variable(session(), String(name)));
    db.function('__uservar', opts, (name) => {
      const v = session()?.userVariables.get(String(name));
      return v === undefined ? null : v;
    });
    const schema = () => session()?.schema ?? null;
    db.function('DATABASE', opts, schema);
    db.function('SCHEMA', opts, schema);
    const user = () => {
      const s = session();
      return s ? `${s.user}@${s.host}` : null;
    };
    for (const name of ['USER', 'SESSION_USER', 'SYSTEM_USER', 'CURRENT_USER']) db.function(name, opts, user);
    db.function('CONNECTION_ID', opts, () => BigInt(session()?.connectionId ?? 0));
    db.function('VERSION', opts, () => this.variable(undefined, 'version'));
    db.function('LAST_INSERT_ID', { ...opts, varargs: true }, (...args) => {
      const s = session();
      if (args.length > 0 && s && args[0] !== null) {
        s.lastInsertId = BigInt(args[0] as number | bigint);
        return s.lastInsertId;
      }
      return s?.lastInsertId ?? 0n;
    });
    db.function('ROW_COUNT', opts, () => session()?.rowCount ?? -1n);
    db.function('FOUND_ROWS', opts, () => session()?.foundRows ?? 0n);
    db.function('UNIX_TIMESTAMP', { ...opts, varargs: true }, (...args) => {
      if (args.length === 0 || args[0] === null) return BigInt(Math.floor(Date.now() / 1000));
      const ms = Date.parse(`${String(args[0]).replace(' ', 'T')}Z`);
      return Number.isNaN(ms) ? null : BigInt(Math.floor(ms / 1000));
    });
    db.function('UUID', opts, () => randomUUID());
    registerGroupConcatDistinct(db);
    // The JSON results of this database's statements, for its JSON functions and aggregates alike.
    const jsonResults = new JsonResults();
    registerJsonAggregates(db, jsonResults);
    // information_schema's name of foreign key `id` (pragma_foreign_key_list's) of a table: its
    // CONSTRAINT name, or MySQL's `<table>_ibfk_<n>`, read from the table's stored definition.
    db.function('__foreign_key_name', opts, (schema, table, id) => {
      const name = String(table);
      const row = db
        .prepare(
          `SELECT sql FROM "${String(schema).replaceAll('"', '""')}".sqlite_schema WHERE type = 'table' AND name = ?`,
        )
        .get(name) as { sql: string } | undefined;
      const keys = row === undefined ? [] : foreignKeyClauses(row.sql, name);
      return keys[keys.length - 1 - Number(id)]?.name ?? `${name}_ibfk_${Number(id) + 1}`;
    });
    // information_schema.COLUMNS' type of a rowid column: the AUTO_INCREMENT column's declared one.
    db.function('__declared_type', opts, (schema, table, type) => {
      const declared = declaredAutoIncrementType(this.tableText(String(schema), String(table)) ?? '');
      return declared ?? type;
    });
    // information_schema.COLUMNS' EXTRA of a column with ON UPDATE CURRENT_TIMESTAMP.
    db.function('__on_update_extra', opts, (schema, table, column) =>
      onUpdateExtraOf(onUpdateColumns(this.tableText(String(schema), String(table)) ?? ''), String(column)),
    );
    registerMysqlFunctions(
      db,
      mysqlFunctions(
        {
          maxResultLength: () =>
            Math.min(db.limits.length, Number(this.variable(undefined, 'max_allowed_packet'))),
        },
        jsonResults,
      ),
    );
  }
}
