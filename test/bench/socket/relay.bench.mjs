// Relay overhead of @scalestack/socket's Connection.pipe versus node's stream pipe versus no
// relay at all: bulk throughput (MB/s) and small request/response round trips (per second),
// with the relay process's CPU time per MB / per round trip. Targets alternate in every round.
//
// Run: npm run build && node_modules/.bin/node test/bench/socket/relay.bench.mjs
//      (BENCH_ROUNDS=3, BENCH_SECONDS=2, BENCH_BULK_MB=256; writes test/bench/results/socket-relay.md)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { cpus, loadavg } from 'node:os';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const BULK_MB = Number(process.env.BENCH_BULK_MB ?? 256);
const CLIENTS = 32;
const MESSAGE = Buffer.alloc(64, 0x61);
const MODES = ['direct', 'socket-pipe', 'stream-pipe'];

async function serve(onSocket) {
  const server = createServer(onSocket);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// Backends live in this process: a sink that counts bytes and an echo server.
let sinkWaiter = null;
const sink = await serve((socket) => {
  let bytes = 0;
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    if (sinkWaiter && bytes >= sinkWaiter.total) sinkWaiter.done();
  });
});
const echo = await serve((socket) => {
  socket.setNoDelay(true);
  socket.pipe(socket);
});

async function startRelay(mode, targetPort) {
  if (mode === 'direct') return { port: targetPort, cpu: async () => 0, stop() {} };
  const child = fork(new URL('./relay-child.mjs', import.meta.url), [mode, String(targetPort)]);
  const [{ port }] = await once(child, 'message');
  return {
    port,
    async cpu() {
      child.send('cpu');
      const [{ cpu }] = await once(child, 'message');
      return cpu;
    },
    stop() {
      child.disconnect();
    },
  };
}

function connectTo(port) {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

async function bulk(mode) {
  const relay = await startRelay(mode, sink.address().port);
  const socket = await connectTo(relay.port);
  const total = BULK_MB * 1024 * 1024;
  const block = Buffer.alloc(64 * 1024, 0x62);
  const cpuBefore = await relay.cpu();
  const start = process.hrtime.bigint();
  const arrived = new Promise((resolve) => {
    sinkWaiter = { total, done: resolve };
  });
  for (let sent = 0; sent < total; sent += block.length) {
    if (!socket.write(block)) await once(socket, 'drain');
  }
  await arrived;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = (await relay.cpu()) - cpuBefore;
  socket.destroy();
  relay.stop();
  return { rate: BULK_MB / seconds, cpuPer: cpu / 1000 / BULK_MB }; // MB/s, CPU ms per MB
}

async function pingPong(mode) {
  const relay = await startRelay(mode, echo.address().port);
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => connectTo(relay.port)));
  let trips = 0;
  let running = true;
  const loops = sockets.map(
    (socket) =>
      new Promise((resolve) => {
        let got = 0;
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got < MESSAGE.length) return;
          got = 0;
          trips++;
          if (running) socket.write(MESSAGE);
          else resolve();
        });
      }),
  );
  const cpuBefore = await relay.cpu();
  const start = process.hrtime.bigint();
  for (const socket of sockets) socket.write(MESSAGE);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  running = false;
  await Promise.all(loops);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = (await relay.cpu()) - cpuBefore;
  for (const socket of sockets) socket.destroy();
  relay.stop();
  return { rate: trips / seconds, cpuPer: cpu / trips }; // round trips/s, CPU µs per trip
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { bulk: {}, pingPong: {} };
for (const mode of MODES) {
  results.bulk[mode] = [];
  results.pingPong[mode] = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) results.bulk[mode].push(await bulk(mode));
  for (const mode of MODES) results.pingPong[mode].push(await pingPong(mode));
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const row = (name, runs, unit, cpuUnit, digits) => {
  const rates = runs.map((r) => r.rate);
  const spread = `${Math.min(...rates).toFixed(digits)}–${Math.max(...rates).toFixed(digits)}`;
  const cpu = name === 'direct' ? '—' : median(runs.map((r) => r.cpuPer)).toFixed(2);
  return `| ${name} | ${median(rates).toFixed(digits)} ${unit} | ${spread} | ${cpu} ${name === 'direct' ? '' : cpuUnit} |`;
};
const report = `# Socket relay overhead

${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')} at the end; Node ${process.version}; ${ROUNDS} rounds, targets alternating.

Client and backends run in one process, the relay in its own (its CPU time is measured).
\`socket-pipe\` is \`Connection.pipe\` from @scalestack/socket; \`stream-pipe\` is
\`socket.pipe(upstream).pipe(socket)\`; \`direct\` has no relay.

## Bulk: one connection, ${BULK_MB} MB one way

| relay | median | min–max | relay CPU per MB |
| --- | --- | --- | --- |
${MODES.map((m) => row(m, results.bulk[m], 'MB/s', 'ms', 0)).join('\n')}

## Round trips: ${CLIENTS} connections, ${MESSAGE.length}-byte messages, ${SECONDS} s

| relay | median | min–max | relay CPU per round trip |
| --- | --- | --- | --- |
${MODES.map((m) => row(m, results.pingPong[m], '/s', 'µs', 0)).join('\n')}
`;
const out = new URL('../results/socket-relay.md', import.meta.url);
writeFileSync(out, report);
process.stdout.write(report);
sink.close();
echo.close();
process.exit(0);
