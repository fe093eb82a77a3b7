/**
 * The operations of the chaos test (chaos.test.ts): their seeded generation, and how a client
 * runs each one and records what it was told — per id it writes, whether the write must be in
 * the table, must not be, or may be either (the client left or lost its connection).
 */
import { prng, waitFor } from '@scalestack/test-harness';
import type { Connection as CoreConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import type { Row } from './backends.js';
import { watchProtocol } from './protocol-warnings.js';
import type { ProxyFixture } from './proxy-fixture.js';

/** Operation kinds, each of which CHAOS_EXCLUDE may keep out of a run. */
export const KINDS = [
  'insert',
  'txn',
  'read',
  'readOwn',
  'sleepRead',
  'rowLockHold',
  'rowLockWait',
  'tableLockHold',
  'tableLockRead',
  'advisory',
  'prepRead',
  'userVar',
  'sqlMode',
  'use',
  'reset',
  'changeUser',
  'destroySentInsert',
  'destroySentCommit',
  'destroySentRead',
  'destroyRunningInsert',
  'destroyRunningTxnInsert',
  'destroyRunningRead',
  'destroyRunningSharedRead',
  'killQuery',
  'killConnection',
  'killBackend',
] as const;

export type Op =
  | { kind: 'insert'; id: number; prepared: boolean }
  | { kind: 'txn'; ids: number[]; commit: boolean; readBack: boolean; prepared: boolean }
  | { kind: 'read' | 'readOwn' | 'tableLockHold' | 'tableLockRead' | 'advisory' | 'reset' | 'changeUser' }
  | { kind: 'sleepRead'; ms: number }
  | { kind: 'rowLockHold' | 'rowLockWait'; k: number }
  | { kind: 'prepRead' | 'userVar'; x: number }
  | { kind: 'sqlMode'; ansi: boolean }
  | { kind: 'use'; db: 'test' | 'test2' }
  | { kind: 'destroySentInsert' | 'destroyRunningInsert' | 'destroyRunningTxnInsert'; id: number }
  | { kind: 'destroySentCommit'; ids: number[] }
  | { kind: 'destroySentRead' | 'destroyRunningRead' | 'destroyRunningSharedRead' }
  | { kind: 'killQuery' | 'killConnection'; victim: number }
  | { kind: 'killBackend'; pick: number };

const WEIGHTS: Record<Op['kind'], number> = {
  insert: 14,
  txn: 14,
  read: 7,
  readOwn: 5,
  sleepRead: 5,
  rowLockHold: 2,
  rowLockWait: 3,
  tableLockHold: 1,
  tableLockRead: 3,
  advisory: 2,
  prepRead: 4,
  userVar: 3,
  sqlMode: 3,
  use: 3,
  reset: 2,
  changeUser: 2,
  destroySentInsert: 1.5,
  destroySentCommit: 1.5,
  destroySentRead: 1,
  destroyRunningInsert: 1.5,
  destroyRunningTxnInsert: 1.5,
  destroyRunningRead: 0.7,
  destroyRunningSharedRead: 0.5,
  killQuery: 3,
  killConnection: 1.2,
  killBackend: 0.8,
};

/** The operations of each client, fixed by `seed` (ids are unique over the run). */
export function generateOps(seed: number, total: number, clients: number, exclude: Set<string>): Op[][] {
  const rng = prng(seed);
  const int = (n: number) => Math.floor(rng() * n);
  const kinds = KINDS.filter((k) => !exclude.has(k));
  const sum = kinds.reduce((a, k) => a + WEIGHTS[k], 0);
  const ops: Op[][] = Array.from({ length: clients }, () => []);
  let nextId = 1;
  const ids = (n: number) => Array.from({ length: n }, () => nextId++);
  for (let n = 0; n < total; n++) {
    const client = int(clients);
    let r = rng() * sum;
    let kind = kinds[kinds.length - 1]!;
    for (const k of kinds) {
      r -= WEIGHTS[k];
      if (r < 0) {
        kind = k;
        break;
      }
    }
    const other = (client + 1 + int(clients - 1)) % clients;
    let op: Op;
    switch (kind) {
      case 'insert':
        op = { kind, id: nextId++, prepared: rng() < 0.3 };
        break;
      case 'txn':
        op = {
          kind,
          ids: ids(1 + int(3)),
          commit: rng() < 0.7,
          readBack: rng() < 0.4,
          prepared: rng() < 0.3,
        };
        break;
      case 'sleepRead':
        op = { kind, ms: 10 + int(60) };
        break;
      case 'rowLockHold':
      case 'rowLockWait':
        op = { kind, k: 1 + int(4) };
        break;
      case 'prepRead':
      case 'userVar':
        op = { kind, x: int(1_000_000) };
        break;
      case 'sqlMode':
        op = { kind, ansi: rng() < 0.6 };
        break;
      case 'use':
        op = { kind, db: rng() < 0.5 ? 'test2' : 'test' };
        break;
      case 'destroySentInsert':
      case 'destroyRunningInsert':
      case 'destroyRunningTxnInsert':
        op = { kind, id: nextId++ };
        break;
      case 'destroySentCommit':
        op = { kind, ids: ids(1 + int(2)) };
        break;
      case 'killQuery':
      case 'killConnection':
        op = { kind, victim: other };
        break;
      case 'killBackend':
        op = { kind, pick: rng() };
        break;
      default:
        op = { kind } as Op;
    }
    ops[client]!.push(op);
  }
  return ops;
}

/** What a client was told about one id it wrote. */
export interface IdRecord {
  client: number;
  expect: 'present' | 'absent' | 'unknown';
  why: string;
  /**
   * For a write whose client left while it ran: when it was sent. A backend connection the test
   * killed at the server after that may have been its own (the processlist read that chose the
   * victim can predate the write), so the write is then of unknown outcome.
   */
  sentAt?: number;
}

export interface ChaosClient {
  idx: number;
  user: string;
  password: string;
  conn: mysql.Connection | null;
  /** Its connection is gone (or must be replaced): the next operation reconnects first. */
  closed: boolean;
  /** Why the test expects the connection to close (null: it should not). */
  closeExplained: string | null;
  /** The proxy's id of its connection (mysql2's threadId). */
  threadId: number;
  log: string[];
  /**
   * The session as the client set it (`unknown` after a statement that may or may not have
   * run). `login`: mysql2 logs in with CLIENT_IGNORE_SPACE, which MariaDB adds to the global
   * sql_mode for that session; `default` is the global one (SET DEFAULT), and so is `afterReset`
   * (a reset or a change of user), where the proxy may keep the login's IGNORE_SPACE (see
   * checkSession).
   */
  vars: {
    v: number | null;
    sqlMode: 'login' | 'default' | 'afterReset' | 'ansi' | 'unknown';
    db: 'test' | 'test2' | 'unknown';
  };
  /** Its last autocommit write answered OK. */
  lastOkId: number | null;
  /** Another client sent KILL CONNECTION for its connection. */
  killedByPeer: boolean;
}

export interface ChaosContext {
  fx: ProxyFixture;
  /**
   * Root, straight to MariaDB: kills backend threads, finds running statements. Nothing should
   * ever close it: if something does, a violation is recorded and a new one opened.
   */
  root(): Promise<mysql.Connection>;
  /** The server's global sql_mode. */
  defaultSqlMode: string;
  clients: ChaosClient[];
  ids: Map<number, IdRecord>;
  violate(what: string, clients?: number[]): void;
  backendKills: number;
  start: number;
  /** When the test killed a backend connection at the server (Date.now()). */
  backendKillTimes: number[];
  /** Known bugs whose symptoms are tolerated (CHAOS_KNOWN; see chaos.test.ts). */
  known: Set<string>;
}

type SqlError = Error & { errno?: number; code?: string; fatal?: boolean; sqlState?: string };

/** The proxy's own codes (README's error table). */
const PROXY_CODES = new Set([
  1045, 1040, 1047, 1153, 1156, 1835, 1043, 1251, 1243, 1421, 1461, 4031, 1053, 1235, 1094, 1295, 1317, 9001,
  9002, 9003, 9004, 9005, 9006, 9007, 9008,
]);
/** Refusals before anything was sent: the statement did not run. */
const REFUSED = new Set([9001, 9002, 9003, 9004, 9006]);
/** Codes after which the proxy (or server) closes the client's connection. */
const FATAL = new Set([9007, 9008, 1927, 4031, 1053, 1153, 1156, 1835]);
/** Codes that say the statement's outcome is not known. */
const UNKNOWN_OUTCOME = new Set([9005, 9008, 1927, 2013]);

/** A statement's result: its value, or the error it failed with. */
type Result<T> = { ok: true; value: T } | { ok: false; err: SqlError };

/** Not a synchronisation: a statement unanswered this long is reported as a hang. */
const HANG_MS = 10_000;

function core(conn: mysql.Connection): CoreConnection & {
  _closing?: boolean;
  _fatalError?: unknown;
  stream?: { destroyed?: boolean };
  _statements?: { clear(): void };
} {
  return (conn as unknown as { connection: ReturnType<typeof core> }).connection;
}

function isClosed(c: ChaosClient): boolean {
  if (c.closed || c.conn === null) return true;
  const k = core(c.conn);
  return Boolean(k._closing || k._fatalError || k.stream?.destroyed);
}

function say(ctx: ChaosContext, c: ChaosClient, line: string): void {
  c.log.push(`[c${c.idx} t=${Date.now() - ctx.start}ms] ${line}`);
}

function record(
  ctx: ChaosContext,
  c: ChaosClient,
  ids: number[],
  expect: IdRecord['expect'],
  why: string,
): void {
  for (const id of ids) ctx.ids.set(id, { client: c.idx, expect, why });
}

function describeErr(err: SqlError): string {
  return `ERR ${err.errno ?? err.code ?? '?'} ${err.message.slice(0, 140)}`;
}

/**
 * Checks an error's code and notes what it means for the connection: a documented proxy code
 * or a server's, never a generic one; no code at all only for a connection the test has
 * reason to see closed.
 */
function judgeError(ctx: ChaosContext, c: ChaosClient, label: string, err: SqlError): void {
  const errno = err.errno;
  if (errno === undefined || errno < 0) {
    // mysql2 gives socket errors (ECONNRESET: -104) the system's negative errno.
    // A lost connection (mysql2's PROTOCOL_CONNECTION_LOST, a closed-state enqueue…).
    const cause =
      c.closeExplained ??
      (c.killedByPeer ? 'KILL CONNECTION by a peer' : null) ??
      (ctx.backendKills > 0 ? 'a backend kill' : null);
    if (cause === null)
      ctx.violate(
        `client ${c.idx}: ${label} lost its connection with no cause (${err.code} ${err.message})`,
        [c.idx],
      );
    c.closed = true;
    return;
  }
  if (errno === 1105 || errno === 0)
    ctx.violate(`client ${c.idx}: ${label} got the generic ${describeErr(err)}`, [c.idx]);
  else if (!PROXY_CODES.has(errno) && !(errno >= 1000 && errno < 5000))
    ctx.violate(`client ${c.idx}: ${label} got an undocumented ${describeErr(err)}`, [c.idx]);
  if (FATAL.has(errno) || err.fatal) {
    c.closeExplained ??= `ERR ${errno}`;
    c.closed = true;
  }
}

/** Runs one statement of `c`, logging it; a hang is a violation (the connection is dropped). */
async function st<T>(
  ctx: ChaosContext,
  c: ChaosClient,
  label: string,
  run: (conn: mysql.Connection) => Promise<T>,
): Promise<Result<T>> {
  if (isClosed(c)) {
    const err = Object.assign(new Error('connection closed before the statement'), {
      code: 'CLOSED',
    }) as SqlError;
    say(ctx, c, `${label} → not sent (connection closed)`);
    c.closed = true;
    return { ok: false, err };
  }
  const conn = c.conn!;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  try {
    const p = run(conn);
    const r = await Promise.race([p.then((value) => ({ ok: true as const, value })), hang]);
    if (r === 'hang') {
      p.catch(() => {});
      ctx.violate(`client ${c.idx}: ${label} got no answer within ${HANG_MS} ms`, [c.idx]);
      say(ctx, c, `${label} → HANG`);
      c.closeExplained = 'hang';
      conn.destroy();
      c.closed = true;
      return { ok: false, err: Object.assign(new Error('hang'), { code: 'HANG' }) as SqlError };
    }
    say(ctx, c, `${label} → OK ${summarise(r.value)}`);
    return r;
  } catch (e) {
    const err = e as SqlError;
    say(ctx, c, `${label} → ${describeErr(err)}`);
    judgeError(ctx, c, label, err);
    return { ok: false, err };
  } finally {
    clearTimeout(timer);
  }
}

function summarise(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (Array.isArray(v)) return JSON.stringify(v.slice(0, 2));
  if (v && typeof v === 'object' && 'affectedRows' in v)
    return `affected ${(v as { affectedRows: number }).affectedRows}`;
  return '';
}

function firstRow(value: unknown): Row | undefined {
  return ((value as [Row[]])[0] ?? [])[0];
}

async function connect(ctx: ChaosContext, c: ChaosClient): Promise<boolean> {
  c.conn?.destroy();
  c.conn = null;
  try {
    const conn = await ctx.fx.connect({ user: c.user, password: c.password });
    watchProtocol(conn);
    conn.on('error', () => {});
    c.conn = conn;
    c.threadId = (conn as unknown as { threadId: number }).threadId;
    c.closed = false;
    c.closeExplained = null;
    c.killedByPeer = false;
    c.vars = { v: null, sqlMode: 'login', db: 'test' };
    say(ctx, c, `connected as ${c.user}, proxy id ${c.threadId}`);
    return true;
  } catch (e) {
    const err = e as SqlError;
    say(ctx, c, `connect → ${describeErr(err)}`);
    if (err.errno === undefined || err.errno === 1105)
      ctx.violate(`client ${c.idx}: login failed without a documented code: ${describeErr(err)}`, [c.idx]);
    return false;
  }
}

/** Drops the connection on purpose (the client goes away). */
function leave(c: ChaosClient): void {
  c.closeExplained = 'destroyed by the test';
  c.conn?.destroy();
  c.closed = true;
}

/** Ends a pin the client holds; if that fails on a live connection, leaves (the proxy resets it). */
async function unpin(ctx: ChaosContext, c: ChaosClient, sql: string): Promise<void> {
  if (isClosed(c)) return;
  const r = await st(ctx, c, sql, (conn) => conn.query(sql));
  if (!r.ok && !isClosed(c)) {
    say(ctx, c, `could not end the pin with ${sql}: leaving`);
    leave(c);
  }
}

const INSERT = 'INSERT INTO test.chaos (id, c) VALUES (?, ?)';

async function insert(ctx: ChaosContext, c: ChaosClient, id: number, prepared: boolean) {
  return st(ctx, c, `${prepared ? 'execute' : 'query'} INSERT id=${id}`, (conn) =>
    prepared ? conn.execute(INSERT, [id, c.idx]) : conn.query(INSERT, [id, c.idx]),
  );
}

/** What an error on an autocommit write means for its id. */
function writeOutcome(err: SqlError): IdRecord['expect'] {
  if (err.errno === undefined || UNKNOWN_OUTCOME.has(err.errno)) return 'unknown';
  return 'absent';
}

/** Runs BEGIN and the INSERTs of a transaction; false (and rolled back or left) on any error. */
async function beginAndInsert(
  ctx: ChaosContext,
  c: ChaosClient,
  ids: number[],
  prepared: boolean,
): Promise<boolean> {
  const b = await st(ctx, c, 'BEGIN', (conn) => conn.query('BEGIN'));
  if (!b.ok) {
    await unpin(ctx, c, 'ROLLBACK');
    return false;
  }
  record(ctx, c, ids, 'absent', 'transaction: COMMIT never sent');
  for (const id of ids) {
    const r = await insert(ctx, c, id, prepared);
    if (!r.ok) {
      await unpin(ctx, c, 'ROLLBACK');
      return false;
    }
  }
  return true;
}

/** How many of the proxy's backend threads run a statement whose text holds `marker`. */
async function stillRunning(ctx: ChaosContext, marker: string): Promise<number> {
  const [r] = await (await ctx.root()).query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO LIKE ?",
    [`%${marker}%`],
  );
  return Number((r as Row[])[0]!.n);
}

