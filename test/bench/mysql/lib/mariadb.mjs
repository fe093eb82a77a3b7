// The MariaDB under test: @scalestack/test-harness's startMariaDB (private datadir, loopback
// port, killed if this script dies), sized for a 4096-thread sweep, plus the sbtest user.
// Needs the harness built (`npm run build`): this is plain Node, so it loads dist/.

import { startMariaDB } from '@scalestack/test-harness';

/** What the sweep changes on top of the harness's settings, and why. */
const BENCH_ARGS = [
  '--innodb-buffer-pool-size=256M', // the whole sbtest table stays in memory
  '--skip-name-resolve', // no reverse DNS on thousands of connects
];
const MAX_CONNECTIONS = 8192; // 4096 sysbench threads + the previous run's closing sockets + admin
const MAX_PREPARED_STMT_COUNT = 131072; // oltp_read_only prepares 7 statements per thread

/** Server variables recorded with every result. */
const RECORDED = [
  'thread_handling',
  'max_connections',
  'max_prepared_stmt_count',
  'innodb_buffer_pool_size',
  'innodb_log_file_size',
  'innodb_flush_log_at_trx_commit',
  'performance_schema',
  'skip_name_resolve',
  'open_files_limit',
  'thread_cache_size',
  'back_log',
  'character_set_server',
];

/**
 * Start MariaDB and create the benchmark database and user (mysql_native_password).
 * @param {{ user: string, password: string, database: string }} credentials
 */
export async function startBenchMariaDB({ user, password, database }) {
  const db = await startMariaDB({
    maxConnections: MAX_CONNECTIONS,
    maxPreparedStmtCount: MAX_PREPARED_STMT_COUNT,
    args: BENCH_ARGS,
    startTimeout: 120_000,
  });
  try {
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE USER '${user}'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD(?)`, [
      password,
    ]);
    await db.query(`GRANT ALL ON ${database}.* TO '${user}'@'%'`);
  } catch (error) {
    await db.stop();
    throw error;
  }
  return {
    port: db.port,
    /** mariadbd's pid, for CPU accounting */
    pid: db.pid,
    /** run one admin statement (as root, on its own connection) */
    admin: (sql) => db.query(sql),
    /** one counter from SHOW GLOBAL STATUS */
    async status(name) {
      const rows = await db.query('SHOW GLOBAL STATUS LIKE ?', [name]);
      return Number(rows[0]?.Value);
    },
    async version() {
      return (await db.query('SELECT VERSION() AS v'))[0].v;
    },
    /** the server variables that matter for reading the results */
    async settings() {
      const rows = await db.query(
        `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${RECORDED.map(() => '?').join(',')})`,
        RECORDED,
      );
      return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    },
    stop: () => db.stop(),
  };
}
