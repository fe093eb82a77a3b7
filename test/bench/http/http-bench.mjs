// http-server versus plain node:http, the same small response, measured with wrk.
// Targets alternate within one run; medians, their ratio and server CPU per request are written
// to test/bench/results/http.md.
//
//   npm run build && node_modules/.bin/node test/bench/http/http-bench.mjs [--rounds 3] [--seconds 3] [--connections 64]
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../../harness/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
  },
});
const rounds = Number(values.rounds);
const targets = ['scalestack', 'node-http'];
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s

function startServer(target, port) {
  const child = spawn(process.execPath, [join(here, 'server.mjs'), target, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${target} exited with ${code}`)));
    child.stdout.on('data', (d) => {
      if (String(d).includes('listening')) resolve(child);
    });
  });
}

function cpuSeconds(pid) {
  // Fields after the ")" of the command name: utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function wrk(port) {
  const args = [
    '-t',
    values.threads,
    '-c',
    values.connections,
    '-d',
    `${values.seconds}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, (error, stdout) => {
      if (error) return reject(error);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
      const p50 = /50%\s+(\S+)/.exec(stdout)?.[1];
      const p99 = /99%\s+(\S+)/.exec(stdout)?.[1];
      const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? '0';
      const socketErrors = /Socket errors: (.*)/.exec(stdout)?.[1] ?? '';
      resolve({ rps, requests, p50, p99, errors: Number(errors), socketErrors });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const servers = {};
for (const t of targets) {
  const port = await freePort();
  servers[t] = { port, child: await startServer(t, port) };
}
const results = Object.fromEntries(targets.map((t) => [t, []]));
try {
  // One short warm-up per target so the JIT has settled before measuring.
  for (const t of targets) await wrk(servers[t].port);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const pid = servers[t].child.pid;
      const cpu0 = cpuSeconds(pid);
      const run = await wrk(servers[t].port);
      const cpu = cpuSeconds(pid) - cpu0;
      run.cpuUsPerRequest = (cpu / run.requests) * 1e6;
      results[t].push(run);
      console.log(
        `round ${r + 1} ${t}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50}, p99 ${run.p99}, ${run.cpuUsPerRequest.toFixed(1)} µs CPU/req, non-2xx ${run.errors} ${run.socketErrors}`,
      );
    }
  }
} finally {
  for (const t of targets) servers[t].child.stdin.end();
}

const summary = targets.map((t) => ({
  target: t,
  rps: median(results[t].map((x) => x.rps)),
  cpu: median(results[t].map((x) => x.cpuUsPerRequest)),
  runs: results[t].map((x) => x.rps.toFixed(0)).join(', '),
  p50: results[t].map((x) => x.p50).join(', '),
  p99: results[t].map((x) => x.p99).join(', '),
  errors: results[t].reduce((n, x) => n + x.errors, 0),
}));
const [ss, nh] = summary;
const lines = [
  '# http-server vs node:http',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (shared with other work), Node ${process.version}.`,
  `Load average when the run ended: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(
      ' / ',
    )} — on a shared machine req/s swings between runs; server CPU per request is the steadier figure.`,
  `wrk -t${values.threads} -c${values.connections} -d${values.seconds}s, ${rounds} rounds alternating the targets, GET / → 200 with a 13-byte text body, keep-alive.`,
  '',
  '| target | median req/s | runs (req/s) | p50 per run | p99 per run | median server CPU µs/req | non-2xx |',
  '|---|---|---|---|---|---|---|',
  ...summary.map(
    (s) =>
      `| ${s.target} | ${s.rps.toFixed(0)} | ${s.runs} | ${s.p50} | ${s.p99} | ${s.cpu.toFixed(1)} | ${s.errors} |`,
  ),
  '',
  `Throughput ratio http-server / node:http: **${(ss.rps / nh.rps).toFixed(2)}**; CPU per request ratio: **${(ss.cpu / nh.cpu).toFixed(2)}**.`,
  '',
  'Reproduce: `npm run build && node_modules/.bin/node test/bench/http/http-bench.mjs --rounds 3 --seconds 3`',
  '',
];
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'http.md'), lines.join('\n'));
console.log(lines.join('\n'));
