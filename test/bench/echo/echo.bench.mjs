// echo-server (the `scalestack` CLI running the module) versus a plain node:net echo server,
// each in its own process, clients in separate processes:
//   1. idle connections: RSS per connection with ECHO_IDLE (10,000) connections open;
//   2. ping-pong: ECHO_CONNECTIONS (64) connections each bouncing one 1 KiB message for
//      ECHO_SECONDS (10) s: messages/s and the server's CPU µs per message (/proc/<pid>/stat).
// Targets alternate in every round (ECHO_ROUNDS, 3); medians are reported.
//
// Run: npm run build && node_modules/.bin/node test/bench/echo/echo.bench.mjs
//      (writes test/bench/results/echo.md, or the file named by ECHO_OUT)
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cpuMicros, median, repo, rssKiB, startClient, startServer, TARGETS } from './servers.mjs';

const ROUNDS = Number(process.env.ECHO_ROUNDS ?? 3);
const IDLE = Number(process.env.ECHO_IDLE ?? 10_000);
const IDLE_PROCESSES = 2; // each client process stays well under the 20,000 fd limit
const BATCH = 500;
const CONNECTIONS = Number(process.env.ECHO_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.ECHO_SECONDS ?? 10);
const SIZE = 1024;
const SETTLE_MS = 2000; // idle time before the second RSS reading (lets transient garbage go)

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const log = (text) => process.stderr.write(`${text}\n`);

async function idleConnections(target) {
  const server = await startServer(target);
  const before = rssKiB(server.pid);
  const t0 = performance.now();
  const clients = Array.from({ length: IDLE_PROCESSES }, (_, i) => {
    const share = Math.floor(IDLE / IDLE_PROCESSES) + (i < IDLE % IDLE_PROCESSES ? 1 : 0);
    return startClient('idle-client.mjs', [server.port, share, BATCH]);
  });
  const connected = (await Promise.all(clients.map((c) => once(c, 'message')))).reduce(
    (sum, [m]) => sum + m.connected,
    0,
  );
  const connectSeconds = (performance.now() - t0) / 1000;
  const atConnect = rssKiB(server.pid);
  await delay(SETTLE_MS); // measurement pacing, not synchronisation: the connections are all up
  const settled = rssKiB(server.pid);
  for (const client of clients) client.send('close');
  await Promise.all(clients.map((c) => once(c, 'exit')));
  await server.stop();
  return {
    connected,
    before,
    atConnect,
    settled,
    perConnection: ((settled - before) * 1024) / connected,
    connectSeconds,
  };
}

async function pingPong(target) {
  const server = await startServer(target);
  const client = startClient('ping-pong-client.mjs', [server.port, CONNECTIONS, SECONDS, SIZE]);
  await once(client, 'message'); // ready
  const cpu0 = cpuMicros(server.pid);
  client.send('go');
  const [{ messages, seconds }] = await once(client, 'message');
  const cpu = cpuMicros(server.pid) - cpu0;
  await once(client, 'exit');
  await server.stop();
  return { rate: messages / seconds, cpuPerMessage: cpu / messages, messages };
}

const targets = Object.keys(TARGETS);
const idle = Object.fromEntries(targets.map((t) => [t, []]));
const pong = Object.fromEntries(targets.map((t) => [t, []]));
const loadStart = load();
const startedAt = new Date().toISOString();
for (let round = 0; round < ROUNDS; round++) {
  for (const target of targets) {
    const r = await idleConnections(target);
    idle[target].push(r);
    log(
      `round ${round + 1} idle ${target}: ${r.connected} conns, ${(r.perConnection / 1024).toFixed(2)} KiB/conn`,
    );
  }
  for (const target of targets) {
    const r = await pingPong(target);
    pong[target].push(r);
    log(
      `round ${round + 1} ping-pong ${target}: ${Math.round(r.rate)} msg/s, ${r.cpuPerMessage.toFixed(2)} µs/msg`,
    );
  }
  log(`load average ${load()}`);
}
const loadEnd = load();

const fmt = (x, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const spread = (xs, digits) => `${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}`;
const idleRow = (t) => {
  const runs = idle[t];
  const per = runs.map((r) => r.perConnection / 1024);
  return `| ${t} | ${fmt(median(runs.map((r) => r.connected)))} | ${fmt(median(runs.map((r) => r.before)) / 1024, 1)} | ${fmt(median(runs.map((r) => r.atConnect)) / 1024, 1)} | ${fmt(median(runs.map((r) => r.settled)) / 1024, 1)} | **${fmt(median(per), 2)}** | ${spread(per, 2)} | ${fmt(median(runs.map((r) => r.connectSeconds)), 1)} |`;
};
const pongRow = (t) => {
  const runs = pong[t];
  const rates = runs.map((r) => r.rate);
  const cpu = runs.map((r) => r.cpuPerMessage);
  return `| ${t} | **${fmt(median(rates))}** | ${spread(rates, 0)} | **${fmt(median(cpu), 2)}** | ${spread(cpu, 2)} |`;
};
const ratio = (a, b) => (a / b).toFixed(2);
const e = 'echo-server';
const n = 'node:net';
const report = `# Echo server

${startedAt} — ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; ${ROUNDS} rounds, targets
alternating; load average (1, 5, 15 min) ${loadStart} at the start, ${loadEnd} at the end (the machine
is shared: read medians and ratios, not absolute figures).

Command: \`node_modules/.bin/node test/bench/echo/echo.bench.mjs\` (after \`npm run build\`).

Targets, each its own process: **echo-server** is \`node packages/cli/dist/bin.js run echo-server\`
(the kernel, the socket module and echo-server: \`Connection.pipe\` to itself); **node:net** is
[plain-echo.mjs](../echo/plain-echo.mjs), \`socket.pipe(socket)\` in a bare \`net.createServer\`.
Clients are separate Node processes.

## Idle connections: memory

${fmt(IDLE)} connections opened by ${IDLE_PROCESSES} client processes in batches of ${BATCH}; each sends one byte and
waits for the echo (so the server has accepted and set it up), then idles. RSS from
\`/proc/<pid>/status\` before the first connection, when all are connected, and ${SETTLE_MS / 1000} s later;
per connection = (settled − before) / connections. Target: ≤ 10 KiB per connection.

| server | connections | RSS before MiB | all connected MiB | settled MiB | KiB per connection | min–max | connect s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${targets.map(idleRow).join('\n')}

echo-server / node:net memory per connection: **${ratio(median(idle[e].map((r) => r.perConnection)), median(idle[n].map((r) => r.perConnection)))}**.

## Ping-pong: ${CONNECTIONS} connections, ${SIZE}-byte messages, ${SECONDS} s

Each connection sends a message, waits until all of it came back, sends the next. Server CPU
is utime + stime from \`/proc/<pid>/stat\` over the run, divided by the messages echoed.
On a busy shared machine messages/s mostly measures how much of a core the server got; CPU per
message is the figure that compares the two servers' own cost.

| server | messages/s | min–max | server CPU µs per message | min–max |
| --- | ---: | ---: | ---: | ---: |
${targets.map(pongRow).join('\n')}

echo-server / node:net: throughput **${ratio(median(pong[e].map((r) => r.rate)), median(pong[n].map((r) => r.rate)))}**, CPU per message **${ratio(median(pong[e].map((r) => r.cpuPerMessage)), median(pong[n].map((r) => r.cpuPerMessage)))}**.
`;
const out = process.env.ECHO_OUT ?? join(repo, 'test/bench/results/echo.md');
writeFileSync(out, report);
process.stdout.write(report);