/** Waits until the statement marked `marker` runs on the server, or has ended; true: it runs. */
async function runningOrDone(ctx: ChaosContext, marker: string, settled: () => boolean): Promise<boolean> {
  let seen = false;
  await waitFor(
    async () => {
      if (settled()) return true;
      seen = (await stillRunning(ctx, marker)) > 0;
      return seen;
    },
    { what: `${marker} to run`, timeout: 5000, interval: 5 },
  ).catch(() => {});
  return seen && !settled();
}

function watchSettle<T>(p: Promise<T>): { settled: () => boolean; p: Promise<Result<T>> } {
  let done = false;
  const wrapped = p.then(
    (value) => {
      done = true;
      return { ok: true as const, value };
    },
    (err: SqlError) => {
      done = true;
      return { ok: false as const, err };
    },
  );
  return { settled: () => done, p: wrapped };
}

export async function runOp(ctx: ChaosContext, c: ChaosClient, op: Op): Promise<void> {
  if (isClosed(c) && !(await connect(ctx, c))) {
    say(ctx, c, `skipped ${op.kind}: no connection`);
    return;
  }
  switch (op.kind) {
    case 'insert': {
      const r = await insert(ctx, c, op.id, op.prepared);
      if (r.ok) {
        record(ctx, c, [op.id], 'present', 'autocommit INSERT answered OK');
        c.lastOkId = op.id;
      } else record(ctx, c, [op.id], writeOutcome(r.err), `autocommit INSERT: ${describeErr(r.err)}`);
      return;
    }
    case 'txn': {
      if (!(await beginAndInsert(ctx, c, op.ids, op.prepared))) return;
      if (op.readBack) {
        const r = await st(ctx, c, `read back ${op.ids.join(',')} in the transaction`, (conn) =>
          conn.query('SELECT COUNT(*) AS n FROM test.chaos WHERE id IN (?)', [op.ids]),
        );
        if (r.ok && Number(firstRow(r.value)?.n) !== op.ids.length)
          ctx.violate(
            `client ${c.idx}: inside its transaction it read ${firstRow(r.value)?.n} of its own ${op.ids.length} uncommitted rows`,
            [c.idx],
          );
        if (!r.ok) {
          await unpin(ctx, c, 'ROLLBACK');
          return;
        }
      }
      const end = op.commit ? 'COMMIT' : 'ROLLBACK';
      if (op.commit) record(ctx, c, op.ids, 'unknown', 'COMMIT sent, no answer yet');
      const r = await st(ctx, c, end, (conn) => conn.query(end));
      if (r.ok) record(ctx, c, op.ids, op.commit ? 'present' : 'absent', `${end} answered OK`);
      else if (!op.commit) {
        record(ctx, c, op.ids, 'absent', `ROLLBACK failed (${describeErr(r.err)}); never committed`);
        if (!isClosed(c)) leave(c);
      } else if (r.err.errno !== undefined && REFUSED.has(r.err.errno)) {
        record(ctx, c, op.ids, 'absent', `COMMIT refused (${describeErr(r.err)})`);
        await unpin(ctx, c, 'ROLLBACK');
      } else {
        record(ctx, c, op.ids, 'unknown', `COMMIT: ${describeErr(r.err)}`);
        await unpin(ctx, c, 'ROLLBACK');
      }
      return;
    }
    case 'read': {
      await st(ctx, c, 'SELECT COUNT(*) FROM chaos', (conn) =>
        conn.query('SELECT COUNT(*) AS n FROM test.chaos'),
      );
      return;
    }
    case 'readOwn': {
      const id = c.lastOkId;
      if (id === null) return;
      const r = await st(ctx, c, `read own id ${id}`, (conn) =>
        conn.query('SELECT COUNT(*) AS n FROM test.chaos WHERE id = ?', [id]),
      );
      if (r.ok && Number(firstRow(r.value)?.n) !== 1)
        ctx.violate(`client ${c.idx}: its committed id ${id} read ${firstRow(r.value)?.n} times`, [c.idx]);
      return;
    }
    case 'sleepRead': {
      await st(ctx, c, `SELECT SLEEP(${op.ms / 1000})`, (conn) =>
        conn.query(`SELECT SLEEP(${op.ms / 1000}) AS s`),
      );
      return;
    }
    case 'rowLockHold': {
      const b = await st(ctx, c, 'BEGIN', (conn) => conn.query('BEGIN'));
      if (!b.ok) return void (await unpin(ctx, c, 'ROLLBACK'));
      const l = await st(ctx, c, `lock lk row ${op.k}`, (conn) =>
        conn.query('SELECT v FROM test.lk WHERE k = ? FOR UPDATE', [op.k]),
      );
      if (l.ok) await st(ctx, c, 'SLEEP(0.1) holding the row', (conn) => conn.query('SELECT SLEEP(0.1)'));
      await unpin(ctx, c, l.ok ? 'COMMIT' : 'ROLLBACK');
      return;
    }
    case 'rowLockWait': {
      await st(ctx, c, `UPDATE lk row ${op.k}`, (conn) =>
        conn.query('UPDATE test.lk SET v = v + 1 WHERE k = ?', [op.k]),
      );
      return;
    }
    case 'tableLockHold': {
      const l = await st(ctx, c, 'LOCK TABLES lt WRITE', (conn) => conn.query('LOCK TABLES test.lt WRITE'));
      if (l.ok) await st(ctx, c, 'SLEEP(0.08) holding lt', (conn) => conn.query('SELECT SLEEP(0.08)'));
      // A pin is taken from the SQL even when the statement fails.
      await unpin(ctx, c, 'UNLOCK TABLES');
      return;
    }
    case 'tableLockRead': {
      const r = await st(ctx, c, 'SELECT COUNT(*) FROM lt', (conn) =>
        conn.query('SELECT COUNT(*) AS n FROM test.lt'),
      );
      if (r.ok && Number(firstRow(r.value)?.n) !== 2)
        ctx.violate(`client ${c.idx}: lt has 2 rows, read ${firstRow(r.value)?.n}`, [c.idx]);
      return;
    }
    case 'advisory': {
      const g = await st(ctx, c, "GET_LOCK('chaos_g', 0.3)", (conn) =>
        conn.query("SELECT GET_LOCK('chaos_g', 0.3) AS g"),
      );
      if (g.ok && Number(firstRow(g.value)?.g) === 1)
        await st(ctx, c, 'SLEEP(0.05) holding chaos_g', (conn) => conn.query('SELECT SLEEP(0.05)'));
      await unpin(ctx, c, 'SELECT RELEASE_ALL_LOCKS()');
      return;
    }
    case 'prepRead': {
      const r = await st(ctx, c, `execute SELECT ${op.x} + 1`, (conn) =>
        conn.execute('SELECT CAST(? AS SIGNED) + 1 AS v', [op.x]),
      );
      if (r.ok && Number(firstRow(r.value)?.v) !== op.x + 1)
        ctx.violate(`client ${c.idx}: prepared SELECT ${op.x} + 1 answered ${firstRow(r.value)?.v}`, [c.idx]);
      return;
    }
    case 'userVar': {
      const s = await st(ctx, c, `SET @v = ${op.x}`, (conn) => conn.query('SET @v = ?', [op.x]));
      if (s.ok) {
        const r = await st(ctx, c, 'SELECT @v', (conn) => conn.query('SELECT @v AS v'));
        if (r.ok && Number(firstRow(r.value)?.v) !== op.x)
          ctx.violate(`client ${c.idx}: SELECT @v answered ${firstRow(r.value)?.v}, set ${op.x}`, [c.idx]);
      }
      // The user variable pins the session (and a slot) until a reset.
      await reset(ctx, c);
      return;
    }
    case 'sqlMode': {
      const sql = op.ansi ? "SET sql_mode = 'ANSI_QUOTES'" : 'SET sql_mode = DEFAULT';
      const s = await st(ctx, c, sql, (conn) => conn.query(sql));
      c.vars.sqlMode = s.ok ? (op.ansi ? 'ansi' : 'default') : 'unknown';
      await checkSession(ctx, c);
      return;
    }
    case 'use': {
      const s = await st(ctx, c, `USE ${op.db}`, (conn) => conn.query(`USE ${op.db}`));
      c.vars.db = s.ok ? op.db : 'unknown';
      await checkSession(ctx, c);
      return;
    }
    case 'reset':
      await reset(ctx, c);
      return;
    case 'changeUser': {
      const r = await st(ctx, c, 'changeUser', (conn) =>
        conn.changeUser({ user: c.user, password: c.password, database: 'test' }),
      );
      if (r.ok) {
        // The server forgets prepared statements at a change of user; mysql2 does not.
        core(c.conn!)._statements?.clear();
        c.vars = { v: null, sqlMode: 'afterReset', db: 'test' };
        await checkSession(ctx, c);
      } else {
        c.closeExplained ??= 'changeUser failed';
        leave(c);
      }
      return;
    }
    case 'destroySentInsert': {
      record(ctx, c, [op.id], 'unknown', 'INSERT sent, then the client left');
      say(ctx, c, `INSERT id=${op.id} and leave at once`);
      // mysql2 never settles a command of a connection it destroyed.
      c.conn!.query(INSERT, [op.id, c.idx]).catch(() => {});
      leave(c);
      return;
    }
    case 'destroySentCommit': {
      if (!(await beginAndInsert(ctx, c, op.ids, false))) return;
      record(ctx, c, op.ids, 'unknown', 'COMMIT sent, then the client left');
      say(ctx, c, 'COMMIT and leave at once');
      c.conn!.query('COMMIT').catch(() => {});
      leave(c);
      return;
    }
    case 'destroySentRead': {
      say(ctx, c, 'SELECT COUNT(*) FROM chaos and leave at once');
      c.conn!.query('SELECT COUNT(*) AS n FROM test.chaos').catch(() => {});
      leave(c);
      return;
    }
    case 'destroyRunningInsert':
    case 'destroyRunningTxnInsert': {
      const inTxn = op.kind === 'destroyRunningTxnInsert';
      if (inTxn) {
        const b = await st(ctx, c, 'BEGIN', (conn) => conn.query('BEGIN'));
        if (!b.ok) return void (await unpin(ctx, c, 'ROLLBACK'));
      }
      // Delimited: chaos_m5 must not match chaos_m50's statement.
      const marker = `chaos_m${op.id}_`;
      say(ctx, c, `slow INSERT id=${op.id}${inTxn ? ' in a transaction' : ''}, leave once it runs`);
      const sentAt = Date.now();
      const w = watchSettle(
        c.conn!.query(
          `INSERT INTO test.chaos (id, c) SELECT ?, ? FROM DUAL WHERE SLEEP(0.15) = 0 /*${marker}*/`,
          [op.id, c.idx],
        ),
      );
      if (await runningOrDone(ctx, marker, w.settled)) {
        leave(c);
        say(ctx, c, 'seen running: left');
        // README: a write whose client left runs to its end, applied once; a transaction's is
        // rolled back by the reset that follows.
        if (inTxn) record(ctx, c, [op.id], 'absent', 'client left its transaction while the INSERT ran');
        else {
          record(ctx, c, [op.id], 'present', 'client left while its autocommit INSERT ran');
          ctx.ids.get(op.id)!.sentAt = sentAt;
        }
        return;
      }
      const r = await w.p;
      if (r.ok) {
        say(ctx, c, 'slow INSERT done before it was seen running → OK');
        if (inTxn) {
          record(ctx, c, [op.id], 'absent', 'transaction abandoned');
          leave(c);
        } else record(ctx, c, [op.id], 'present', 'slow autocommit INSERT answered OK');
      } else {
        say(ctx, c, `slow INSERT → ${describeErr(r.err)}`);
        judgeError(ctx, c, 'slow INSERT', r.err);
        record(ctx, c, [op.id], inTxn ? 'absent' : writeOutcome(r.err), `slow INSERT: ${describeErr(r.err)}`);
        if (inTxn && !isClosed(c)) leave(c);
      }
      return;
    }
    case 'destroyRunningRead':
    case 'destroyRunningSharedRead': {
      // In a transaction the read runs on a connection of its own, and must be killed when its
      // client leaves (README). Outside one it is a pure read on a shared connection, whose
      // response is only dropped: a shorter one, watched but not required to be killed.
      const own = op.kind === 'destroyRunningRead';
      if (own) {
        const b = await st(ctx, c, 'BEGIN', (conn) => conn.query('BEGIN'));
        if (!b.ok) return void (await unpin(ctx, c, 'ROLLBACK'));
      }
      const marker = `chaos_r${c.idx}_${c.log.length}_`;
      say(ctx, c, `long pure read${own ? ' in a transaction' : ''}, leave once it runs`);
      // About 20 s (own) or 0.25 s (shared) unless interrupted.
      const rows = own ? 400_000_000 : 5_000_000;
      const w = watchSettle(c.conn!.query(`SELECT SUM(seq % 7) AS s FROM seq_1_to_${rows} /*${marker}*/`));
      if (await runningOrDone(ctx, marker, w.settled)) {
        const t = Date.now();
        leave(c);
        say(ctx, c, 'seen running: left');
        const gone = await waitFor(async () => (await stillRunning(ctx, marker)) === 0, {
          what: `${marker} to end`,
          timeout: own ? 3000 : 5000,
          interval: 10,
        }).catch(() => false);
        if (!gone && own)
          ctx.violate(
            `client ${c.idx}: its pure read in a transaction was not killed within 3 s of its leaving`,
            [c.idx],
          );
        else say(ctx, c, `the read ended ${Date.now() - t} ms after the client left`);
      } else {
        const r = await w.p;
        say(ctx, c, `long read ended before it was seen: ${r.ok ? 'OK' : describeErr(r.err)}`);
        if (!r.ok) judgeError(ctx, c, 'long read', r.err);
        if (own) await unpin(ctx, c, 'ROLLBACK');
      }
      return;
    }
    case 'killQuery':
    case 'killConnection': {
      const victim = ctx.clients[op.victim]!;
      if (victim.conn === null || victim.closed) return;
      const what = op.kind === 'killQuery' ? 'QUERY' : 'CONNECTION';
      const sameUser = victim.user === c.user;
      if (what === 'CONNECTION' && sameUser) victim.killedByPeer = true;
      const r = await st(ctx, c, `KILL ${what} ${victim.threadId} (client ${victim.idx})`, (conn) =>
        conn.query(`KILL ${what} ${victim.threadId}`),
      );
      if (!r.ok && r.err.errno !== 1094 && r.err.errno !== undefined && !REFUSED.has(r.err.errno))
        ctx.violate(`client ${c.idx}: KILL ${what} of client ${victim.idx}: ${describeErr(r.err)}`, [
          c.idx,
          victim.idx,
        ]);
      return;
    }
    case 'killBackend': {
      const [r] = await (await ctx.root()).query(
        "SELECT ID AS id, INFO AS info FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND COMMAND <> 'Killed' ORDER BY ID",
      );
      const list = r as Row[];
      if (list.length === 0) return;
      const victim = list[Math.floor(op.pick * list.length)]!;
      const id = Number(victim.id);
      ctx.backendKills++;
      ctx.backendKillTimes.push(Date.now());
      say(
        ctx,
        c,
        `KILL CONNECTION ${id} at the server (a proxy backend running ${String(victim.info).slice(0, 60)})`,
      );
      await (await ctx.root())
        .query(`KILL CONNECTION ${id}`)
        .catch((e: SqlError) => say(ctx, c, `→ ${describeErr(e)}`));
      return;
    }
  }
}

