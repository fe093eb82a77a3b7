/**
 * The statements one client prepared, under the ids the proxy gave them, and which of them keep
 * something on a backend statement (an open cursor, long data waiting for its execute). The
 * backend statements themselves are shared by every client of a flavour and live on the
 * backend connections (see BackendConnection.statements), keyed by {@link statementKey}.
 */
import {
  COM_STMT_BULK_EXECUTE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_RESET,
  SERVER_STATUS_CURSOR_EXISTS,
  SERVER_STATUS_LAST_ROW_SENT,
} from '@scalestack/mysql-protocol';
import type { BackendStatement } from '../backend/backend-connection.js';
import { PIN_BIT } from '../session/pin-reason.js';
import type { TransactionBoundary } from '../session/statement-traits.js';

/** The id MariaDB connectors send for "the statement prepared just before" (prepare and execute in one go). */
export const LAST_PREPARED_ID = 0xffffffff;

/** A statement the client prepared, under the id the proxy gave it. */
export interface ClientStatement {
  readonly id: number;
  /** Identity of the statement on a backend: schema, parse-relevant variables, SQL text (see statementKey). */
  readonly key: string;
  /** The parse settings it was prepared under (see parseSettingsOf): a re-prepare uses them. */
  readonly vars: string;
  /**
   * The key it last ran under on a backend: {@link key}, or a private one when another of the
   * client's statements holds a cursor or long data under that. Closing it, and keeping its
   * cursor or long data from eviction, go by this one.
   */
  backendKey: string;
  /** The COM_STMT_PREPARE payload, kept to prepare it again on another backend. */
  readonly preparePayload: Buffer;
  readonly params: number;
  /** Parameter types the client last bound (the execute's type block). */
  types: Buffer | undefined;
  /**
   * An error met while taking its long data (refused, backend lost): long data has no reply,
   * so this answers the next execute instead, as a server answers a long-data error.
   */
  longDataError?: { errno: number; sqlState: string; message: string };
  /** Trait flags of its SQL, applied to every execute. */
  readonly traits: number;
  /** A plain BEGIN / COMMIT / ROLLBACK, which the proxy may answer itself. */
  readonly boundary: TransactionBoundary | undefined;
  /** Default schema when it was prepared: names in it resolve there, on any backend. */
  readonly schema: string | null;
  /** Whether it is an INSERT / REPLACE … RETURNING (see ClientSession.mayInsertUnreported), once asked. */
  insertsUnreported?: boolean;
  /** Whether it may read a view that is not a pure read, as of ImpureViews `viewsVersion`. */
  readsImpureView: boolean;
  viewsVersion: number;
}

/** What a new statement is made of, but its id (see {@link ClientStatements.add}). */
export type NewClientStatement = Omit<ClientStatement, 'id' | 'backendKey'>;

/** A client's prepared statements, and those of them holding a cursor or long data on a backend. */
export class ClientStatements {
  private readonly byId = new Map<number, ClientStatement>();
  private nextId = 1;
  /** The statement prepared last (what id {@link LAST_PREPARED_ID} names); 0 when none or its prepare failed. */
  lastPrepared = 0;
  /** Statements with an open cursor on their backend statement (client ids). */
  readonly openCursors = new Set<number>();
  /** Statements whose long data waits on their backend statement for the execute (client ids). */
  readonly longData = new Set<number>();

  get size(): number {
    return this.byId.size;
  }

  /** The statement a command's id (bytes 1–4 of `payload`) names. */
  lookup(payload: Buffer): ClientStatement | undefined {
    return this.byId.get(this.idIn(payload));
  }

  /** The client id a command's id field (bytes 1–4 of `payload`) stands for. */
  idIn(payload: Buffer): number {
    const id = payload.readUInt32LE(1);
    return id === LAST_PREPARED_ID ? this.lastPrepared : id;
  }

  /**
   * The id the next statement gets: ids wrap before {@link LAST_PREPARED_ID} and skip ids in use.
   * Taken by {@link add}.
   */
  nextFreeId(): number {
    let id = this.nextId;
    while (this.byId.has(id)) id = id + 1 >= LAST_PREPARED_ID ? 1 : id + 1;
    return id;
  }

