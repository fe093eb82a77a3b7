/**
 * Starts the database proxy for a test: a real MariaDB from the harness (or the caller's), a
 * kernel running `database-proxy` in front of it with a small pool, and mysql2 clients.
 */
import { Kernel } from '@scalestack/kernel';
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import type { Logger } from 'pino';
import { DATABASE_PROXY, type DatabaseProxyService } from '../../src/index.js';

export interface ProxyFixtureOptions {
  /** Backend connections per server (default 2). */
  pool?: number;
  /** A MariaDB to reuse (the fixture then leaves it running on stop). */
  mariadb?: MariaDB;
  /** Extra database-proxy options (users, tenants, queue_timeout, …) merged over the defaults. */
  options?: Record<string, unknown>;
  /** Options of the socket module the proxy listens through (backlog, …). */
  socket?: Record<string, unknown>;
  /** Whether to create {@link BACKEND_USER} first (default true; false: the caller did). */
  createBackendUser?: boolean;
  /** The kernel's logger (default: its own, at SCALESTACK_TEST_LOG or `warn`), to read what is logged. */
  logger?: Logger;
}

export interface ProxyFixture {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly mariadb: MariaDB;
  readonly kernel: Kernel;
  /** The proxy's service: stats, metrics, reload. */
  readonly proxy: DatabaseProxyService;
  /** A mysql2 connection through the proxy as `app`/`secret` (or the given user), database `test`. */
  connect(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  /** A mysql2 connection straight to MariaDB as root, for checking what the server saw. */
  direct(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

/** The proxy's login at MariaDB, created by the fixture. */
export const BACKEND_USER = { name: 'proxy', password: 'proxypw' };
/** The default client user of the proxy. */
export const APP_USER = { name: 'app', password: 'secret' };

/** One `backends` entry: a server at `address` the proxy logs in to as {@link BACKEND_USER}. */
export function backendAt(name: string, address: string, pool: number) {
  return { name, address, user: BACKEND_USER.name, password: BACKEND_USER.password, pool };
}

/**
 * A connection straight to the fixture's MariaDB as {@link BACKEND_USER}, database `test`: the
 * reference a test compares the proxy's answers with.
 */
export function connectAsBackendUser(
  fx: ProxyFixture,
  options: mysql.ConnectionOptions = {},
): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port: fx.mariadb.port,
    user: BACKEND_USER.name,
    password: BACKEND_USER.password,
    database: 'test',
    ...options,
  });
}

/** Creates {@link BACKEND_USER} on `mariadb` with every privilege (idempotent). */
export async function createBackendUser(
  mariadb: MariaDB,
  { name, password }: { name: string; password: string } = BACKEND_USER,
): Promise<void> {
  await mariadb.query(`CREATE USER IF NOT EXISTS '${name}'@'%' IDENTIFIED BY '${password}'`);
  await mariadb.query(`GRANT ALL ON *.* TO '${name}'@'%'`);
}

export async function startProxyFixture(opts: ProxyFixtureOptions = {}): Promise<ProxyFixture> {
  const ownMariadb = opts.mariadb === undefined;
  const mariadb = opts.mariadb ?? (await startMariaDB({ maxConnections: 3000 }));
  if (opts.createBackendUser !== false) await createBackendUser(mariadb);
  const kernel = new Kernel(
    opts.logger !== undefined
      ? { logger: opts.logger }
      : { logLevel: process.env.SCALESTACK_TEST_LOG ?? 'warn' },
  );
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: {
      modules: {
        socket: opts.socket ?? {},
        'database-proxy': {
          listen: '127.0.0.1:0',
          users: [
            { name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 5000 },
          ],
          backends: [
            {
              name: 'db1',
              address: `127.0.0.1:${mariadb.port}`,
              user: BACKEND_USER.name,
              password: BACKEND_USER.password,
              pool: opts.pool ?? 2,
            },
          ],
          ...opts.options,
        },
      },
    },
  });
  await kernel.start();
  const proxy = kernel.container.resolve(DATABASE_PROXY) as DatabaseProxyService;
  const port = proxy.address.port;
  return {
    host: '127.0.0.1',
    port,
    mariadb,
    kernel,
    proxy,
    connect: (options = {}) =>
      mysql.createConnection({
        host: '127.0.0.1',
        port,
        user: APP_USER.name,
        password: APP_USER.password,
        database: 'test',
        ...options,
      }),
    direct: (options) =>
      mysql.createConnection({
        host: '127.0.0.1',
        port: mariadb.port,
        user: mariadb.user,
        password: mariadb.password,
        database: 'test',
        ...options,
      }),
    async stop() {
      await kernel.shutdown();
      if (ownMariadb) await mariadb.stop();
    },
  };
}
