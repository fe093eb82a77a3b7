// haproxy as the reference layer-4 proxy: TCP mode, one thread (or --haproxy-threads), loopback only.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, setTreeNice, startServer, stopServer, waitForPort } from './processes.mjs';

/**
 * The haproxy configuration the benchmark uses.
 * @param {{ listenPort: number, backendPort: number, maxconn: number, threads?: number }} opts
 * @returns {string}
 */
export function haproxyConfig({ listenPort, backendPort, maxconn, threads = 1 }) {
  return `global
    nbthread ${threads}
    maxconn ${maxconn}

defaults
    mode tcp
    timeout connect 10s
    timeout client 300s
    timeout server 300s
    maxconn ${maxconn}

frontend mysql_in
    bind 127.0.0.1:${listenPort}
    default_backend mariadb

backend mariadb
    server db1 127.0.0.1:${backendPort} maxconn ${maxconn}
`;
}

/**
 * Start haproxy in front of a MariaDB port.
 * @param {{ backendPort: number, maxconn: number, lifetimeSeconds: number, threads?: number,
 *   nice?: number }} opts  nice: set on each of its threads once it listens (haproxy 2.6 has no
 *   nice directive any more)
 */
export async function startHaproxy({ backendPort, maxconn, lifetimeSeconds, threads, nice }) {
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-bench-haproxy-'));
  const port = await freePort();
  const config = haproxyConfig({ listenPort: port, backendPort, maxconn, threads });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  // -db: stay in the foreground, no daemon, so the pid we hold is the one doing the work.
  const server = startServer('haproxy', ['-db', '-f', file], { lifetimeSeconds, label: 'haproxy' });
  try {
    await waitForPort(port, server, 30_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (nice !== undefined) setTreeNice(server.pid, nice);
  return {
    port,
    pid: server.pid,
    config,
    async stop() {
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
