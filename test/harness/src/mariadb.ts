import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { findBinary } from './binaries.js';
import { trackDir } from './cleanup.js';
import { freePort } from './free-port.js';
import { isPortConflict, type ServerProcess, spawnServer, tail, waitUntilReady } from './server-process.js';

const execFileAsync = promisify(execFile);

/** Options of {@link startMariaDB}. */
export interface MariaDBOptions {
  /** `max_connections` (default 500). */
  maxConnections?: number;
  /** `max_prepared_stmt_count` (server default when omitted). */
  maxPreparedStmtCount?: number;
  /** Extra `mariadbd` arguments, e.g. `['--wait-timeout=5']`; they win over the harness's own. */
  args?: readonly string[];
  /** Root password (random when omitted). */
  password?: string;
  /** How long to wait for the server to accept connections (default 60 s). */
  startTimeout?: number;
}

/** A running MariaDB server started by {@link startMariaDB}. */
export interface MariaDB {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly socketPath: string;
  readonly user: 'root';
  readonly password: string;
  readonly database: 'test';
  readonly dataDir: string;
  /** The mariadbd pid (changes on restart). */
  readonly pid: number;
  /**
   * Runs one statement on a fresh connection (mysql2/promise) and returns its rows (or the
   * ResultSetHeader for writes).
   */
  // biome-ignore lint/suspicious/noExplicitAny: rows are whatever the statement returns
  query(sql: string, params?: unknown[]): Promise<any>;
  /** Graceful shutdown (SIGTERM), then removes every file of this instance. */
  stop(): Promise<void>;
  /** SIGKILL, for fault tests; the data directory stays so {@link restart} can recover it. */
  kill(): Promise<void>;
  /** Stops (gracefully, if still running) and starts again on the same port and data. */
  restart(): Promise<void>;
}

/** Settings that keep an instance small; the template is built with the same InnoDB log size. */
const SMALL_SETTINGS = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--performance-schema=OFF',
  '--skip-name-resolve',
];

/**
 * Starts a private MariaDB on a free loopback port, with a root password and a `test` database.
 *
 * The system tables are built once per mariadbd version into a template directory (atomically,
 * so concurrent test files do not race) and copied for each instance.
 *
 * @throws Error naming `mariadbd` / `mariadb-install-db` and the Debian package when missing
 */
