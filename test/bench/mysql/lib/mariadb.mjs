// A throw-away MariaDB for the sweep: fresh datadir in /tmp, 127.0.0.1 only, server defaults
// except the few settings a 4096-thread run needs (listed in SETTINGS and printed in the results).
//
// This is the benchmark's own start-up while @scalestack/test-harness (startMariaDB) is being
// written; the harness starts a small server for tests, this one is sized for thousands of
// connections.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, startServer, stopServer, waitForPort } from './processes.mjs';

/** Server options that differ from MariaDB's defaults, and why. */
export const SETTINGS = {
  'innodb-buffer-pool-size': '256M', // the whole sbtest table stays in memory
  'max-connections': '8192', // 4096 sysbench threads + the previous run's closing sockets + admin
  'max-prepared-stmt-count': '131072', // oltp_read_only prepares 7 statements per thread
  'skip-name-resolve': '', // no reverse DNS on 4096 connects
};

/**
 * Start MariaDB and create the sbtest database and user (mysql_native_password).
 * @param {{ lifetimeSeconds: number, user: string, password: string, database: string }} opts
 */
export async function startMariaDB({ lifetimeSeconds, user, password, database }) {
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-bench-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const install = await run(
    'mariadb-install-db',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${datadir}`,
      '--skip-test-db',
      '--auth-root-authentication-method=socket',
    ],
    { timeoutMs: 180_000 },
  );
  if (install.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (exit ${install.code}):\n${install.stderr}${install.stdout}`);
  }
  const port = await freePort();
  const settings = Object.entries(SETTINGS).map(([k, v]) => (v === '' ? `--${k}` : `--${k}=${v}`));
  const server = startServer(
    'mariadbd',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      ...settings,
    ],
    { lifetimeSeconds, label: 'mariadbd' },
  );
  const admin = async (sql) => {
    const r = await run('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', sql], {
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`mariadb -e ${JSON.stringify(sql)} failed: ${r.stderr}`);
    return r.stdout;
  };
  const stop = async () => {
    await stopServer(server, 60_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, server, 120_000);
    await admin(
      `CREATE DATABASE ${database}; ` +
        `CREATE USER '${user}'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('${password}'); ` +
        `GRANT ALL ON ${database}.* TO '${user}'@'%';`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    socket,
    /** root of the server's process tree, for CPU accounting */
    pid: server.pid,
    server,
    admin,
    /** one value from SHOW GLOBAL STATUS */
    async status(name) {
      const out = await admin(`SHOW GLOBAL STATUS LIKE '${name}'`);
      return Number(out.trim().split('\t')[1]);
    },
    async version() {
      return (await admin('SELECT VERSION()')).trim();
    },
    stop,
  };
}