  /** Files a statement just prepared under `id` (from {@link nextFreeId}); it is the last prepared. */
  add(id: number, backendKey: string, statement: NewClientStatement): ClientStatement {
    const cs: ClientStatement = { ...statement, id, backendKey };
    this.byId.set(id, cs);
    this.nextId = id + 1 >= LAST_PREPARED_ID ? 1 : id + 1;
    this.lastPrepared = id;
    return cs;
  }

  /**
   * Forgets statement `id` (COM_STMT_CLOSE). Returns it, and whether it held a cursor or long
   * data (its backend statement is then to be closed), or undefined for an unknown id.
   */
  remove(id: number): { cs: ClientStatement; held: boolean } | undefined {
    const cs = this.byId.get(id);
    if (cs === undefined) return undefined;
    this.byId.delete(id);
    const cursor = this.openCursors.delete(id);
    const longData = this.longData.delete(id);
    return { cs, held: cursor || longData };
  }

  /** Whether statement `id` holds a cursor or long data on its backend statement. */
  holds(id: number): boolean {
    return this.longData.has(id) || this.openCursors.has(id);
  }

  /** Whether a statement other than `id` keeps a cursor or long data under backend key `key`. */
  heldByAnother(key: string, id: number): boolean {
    return this.anotherUnder(this.openCursors, key, id) || this.anotherUnder(this.longData, key, id);
  }

  /** Backend keys a cursor or long data of these statements lives under (not to be evicted). */
  busyBackendKeys(): Set<string> {
    const busy = new Set<string>();
    for (const ids of [this.openCursors, this.longData])
      for (const id of ids) {
        const cs = this.byId.get(id);
        if (cs !== undefined) busy.add(cs.backendKey);
      }
    return busy;
  }

  /** `pins` with the cursor / long-data pins set or cleared from the statements that hold them. */
  pinsWith(pins: number): number {
    pins = this.openCursors.size > 0 ? pins | PIN_BIT.cursor : pins & ~PIN_BIT.cursor;
    return this.longData.size > 0 ? pins | PIN_BIT.long_data : pins & ~PIN_BIT.long_data;
  }

  /**
   * After the server answered a statement command for `id`: a cursor opened or ended, long data
   * taken by its execute or thrown away by a reset.
   * @param status the answer's server status flags
   */
  answered(command: number, id: number, status: number, failed: boolean): void {
    if (command === COM_STMT_EXECUTE || command === COM_STMT_BULK_EXECUTE) {
      this.longData.delete(id);
      if (status & SERVER_STATUS_CURSOR_EXISTS && !failed) this.openCursors.add(id);
      else this.openCursors.delete(id);
    } else if (command === COM_STMT_FETCH) {
      if (failed || status & SERVER_STATUS_LAST_ROW_SENT || !(status & SERVER_STATUS_CURSOR_EXISTS))
        this.openCursors.delete(id);
    } else if (command === COM_STMT_RESET) {
      this.openCursors.delete(id);
      this.longData.delete(id);
    }
  }

  /** The backend they lived on is gone: no cursor, no long data any more (the statements stay). */
  dropHeld(): void {
    this.openCursors.clear();
    this.longData.clear();
  }

  /** A session reset: every statement goes. */
  clear(): void {
    this.byId.clear();
    this.dropHeld();
  }

  private anotherUnder(ids: ReadonlySet<number>, key: string, id: number): boolean {
    for (const other of ids) if (other !== id && this.byId.get(other)?.backendKey === key) return true;
    return false;
  }
}

/** A backend statement's identity: schema, parse settings (see ClientSession.parseVariables), SQL text. */
export function statementKey(schema: string | null, parseVariables: string, sql: string): string {
  return `${schema ?? ''}\u0000${parseVariables}\u0000${sql}`;
}

/**
 * A backend-statement key no other statement shares: client `clientId`'s statement `id`, whose
 * shared key another of its statements holds a cursor or long data under.
 */