export async function startMariaDB(opts: MariaDBOptions = {}): Promise<MariaDB> {
  const mariadbd = findBinary('mariadbd', 'mariadb-server');
  const template = await ensureTemplate(mariadbd);
  const baseDir = mkdtempSync(join(tmpdir(), 'scalestack-mariadb-'));
  const untrackDir = trackDir(baseDir);
  const dataDir = join(baseDir, 'data');
  const socketPath = join(baseDir, 'mysqld.sock');
  const logFile = join(baseDir, 'mariadbd.log');
  cpSync(template, dataDir, { recursive: true });
  const password = opts.password ?? randomBytes(12).toString('hex');
  const timeout = opts.startTimeout ?? 60_000;

  const argsFor = (port: number) => [
    '--no-defaults',
    '--user=root',
    `--datadir=${dataDir}`,
    `--socket=${socketPath}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(baseDir, 'mariadbd.pid')}`,
    ...SMALL_SETTINGS,
    '--innodb-flush-log-at-trx-commit=2',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    `--max-connections=${opts.maxConnections ?? 500}`,
    ...(opts.maxPreparedStmtCount === undefined
      ? []
      : [`--max-prepared-stmt-count=${opts.maxPreparedStmtCount}`]),
    ...(opts.args ?? []),
  ];

  // Before the first setup root has no password; afterwards it has `password`.
  let rootPassword = '';
  const acceptsConnections = async () => {
    const conn = await mysql.createConnection({ socketPath, user: 'root', password: rootPassword });
    await conn.end();
    return true;
  };

  let server: ServerProcess | undefined;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    server = await spawnServer(mariadbd, argsFor(port), logFile, baseDir);
    try {
      await waitUntilReady(server, acceptsConnections, `MariaDB on port ${port}`, timeout);
      break;
    } catch (err) {
      await server.terminate('SIGKILL');
      if (attempt < 3 && isPortConflict(server.log())) continue;
      rmSync(baseDir, { recursive: true, force: true });
      untrackDir();
      throw err;
    }
  }

  const setup = await mysql.createConnection({ socketPath, user: 'root', password: '' });
  try {
    // mariadb-install-db also creates root@127.0.0.1, root@::1 and root@<hostname> without a
    // password; drop them so TCP clients match root@'%'.
    await setup.query("DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost'");
    await setup.query('FLUSH PRIVILEGES');
    await setup.query("ALTER USER 'root'@'localhost' IDENTIFIED BY ?", [password]);
    await setup.query("CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY ?", [password]);
    await setup.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION");
    await setup.query('CREATE DATABASE IF NOT EXISTS test');
  } finally {
    await setup.end();
  }
  rootPassword = password;

  // A server that exits without being told to (a crash, a conflict at restart) leaves a test
  // failing with ECONNREFUSED; its log is gone with baseDir at stop(), so its end is shown then.
  let deliberate = false;
  const stopServer = async () => {
    deliberate = true;
    if (server && !server.hasExited) await server.terminate('SIGTERM');
  };
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  const reportUnexpectedExit = () => {
    if (deliberate || server === undefined || !(server.hasExited || gone(server.pid))) return;
    const tail = server.log().trimEnd().split('\n').slice(-30).join('\n');
    process.stderr.write(`MariaDB on port ${port} exited by itself; the end of its log:\n${tail}\n`);
  };

  return {
    host: '127.0.0.1',
    port,
    socketPath,
    user: 'root',
    password,
    database: 'test',
    dataDir,
    get pid() {
      return server!.pid;
    },
    async query(sql, params) {
      const conn = await mysql.createConnection({
        host: '127.0.0.1',
        port,
        user: 'root',
        password,
        database: 'test',
      });
      try {
        const [rows] = await conn.query(sql, params);
        return rows;
      } finally {
        await conn.end();
      }
    },
    async stop() {
      reportUnexpectedExit();
      await stopServer();
      rmSync(baseDir, { recursive: true, force: true });
      untrackDir();
    },
    async kill() {
      deliberate = true;
      if (server && !server.hasExited) await server.terminate('SIGKILL');
    },
    async restart() {
      reportUnexpectedExit();
      await stopServer();
      server = await spawnServer(mariadbd, argsFor(port), logFile, baseDir);
      deliberate = false;
      try {
        await waitUntilReady(server, acceptsConnections, `MariaDB restarting on port ${port}`, timeout);
      } catch (err) {
        await server.terminate('SIGKILL');
        throw err;
      }
    },
  };
}

/** Builds (once per mariadbd version) a data directory with the system tables. */
async function ensureTemplate(mariadbd: string): Promise<string> {
  const installDb = findBinary('mariadb-install-db', 'mariadb-server');
  const version = execFileSync(mariadbd, ['--version'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256')
    .update(`${version}\n${SMALL_SETTINGS.join(' ')}`)
    .digest('hex')
    .slice(0, 16);
  const template = join(tmpdir(), `scalestack-mariadb-template-${key}`);
  if (existsSync(template)) return template;

  const building = mkdtempSync(join(tmpdir(), `scalestack-mariadb-template-${key}.building-`));
  const untrack = trackDir(building);
  try {
    await execFileAsync(installDb, [
      '--no-defaults',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--user=root',
      `--datadir=${join(building, 'data')}`,
      ...SMALL_SETTINGS,
    ]).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(
        `test-harness: mariadb-install-db failed: ${err.message}\n${tail(`${err.stdout}\n${err.stderr}`)}`,
      );
    });
    writeFileSync(join(building, 'data', 'built-by-scalestack-test-harness'), `${version}\n`);
    try {
      renameSync(join(building, 'data'), template);
    } catch (err) {
      // Another test file won the race; its template is as good as ours.
      if (!existsSync(template)) throw err;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
    untrack();
  }
  return template;
}
