// The Scale Stack database proxy as a benchmark target: writes the YAML config, starts the
// command the operator gave (default: the CLI), optionally under --cpu-prof. The Node pipe
// (node-pipe.mjs) reads the same YAML, so it is started the same way under its own label.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, stopServer, waitForPort } from './processes.mjs';

/** Default proxy command; {config} is replaced by the generated YAML file's path. */
export const DEFAULT_PROXY_COMMAND = 'node packages/cli/dist/bin.js run database-proxy --config {config}';

/** Default pipe command: node-pipe.mjs through @scalestack/socket's direct reads, as the proxy reads. */
export const DEFAULT_PIPE_COMMAND = 'node test/bench/mysql/node-pipe.mjs {config} direct';

/**
 * The proxy configuration for the sweep.
 * @param {{ listenPort: number, backendPort: number, user: string, password: string, pool: number,
 *   nice?: number }} o  nice: the event loop thread's nice value (event.nice; the pipe reads it too)
 */
export function proxyConfig({ listenPort, backendPort, user, password, pool, nice }) {
  const event = nice === undefined ? '' : `  event:\n    nice: ${nice}\n`;
  return `modules:
${event}  database-proxy:
    listen: 127.0.0.1:${listenPort}
    users:
      - { name: ${user}, password: ${password}, tenant: bench, max_connections: 10000 }
    backends:
      - { name: db1, address: 127.0.0.1:${backendPort}, user: ${user}, password: ${password}, pool: ${pool} }
`;
}

/**
 * Split a command line on spaces, honouring '…' and "…" quoting (no escapes: this is for
 * operator-typed commands like `node --foo dist/bin.js run x --config {config}`).
 */
export function splitCommand(line) {
  const words = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/**
 * Start the proxy, or anything else that takes the proxy's YAML (the Node pipe).
 * @param {{ command: string, cwd: string, backendPort: number, user: string, password: string,
 *   pool: number, lifetimeSeconds: number, cpuProfDir?: string, label?: string, nice?: number }} opts
 *   cpuProfDir: run Node with --cpu-prof writing there (one .cpuprofile per thread, on exit).
 *   label: names the process in errors and its temporary directory (default: proxy).
 */
export async function startProxy({
  label = 'proxy',
  command,
  cwd,
  backendPort,
  user,
  password,
  pool,
  lifetimeSeconds,
  cpuProfDir,
  nice,
}) {
  const dir = mkdtempSync(join(tmpdir(), `scalestack-bench-${label}-`));
  const port = await freePort();
  const config = proxyConfig({ listenPort: port, backendPort, user, password, pool, nice });
  const file = join(dir, `${label}.yaml`);
  writeFileSync(file, config);
  const words = splitCommand(command).map((w) => w.replaceAll('{config}', file));
  // `node` means the Node this script runs on (the repo's Node 24), not whatever is first on PATH.
  if (words[0] === 'node') words[0] = process.execPath;
  const env = { ...process.env };
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${cpuProfDir}`.trim();
  }
  const server = startServer(words[0], words.slice(1), { lifetimeSeconds, label, env, cwd });
  try {
    await waitForPort(port, server, 60_000);
  } catch (error) {
    await stopServer(server, 5_000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    pid: server.pid,
    config,
    commandLine: words.join(' '),
    async stop() {
      // A graceful exit is what makes Node write the --cpu-prof profile.
      const { code, signal } = await stopServer(server, 30_000);
      rmSync(dir, { recursive: true, force: true });
      return { code, signal, output: server.output() };
    },
  };
}