export function privateStatementKey(key: string, clientId: number, id: number): string {
  return `${key}\u0000${clientId}\u0000${id}`;
}

/** Offset of an execute's new-params-bound flag for a statement of `params` parameters. */
function boundFlagAt(params: number): number {
  return 10 + ((params + 7) >> 3);
}

/** Keeps the parameter types a COM_STMT_EXECUTE binds (new-params-bound flag 1) on its statement. */
export function rememberBoundTypes(payload: Buffer, cs: ClientStatement): void {
  const n = cs.params;
  const flagAt = boundFlagAt(n);
  if (n === 0 || payload.length <= flagAt || payload[flagAt] !== 1) return;
  keepTypes(cs, payload.subarray(flagAt + 1, flagAt + 1 + 2 * n));
}

/** Makes `types` (a type block) the statement's own copy, unless it has those already. */
function keepTypes(cs: ClientStatement, types: Buffer): void {
  if (cs.types === undefined || !cs.types.equals(types)) cs.types = Buffer.from(types);
}

/**
 * The types `cs` last bound when backend statement `bs` lacks them (it has none, or others): a
 * command relying on them must carry them, and `bs` has them from then on. Undefined otherwise.
 */
function typesToWrite(cs: ClientStatement, bs: BackendStatement): Buffer | undefined {
  const types = cs.types;
  if (types === undefined || bs.boundTypes === types || bs.boundTypes?.equals(types)) return undefined;
  bs.boundTypes = types;
  return types;
}

/**
 * An execute that relies on types bound earlier (new-params-bound = 0) gets them written in
 * when backend statement `bs` last saw other types, or none (it was just prepared there).
 * Returns the payload to send (`payload` itself when nothing changes).
 */
export function bindTypes(payload: Buffer, cs: ClientStatement, bs: BackendStatement): Buffer {
  const n = cs.params;
  if (n === 0) return payload;
  const flagAt = boundFlagAt(n);
  if (payload.length <= flagAt) return payload;
  if (payload[flagAt] === 1) {
    // Its types, remembered at dispatch (rememberBoundTypes), go with it.
    bs.boundTypes = cs.types;
    return payload;
  }
  const types = typesToWrite(cs, bs);
  if (types === undefined) return payload;
  return Buffer.concat([payload.subarray(0, flagAt), Buffer.of(1), types, payload.subarray(flagAt + 1)]);
}

/** COM_STMT_BULK_EXECUTE's flag: a parameter type block follows the flags. */
const BULK_SEND_TYPES = 128;
/** Where a bulk execute's type block starts: command, id (4), flags (2). */
const BULK_TYPES_AT = 7;

/** Keeps the parameter types a COM_STMT_BULK_EXECUTE sends (SEND_TYPES_TO_SERVER) on its statement. */
export function rememberBulkTypes(payload: Buffer, cs: ClientStatement): void {
  const n = cs.params;
  if (n === 0 || !(payload.readUInt16LE(5) & BULK_SEND_TYPES)) return;
  if (payload.length < BULK_TYPES_AT + 2 * n) return;
  keepTypes(cs, payload.subarray(BULK_TYPES_AT, BULK_TYPES_AT + 2 * n));
}

/**
 * A bulk execute without a type block relies on types bound earlier, as an execute with
 * new-params-bound 0 does (see bindTypes): written in, with the flag, when backend statement
 * `bs` last saw other types or none. The type block is the execute's: a type and a flag byte.
 */
export function bindBulkTypes(payload: Buffer, cs: ClientStatement, bs: BackendStatement): Buffer {
  if (cs.params === 0) return payload;
  const flags = payload.readUInt16LE(5);
  if (flags & BULK_SEND_TYPES) {
    bs.boundTypes = cs.types;
    return payload;
  }
  const types = typesToWrite(cs, bs);
  if (types === undefined) return payload;
  const head = Buffer.from(payload.subarray(0, BULK_TYPES_AT));
  head.writeUInt16LE(flags | BULK_SEND_TYPES, 5);
  return Buffer.concat([head, types, payload.subarray(BULK_TYPES_AT)]);
}