async function reset(ctx: ChaosContext, c: ChaosClient): Promise<void> {
  const r = await st(ctx, c, 'COM_RESET_CONNECTION', (conn) => conn.reset());
  if (r.ok) {
    // MariaDB keeps the default schema across a reset.
    c.vars = { v: null, sqlMode: 'afterReset', db: c.vars.db };
    const v = await st(ctx, c, 'SELECT @v after reset', (conn) => conn.query('SELECT @v AS v'));
    if (v.ok && firstRow(v.value)?.v !== null)
      ctx.violate(`client ${c.idx}: @v is ${firstRow(v.value)?.v} after COM_RESET_CONNECTION`, [c.idx]);
    // Naming @v pins the session (and a slot) again: reset once more.
    const again = await st(ctx, c, 'COM_RESET_CONNECTION', (conn) => conn.reset());
    if (!again.ok && !isClosed(c)) leave(c);
    await checkSession(ctx, c);
  } else if (!isClosed(c)) leave(c);
}

/** The client's session as it set it: sql_mode and default schema. */
async function checkSession(ctx: ChaosContext, c: ChaosClient): Promise<void> {
  if (c.vars.sqlMode === 'unknown' && c.vars.db === 'unknown') return;
  const r = await st(ctx, c, 'SELECT @@sql_mode, DATABASE()', (conn) =>
    conn.query('SELECT @@SESSION.sql_mode AS m, DATABASE() AS d'),
  );
  if (!r.ok) return;
  const row = firstRow(r.value)!;
  const login = `IGNORE_SPACE,${ctx.defaultSqlMode}`;
  // After COM_RESET_CONNECTION / COM_CHANGE_USER MariaDB has the global sql_mode (IGNORE_SPACE,
  // from the login's CLIENT_IGNORE_SPACE, is gone).
  const mode =
    c.vars.sqlMode === 'ansi' ? 'ANSI_QUOTES' : c.vars.sqlMode === 'login' ? login : ctx.defaultSqlMode;
  const tolerated = c.vars.sqlMode === 'afterReset' && ctx.known.has('reset-ignore-space') && row.m === login;
  if (c.vars.sqlMode !== 'unknown' && row.m !== mode && !tolerated)
    ctx.violate(`client ${c.idx}: sql_mode is '${row.m}', the client set '${mode}'`, [c.idx]);
  if (c.vars.db !== 'unknown' && row.d !== c.vars.db)
    ctx.violate(`client ${c.idx}: DATABASE() is ${row.d}, the client chose ${c.vars.db}`, [c.idx]);
}
