/**
 * TCP keepalive: on, a connection whose peer vanished without a FIN is found dead by the kernel's
 * probes. Read back from the kernel with `ss -o`, which shows a keepalive timer on each socket
 * that has SO_KEEPALIVE set (and a keepalive timer of the configured delay on an idle one).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { connect, type Listener, listen } from '../src/index.js';
import { roundTrip } from './helpers.js';

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
});

/** The `ss -tno` timer of the established socket with local port `local` and peer port `peer`. */
async function timerOf(local: number, peer: number): Promise<string> {
  const { stdout } = await promisify(execFile)('ss', [
    '-tnoH',
    'state',
    'established',
    `( sport = :${local} and dport = :${peer} )`,
  ]);
  return stdout.trim();
}

it('keepAlive turns TCP keepalive on for accepted and for outgoing connections; off by default', async () => {
  const withProbes = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), { keepAlive: 45_000 });
  const without = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
  listeners.push(withProbes, without);
  const portOf = (l: Listener) => (l.address.kind === 'tcp' ? l.address.port : 0);

  const a = await connect(withProbes.address, { keepAlive: 30_000 });
  await roundTrip(a.socket, 'a');
  const accepted = await timerOf(portOf(withProbes), a.socket.localPort!);
  // ss prints the time left to the first probe: at most the delay asked for.
  expect(accepted).toMatch(/timer:\(keepalive,(\d+(\.\d+)?)sec|timer:\(keepalive,\d+ms/);
  expect(Number(/keepalive,(\d+)/.exec(accepted)![1])).toBeLessThanOrEqual(45);
  expect(await timerOf(a.socket.localPort!, portOf(withProbes))).toMatch(/timer:\(keepalive,/);

  const b = await connect(without.address);
  await roundTrip(b.socket, 'b');
  expect(await timerOf(portOf(without), b.socket.localPort!)).not.toMatch(/keepalive/);
  expect(await timerOf(b.socket.localPort!, portOf(without))).not.toMatch(/keepalive/);
  a.destroy();
  b.destroy();
});

it('a keepAlive under a second is a second, not the kernel default of two hours', async () => {
  const l = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), { keepAlive: 400 });
  listeners.push(l);
  const port = l.address.kind === 'tcp' ? l.address.port : 0;
  const c = await connect(l.address, { keepAlive: 300 });
  await roundTrip(c.socket, 'c');
  // Node hands the kernel whole seconds: 0 was refused, and the timer showed ~119min.
  for (const timer of [await timerOf(port, c.socket.localPort!), await timerOf(c.socket.localPort!, port)]) {
    expect(timer).toMatch(/timer:\(keepalive,(\d+ms|1(\.\d+)?sec)/);
  }
  c.destroy();
});
