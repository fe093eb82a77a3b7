/**
 * Helpers that make concentration observable from outside: which backend connection served a
 * statement (the server's `CONNECTION_ID()`, see BACKEND_THREAD_ID), forcing a client onto another backend by holding the one it
 * used, and running a check on every backend of a small pool at once.
 *
 * They rely only on documented behaviour: a client inside a transaction holds its backend until
 * the transaction ends, so K clients inside transactions hold K distinct backends.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import type { ProxyFixture } from './proxy-fixture.js';

/**
 * Reads the id of the backend thread that runs it: CONNECTION_ID() in an expression, which
 * reaches the server (the proxy answers `SELECT CONNECTION_ID()` alone with the client's own
 * id) and, like it, is no pure read — it runs on a connection of the client's own, as its next
 * statement would.
 */
export const BACKEND_THREAD_ID = 'SELECT CONNECTION_ID() + 0 AS id';

// biome-ignore lint/suspicious/noExplicitAny: rows are whatever the statement returns
export type Row = Record<string, any>;

/** Runs `sql` (text protocol) and returns its rows. */
export async function rows(conn: mysql.Connection, sql: string, params?: unknown[]): Promise<Row[]> {
  const [result] = await conn.query(sql, params);
  return result as Row[];
}

/** Runs `sql` (text protocol) and returns its only row. */
export async function one(conn: mysql.Connection, sql: string, params?: unknown[]): Promise<Row> {
  const r = await rows(conn, sql, params);
  if (r.length !== 1) throw new Error(`expected one row from ${sql}, got ${r.length}`);
  return r[0]!;
}

/** Runs `sql` and returns the error it fails with (fails the test if it succeeds). */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { errno?: number; sqlState?: string; code?: string; fatal?: boolean }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { errno?: number; sqlState?: string; code?: string; fatal?: boolean };
  }
  throw new Error('expected the statement to fail, it succeeded');
}

/** A client inside an open transaction: it holds one backend until released. */
export interface Holder {
  readonly conn: mysql.Connection;
  /** The backend connection id it holds. */
  readonly backendId: number;
  /** Rolls back and disconnects. */
  release(): Promise<void>;
}

/** Each column's declaration as mysql2 reads it: what a client can compare with the server's. */
export function declarations(fields: unknown): Record<string, unknown>[] {
  return (fields as Record<string, unknown>[]).map((f) => ({
    name: f.name,
    orgName: f.orgName,
    schema: f.schema,
    table: f.table,
    orgTable: f.orgTable,
    type: f.columnType,
    length: f.columnLength,
    flags: f.flags,
    decimals: f.decimals,
    characterSet: f.characterSet,
  }));
}

/**
 * Opens a client and starts a transaction: it now holds one backend connection (of the flavour
 * `options` give it: multiple statements, found rows… are served by connections of their own).
 */
export async function hold(fx: ProxyFixture, options?: mysql.ConnectionOptions): Promise<Holder> {
  const conn = await fx.connect(options);
  await conn.query('START TRANSACTION');
  const backendId = await backendOf(conn);
  return {
    conn,
    backendId,
    async release() {
      await conn.query('ROLLBACK');
      await conn.end();
    },
  };
}

/**
 * Holds the backend connection `backendId` (and only it) in a transaction, so every other
 * client must use another backend. With a pool of N it opens at most N holders; the ones that
 * got another backend are released before returning.
 *
 * @param pool the pool size; more holders than that would wait for a slot forever
 */
export async function holdBackend(
  fx: ProxyFixture,
  backendId: number,
  pool: number,
  options?: mysql.ConnectionOptions,
): Promise<Holder> {
  const others: Holder[] = [];
  try {
    for (let i = 0; i < pool; i++) {
      const h = await hold(fx, options);
      if (h.backendId === backendId) return h;
      others.push(h);
    }
    throw new Error(
      `backend ${backendId} was not handed out to ${pool} holders (got ${others.map((h) => h.backendId).join(', ')})`,
    );
  } finally {
    await Promise.all(others.map((h) => h.release()));
  }
}

/** Runs `sql` for `conn` on a backend other than the one it used last (the other is held). */
export async function onAnotherBackend(
  fx: ProxyFixture,
  conn: mysql.Connection,
  pool: number,
  sql: string,
): Promise<Row> {
  const held = await holdBackend(fx, await backendOf(conn), pool);
  try {
    return await one(conn, sql);
  } finally {
    await held.release();
  }
}

