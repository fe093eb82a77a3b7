// A connection storm: LOGINS MySQL logins, CONCURRENCY at a time, each one login then COM_QUIT,
// against one server or proxy; reports logins per second and, with --pid, that process's CPU
// per login (its whole tree, from /proc). The client is this project's I/O-free handshake codec
// on raw sockets, so the client's own cost stays small beside the target's.
//
//   node login-storm.mjs --port 6033 [--pid PID] [--logins 20000] [--concurrency 256]
//        [--user sbtest] [--password sbtest] [--database sbtest] [--rounds 3] [--hold]
//
// With --hold, every connection stays open once logged in until all LOGINS are; the target's
// resident memory (VmRSS, with --pid) is read before the first login and with all of them open,
// which gives the memory one idle client connection costs. Then they all quit.
//
// Sends traffic to 127.0.0.1 only and stops by itself after --rounds storms.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { ClientHandshake, encodeFrames, PacketDecoder } from '@scalestack/mysql-protocol';
import { treeCpuSeconds } from './lib/proc-cpu.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    pid: { type: 'string' },
    logins: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    user: { type: 'string', default: 'sbtest' },
    password: { type: 'string', default: 'sbtest' },
    database: { type: 'string', default: 'sbtest' },
    rounds: { type: 'string', default: '3' },
    hold: { type: 'boolean', default: false },
  },
});
if (values.port === undefined) {
  console.error('usage: login-storm.mjs --port PORT [--pid PID] [--logins N] [--concurrency C]');
  process.exit(2);
}
const port = Number(values.port);
const pid = values.pid === undefined ? undefined : Number(values.pid);
const logins = Number(values.logins);
const concurrency = Number(values.concurrency);
const QUIT = encodeFrames(Buffer.from([0x01]), 0);

/** The target's resident memory in KiB. */
function rssKiB() {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/**
 * One login, then COM_QUIT; resolves when the server has closed, rejects on a refusal. With
 * `held`, the COM_QUIT waits: the socket is pushed there once logged in, and the promise
 * resolves then.
 */
function loginOnce(held) {
  return new Promise((resolve, reject) => {
    const handshake = new ClientHandshake({
      user: values.user,
      password: values.password,
      database: values.database,
    });
    const decoder = new PacketDecoder();
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      for (const packet of decoder.push(chunk)) {
        const step = handshake.receive(packet.payload, packet.sequenceId);
        if (step.kind === 'send') socket.write(step.bytes);
        else if (step.kind === 'done') {
          if (held === undefined) socket.end(QUIT);
          else {
            held.push(socket);
            resolve();
          }
        } else if (step.kind === 'failed') {
          socket.destroy();
          reject(new Error(`login refused: ${step.error.code} ${step.error.message}`));
        } else if (step.kind !== 'wait') reject(new Error(`unexpected step ${step.kind}`));
      }
    });
    socket.on('error', reject);
    socket.on('close', resolve);
  });
}

async function storm() {
  let started = 0;
  const worker = async () => {
    while (started < logins) {
      started++;
      await loginOnce();
    }
  };
  const cpu0 = pid === undefined ? 0 : treeCpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = pid === undefined ? undefined : treeCpuSeconds(pid) - cpu0;
  return { seconds, cpu };
}

if (values.hold) {
  const held = [];
  const before = pid === undefined ? undefined : rssKiB();
  let started = 0;
  const worker = async () => {
    while (started < logins) {
      started++;
      await loginOnce(held);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (before !== undefined) {
    const after = rssKiB();
    console.log(
      `${held.length} clients logged in and idle: target RSS ${before} -> ${after} KiB, ${(((after - before) * 1024) / held.length).toFixed(0)} bytes per client`,
    );
  }
  await Promise.all(held.map((socket) => new Promise((resolve) => socket.end(QUIT, resolve))));
  process.exit(0);
}

for (let round = 1; round <= Number(values.rounds); round++) {
  const { seconds, cpu } = await storm();
  const perLogin = cpu === undefined ? '' : `  target CPU ${((cpu / logins) * 1e6).toFixed(1)} µs/login`;
  console.log(
    `round ${round}: ${logins} logins in ${seconds.toFixed(2)} s, ${Math.round(logins / seconds)}/s${perLogin}`,
  );
}
