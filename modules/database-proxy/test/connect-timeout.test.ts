/**
 * `connect_timeout` is one budget for the TCP connect and the login together: a server that is
 * slow to accept and then never greets fails the statement at connect_timeout, not after a full
 * connect_timeout for each phase.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, expect, it } from 'vitest';
import { failure } from './support/backends.js';
import { useOwnMariaDB } from './support/own-mariadb.js';
import { backendAt, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const mariadb = useOwnMariaDB();

/**
 * A listener with a backlog of 1 (Node takes 0 for its default) whose event loop is blocked (reading stdin) until it is told
 * to accept: with its accept queue full, the SYNs sent to it are dropped, and a
 * connect completes only at the kernel's retransmission (1 s) after the loop starts accepting.
 * Accepted connections are kept and never spoken to.
 */
const STALLING_LISTENER = `
const fs = require('node:fs');
const net = require('node:net');
const kept = [];
const server = net.createServer((c) => { kept.push(c); c.on('error', () => {}); });
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  fs.writeSync(1, server.address().port + '\\n');
  const b = Buffer.alloc(16);
  for (;;) {
    try { if (fs.readSync(0, b) > 0) break; } catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
});
`;

/** Sockets in SYN-SENT towards `port` (connects whose SYN the full queue dropped). */
async function synSent(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-tnH', 'state', 'syn-sent', `( dport = :${port} )`]);
  return stdout.trim() === '' ? 0 : stdout.trim().split('\n').length;
}

let listener: ChildProcess | undefined;
let fx: ProxyFixture | undefined;
const fillers: net.Socket[] = [];
afterEach(async () => {
  await fx?.stop();
  for (const s of fillers) s.destroy();
  listener?.kill();
});

it('a slow TCP connect, then no greeting: ERR 9004 at connect_timeout, not twice it', async () => {
  listener = spawn(process.execPath, ['-e', STALLING_LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = Number(
    await new Promise<string>((r) => createInterface({ input: listener!.stdout! }).once('line', r)),
  );
  // Fill the accept queue: connects complete until one stays in SYN-SENT.
  for (;;) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
    const connected = await Promise.race([
      new Promise<boolean>((r) => s.once('connect', () => r(true))),
      waitFor(async () => (await synSent(port)) > 0, { what: 'a connect to complete or stall' }).then(
        () => false,
      ),
    ]);
    if (!connected) {
      s.destroy(); // its retransmissions would compete with the proxy's
      break;
    }
  }
  await waitFor(async () => (await synSent(port)) === 0, { what: 'the stalled filler gone' });
  fx = await startProxyFixture({
    mariadb: mariadb(),
    createBackendUser: false,
    options: {
      connect_timeout: '1500ms',
      server_failure_limit: 100,
      backends: [backendAt('slow', `127.0.0.1:${port}`, 2)],
    },
  });
  const c = await fx.connect();
  c.on('error', () => {});
  const started = performance.now();
  const outcome = failure(c.query('SELECT 1'));
  // The proxy's SYN was dropped; now the listener accepts, so its retransmission (1 s after
  // the first) gets through — and then the "server" never greets.
  await waitFor(async () => (await synSent(port)) > 0, { what: "the proxy's connect to stall" });
  listener.stdin!.write('accept\n');
  const err = await outcome;
  const took = performance.now() - started;
  c.destroy();
  expect(err.errno).toBe(9004);
  expect(err.message).toMatch(
    /connecting, login and session set-up timed out after 1500 ms \(connect_timeout\)/,
  );
  // Before the fix the login had a budget of its own: ~1 s of connect + 1.5 s = ~2.5 s.
  expect(took).toBeLessThan(2100);
});