/**
 * Runs `sql` on every backend of a pool of `pool` connections at the same time: `pool` fresh
 * clients each start a transaction (so each holds a distinct backend) and run the statement.
 * Returns each client's rows with the backend id; throws if the ids are not distinct.
 */
export async function onEveryBackend(
  fx: ProxyFixture,
  pool: number,
  sql: string,
): Promise<{ backendId: number; rows: Row[] }[]> {
  const holders = await Promise.all(Array.from({ length: pool }, () => hold(fx)));
  try {
    const ids = new Set(holders.map((h) => h.backendId));
    if (ids.size !== pool)
      throw new Error(`holders share backends: ${holders.map((h) => h.backendId).join(', ')}`);
    return await Promise.all(
      holders.map(async (h) => ({ backendId: h.backendId, rows: await rows(h.conn, sql) })),
    );
  } finally {
    await Promise.all(holders.map((h) => h.release()));
  }
}

/** The backend connection id that serves `conn`'s next statement (run on its own). */
export async function backendOf(conn: mysql.Connection): Promise<number> {
  const { id } = await one(conn, BACKEND_THREAD_ID);
  return Number(id);
}

/** Connections MariaDB holds for the proxy's service account right now. */
export async function proxyConnectionsAtServer(direct: mysql.Connection): Promise<number> {
  const { n } = await one(
    direct,
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
  );
  return Number(n);
}

/** Sum of the pins currently held, over every reason. */
export function pinnedNow(fx: ProxyFixture): number {
  return Object.values(fx.proxy.stats().pinnedNow).reduce((a, b) => a + b, 0);
}

/**
 * Starts `work` and resolves once it has finished or is waiting for a backend: either way the
 * proxy has decided where it runs, so the caller's next statement cannot overtake it. The
 * outcome comes back wrapped, since returning the promise itself would wait for it.
 */
export async function sentAndPlaced<T>(fx: ProxyFixture, work: Promise<T>): Promise<{ outcome: Promise<T> }> {
  let done = false;
  const outcome = work.finally(() => {
    done = true;
  });
  outcome.catch(() => {});
  await waitFor(() => done || fx.proxy.stats().waiting >= 1, { what: 'the statement to run or queue' });
  return { outcome };
}

/** The same rows at the server and through the proxy, unpinned and pinned (see warningsAcross). */
export function everywhere(shown: string[]): { server: string[]; unpinned: string[]; pinned: string[] } {
  return { server: shown, unpinned: shown, pinned: shown };
}

/**
 * What `read` (by default SHOW WARNINGS; its rows' values joined by spaces) reads after a
 * statement that raised a warning and then `between` (which may fail): at the server (a direct
 * connection), and through the proxy for a client with nothing pinned and for one in a
 * transaction (whose warnings live on its backend). `client` opens proxy clients.
 */
export async function warningsAcross(
  fx: ProxyFixture,
  client: () => Promise<mysql.Connection>,
  between: string,
  read = 'SHOW WARNINGS',
): Promise<{ server: string[]; unpinned: string[]; pinned: string[] }> {
  const sequence = async (c: mysql.Connection) => {
    await c.query("SELECT CAST('1x' AS SIGNED) AS n");
    await c.query(between).catch(() => undefined);
    return (await rows(c, read)).map((r) => Object.values(r).join(' '));
  };
  const direct = await fx.direct();
  const server = await sequence(direct).finally(() => direct.end());
  const unpinned = await sequence(await client());
  const inTransaction = await client();
  await inTransaction.query('START TRANSACTION');
  const pinned = await sequence(inTransaction);
  await inTransaction.query('ROLLBACK');
  return { server, unpinned, pinned };
}

/**
 * Starts `sql` on `c` (a long SLEEP, `s` its first column) and waits until the proxy sees it
 * running; `outcome` is its SLEEP's value (1 when interrupted) or its errno (1317 when a KILL
 * landed before the server started it).
 */
export async function runningOnProxy(
  fx: ProxyFixture,
  c: mysql.Connection,
  sql: string,
): Promise<{ outcome: Promise<unknown> }> {
  const outcome = c.query(sql).then(
    ([r]) => (r as { s: number }[])[0]!.s,
    (e: { errno?: number }) => e.errno,
  );
  await waitFor(() => fx.proxy.stats().clients.some((x) => x.id === c.threadId && x.state === 'active'), {
    what: `${sql} to be running`,
  });
  return { outcome };
}
