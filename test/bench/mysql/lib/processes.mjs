// Child processes for benchmarks: spawned with a raised open-files limit and a hard lifetime, so
// every server stops by itself even if this script is killed without running its cleanup.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setPriority } from 'node:os';

/** Open-files limit every server gets: 65536 when allowed, otherwise the hard limit. */
const RAISE_NOFILE = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';

const running = new Set();

/**
 * Start a long-running server.
 * @param {string} command executable
 * @param {string[]} args
 * @param {{ lifetimeSeconds: number, env?: NodeJS.ProcessEnv, cwd?: string, label: string }} opts
 *   lifetimeSeconds: `timeout` kills the server after this long whatever happens to us.
 * @returns {{ pid: number, label: string, child: import('node:child_process').ChildProcess,
 *   output: () => string, exited: Promise<{code: number|null, signal: string|null}> }}
 *   pid is the root of the server's process tree (`timeout`, whose child is the server).
 */
export function startServer(command, args, { lifetimeSeconds, env, cwd, label }) {
  const script = `${RAISE_NOFILE}; exec timeout -k 10 ${Math.ceil(lifetimeSeconds)} "$@"`;
  const child = spawn('bash', ['-c', script, 'bash', command, ...args], {
    env: env ?? process.env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit').then(([code, signal]) => {
    running.delete(server);
    return { code, signal };
  });
  const server = { pid: child.pid, label, child, output: () => tail, exited };
  running.add(server);
  return server;
}

/** SIGTERM, then SIGKILL if the server has not exited within graceMs. */
export async function stopServer(server, graceMs = 15_000) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  const result = await server.exited;
  clearTimeout(timer);
  return result;
}

/** Kill whatever is still running (used on exit and on signals). */
export function killAll() {
  for (const server of running) server.child.kill('SIGKILL');
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

/**
 * Run a command to completion and collect its output. onStdout sees the output so far after
 * every chunk, for reacting to progress lines; onSpawn gets the command's pid.
 * @returns {Promise<{ code: number|null, signal: string|null, stdout: string, stderr: string }>}
 */
export async function run(command, args, { timeoutMs = 600_000, env, input, onStdout, onSpawn } = {}) {
  const script = `${RAISE_NOFILE}; exec "$@"`;
  const child = spawn('bash', ['-c', script, 'bash', command, ...args], {
    env: env ?? process.env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  onSpawn?.(child.pid);
  if (input !== undefined) child.stdin.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
    onStdout?.(stdout);
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'close');
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Wait until something accepts TCP connections on 127.0.0.1:port, or fail with the server's
 * own output if it exits first or the deadline passes.
 */
export async function waitForPort(port, server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  server?.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) {
      throw new Error(`${server.label} exited before listening on 127.0.0.1:${port}:\n${server.output()}`);
    }
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${server?.label ?? 'server'} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${server?.output() ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sets the nice value of every thread of `rootPid` and of its descendants (a server started
 * under `timeout`: the server is its child). Linux keeps a nice value per thread.
 * @param {number} rootPid
 * @param {number} nice
 */
export function setTreeNice(rootPid, nice) {
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      setPriority(Number(tid), nice);
      const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (children !== '') queue.push(...children.split(' ').map(Number));
    }
  }
}
