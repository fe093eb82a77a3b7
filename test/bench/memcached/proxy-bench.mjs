// memcached-proxy vs direct memcached vs twemproxy (nutcracker): get/set ops/s at 1, 16, 64, 256
// connections, one request in flight per connection, targets alternated within each round.
// Usage (from the repo root, after `npm run build`):
//   node_modules/.bin/node test/bench/memcached/proxy-bench.mjs [seconds-per-run] [rounds]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, freePort, startMemcached, tcpExchange, waitFor } from '../../harness/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.argv[2] ?? 1.5);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONNECTIONS = [1, 16, 64, 256];
const OPS = ['get', 'set'];
const KEYS = 1000;
const VALUE = 'v'.repeat(100);
const TICK = 100; // /proc clock ticks per second (USER_HZ)

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function startProxy(serverPort) {
  const child = spawn(process.execPath, [join(here, 'proxy-process.mjs'), String(serverPort)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
  });
  return { port, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

async function startTwemproxy(serverPort) {
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-bench-nutcracker-'));
  const port = await freePort();
  const conf = `pool:\n  listen: 127.0.0.1:${port}\n  hash: md5\n  distribution: ketama\n  timeout: 5000\n  servers:\n   - 127.0.0.1:${serverPort}:1\n`;
  writeFileSync(join(dir, 'nc.yml'), conf);
  const child = spawn(
    findBinary('nutcracker', 'nutcracker'),
    ['-c', join(dir, 'nc.yml'), '-s', String(await freePort()), '-o', join(dir, 'log')],
    {
      stdio: 'ignore',
    },
  );
  await waitFor(async () => (await tcpExchange(port, 'get x\r\n', (r) => r.endsWith('END\r\n'))).length > 0, {
    what: 'nutcracker',
  });
  return {
    port,
    pid: child.pid,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `connections` sockets, each sending one request and waiting for its reply, for `seconds`. */
function load(port, connections, op, seconds) {
  return new Promise((resolve, reject) => {
    let ops = 0;
    let running = true;
    let open = 0;
    const sockets = [];
    const done = () => {
      running = false;
      for (const s of sockets) s.destroy();
      resolve(ops);
    };
    for (let c = 0; c < connections; c++) {
      const key = `bench:${c % KEYS}`;
      const request = Buffer.from(
        op === 'get' ? `get ${key}\r\n` : `set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`,
      );
      const end = Buffer.from(op === 'get' ? 'END\r\n' : 'STORED\r\n');
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      sockets.push(socket);
      let tail = Buffer.alloc(0);
      socket.on('connect', () => {
        if (++open === connections) setTimeout(done, seconds * 1000);
        socket.write(request);
      });
      socket.on('data', (chunk) => {
        tail = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
        if (tail.length < end.length || !tail.subarray(tail.length - end.length).equals(end)) return;
        tail = Buffer.alloc(0);
        if (!running) return;
        ops++;
        socket.write(request);
      });
      socket.on('error', (err) => running && reject(err));
    }
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const memcached = await startMemcached({ args: ['-t', '2', '-c', '4096'] });
const proxy = await startProxy(memcached.port);
const twemproxy = await startTwemproxy(memcached.port);
const targets = [
  { name: 'memcached (direct)', port: memcached.port, pid: undefined },
  { name: 'memcached-proxy', port: proxy.port, pid: proxy.pid },
  { name: 'twemproxy', port: twemproxy.port, pid: twemproxy.pid },
];
try {
  // preload the keys the gets read
  await load(memcached.port, 16, 'set', 0.5);
  const rows = [];
  for (const op of OPS) {
    for (const connections of CONNECTIONS) {
      const samples = new Map(targets.map((t) => [t.name, { rate: [], cpu: [] }]));
      for (let round = 0; round < ROUNDS; round++) {
        // rotate the order every round so no target always runs first
        const order = targets.map((_, i) => targets[(i + round) % targets.length]);
        for (const target of order) {
          const before = target.pid ? cpuTicks(target.pid) : 0;
          const ops = await load(target.port, connections, op, SECONDS);
          const ticks = target.pid ? cpuTicks(target.pid) - before : 0;
          const s = samples.get(target.name);
          s.rate.push(ops / SECONDS);
          if (target.pid) s.cpu.push(ops > 0 ? ((ticks / TICK) * 1e6) / ops : Number.NaN);
        }
      }
      for (const target of targets) {
        const s = samples.get(target.name);
        const row = {
          op,
          connections,
          target: target.name,
          rate: median(s.rate),
          min: Math.min(...s.rate),
          max: Math.max(...s.rate),
          cpu: target.pid ? median(s.cpu) : undefined,
        };
        rows.push(row);
        console.log(
          `${op} c=${connections} ${target.name}: ${Math.round(row.rate)} ops/s` +
            (row.cpu === undefined ? '' : `, ${row.cpu.toFixed(1)} µs CPU/op`),
        );
      }
    }
  }
  const lines = [
    '# memcached-proxy benchmark',
    '',
    `Generated by \`node_modules/.bin/node test/bench/memcached/proxy-bench.mjs ${SECONDS} ${ROUNDS}\` on ${new Date().toISOString()}`,
    `(${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, shared with other work; Node ${process.version}).`,
    '',
    'One memcached (`-t 2`) behind each proxy; the load generator is one Node process with one request',
    `in flight per connection (no pipelining), ${VALUE.length}-byte values, ${KEYS} keys. Each cell is the median of`,
    `${ROUNDS} runs of ${SECONDS}s, targets alternated within every round (order rotated). CPU/op is the`,
    "proxy process's user+system time from /proc/<pid>/stat divided by the operations served (10ms tick",
    'resolution, so short runs at low rates are coarse). The load generator shares the 2 cores with the',
    'proxies and memcached, so absolute numbers are low; compare within a row.',
    `Load average (1/5/15 min) before: ${loadBefore}; after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`,
    '',
    '| op | conns | memcached direct ops/s | memcached-proxy ops/s | twemproxy ops/s | proxy/direct | proxy/twemproxy | proxy CPU µs/op | twemproxy CPU µs/op |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const op of OPS) {
    for (const connections of CONNECTIONS) {
      const get = (name) =>
        rows.find((r) => r.op === op && r.connections === connections && r.target === name);
      const d = get('memcached (direct)');
      const p = get('memcached-proxy');
      const t = get('twemproxy');
      lines.push(
        `| ${op} | ${connections} | ${Math.round(d.rate)} | ${Math.round(p.rate)} | ${Math.round(t.rate)} | ${(p.rate / d.rate).toFixed(2)} | ${(p.rate / t.rate).toFixed(2)} | ${p.cpu.toFixed(1)} | ${t.cpu.toFixed(1)} |`,
      );
    }
  }
  lines.push('', 'min–max per cell (ops/s):', '');
  for (const r of rows)
    lines.push(`- ${r.op} c=${r.connections} ${r.target}: ${Math.round(r.min)}–${Math.round(r.max)}`);
  writeFileSync(join(here, '..', 'results', 'memcached.md'), `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
} finally {
  proxy.stop();
  twemproxy.stop();
  await memcached.stop();
}
