#!/usr/bin/env node
// redis-benchmark against the resp-server example (started through the CLI) and a real
// redis-server, alternating targets, medians of N rounds. Writes test/bench/results/resp.md.
//
//   node_modules/.bin/node test/bench/resp/redis-benchmark.mjs [--requests 100000] [--clients 50]
//     [--rounds 3] [--pipelines 1,16]
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '../../..');
const { startRedis, freePort, findBinary, waitFor } = await import(join(repo, 'test/harness/dist/index.js'));

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    pipelines: { type: 'string', default: '1,16' },
    tests: { type: 'string', default: 'ping,set,get' },
  },
});
const benchmark = findBinary('redis-benchmark', 'redis-tools');
const redisCli = findBinary('redis-cli', 'redis-tools');
const rounds = Number(opts.rounds);
const pipelines = opts.pipelines.split(',').map(Number);

/** Starts `scalestack run resp-server` under `timeout`, so it cannot outlive the script. */
async function startExample() {
  const port = await freePort();
  const child = spawn(
    'timeout',
    [
      '600',
      join(repo, 'node_modules/.bin/node'),
      join(repo, 'packages/cli/dist/bin.js'),
      'run',
      'resp-server',
      `--resp-server.listen=127.0.0.1:${port}`,
      '--resp-server.max_memory=0',
      '--log-level=warn',
    ],
    { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitFor(
    async () =>
      (await run(redisCli, ['-p', String(port), 'PING']).catch(() => ({ stdout: '' }))).stdout === 'PONG\n',
    { timeout: 20_000, what: 'resp-server to answer PING' },
  );
  return { port, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/** One redis-benchmark run: test name → requests per second. */
async function measure(port, pipeline) {
  const { stdout } = await run(
    benchmark,
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      opts.tests,
      '-P',
      String(pipeline),
      '-n',
      opts.requests,
      '-c',
      opts.clients,
      '-q',
      '--csv',
    ],
    { maxBuffer: 1 << 20 },
  );
  const rps = {};
  for (const line of stdout.split('\n').slice(1)) {
    const [name, value] = line.split(',').map((f) => f.replaceAll('"', ''));
    if (name && value) rps[name] = Number(value);
  }
  return rps;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const redis = await startRedis();
const example = await startExample();
const targets = [
  { name: 'redis-server', port: redis.port },
  { name: 'resp-server', port: example.port },
];
const samples = {}; // `${pipeline}|${test}|${target}` → rps[]
const started = new Date();
const load = [loadavg()[0]];
try {
  for (const pipeline of pipelines) {
    for (let round = 0; round < rounds; round++) {
      // Alternate which target goes first, so drift on a shared machine hits both alike.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const rps = await measure(target.port, pipeline);
        for (const [test, value] of Object.entries(rps)) {
          const key = `${pipeline}|${test}|${target.name}`;
          samples[key] = [...(samples[key] ?? []), value];
        }
        console.error(`P=${pipeline} round ${round + 1} ${target.name}: ${JSON.stringify(rps)}`);
      }
      load.push(loadavg()[0]);
    }
  }
} finally {
  example.stop();
  await redis.stop();
}

const tests = [...new Set(Object.keys(samples).map((k) => k.split('|')[1]))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
for (const pipeline of pipelines) {
  for (const test of tests) {
    const r = samples[`${pipeline}|${test}|redis-server`];
    const o = samples[`${pipeline}|${test}|resp-server`];
    if (!r || !o) continue;
    const [mr, mo] = [median(r), median(o)];
    rows.push(
      `| ${pipeline} | ${test} | ${fmt(mr)} | ${fmt(mo)} | ${(mo / mr).toFixed(2)} | ${fmt(Math.min(...o))}–${fmt(Math.max(...o))} |`,
    );
  }
}
const { stdout: version } = await run(join(repo, 'node_modules/.bin/node'), ['--version']);
const { stdout: redisVersion } = await run(findBinary('redis-server', 'redis-server'), ['--version']);
const report = `# RESP: resp-server example vs redis-server

${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB,
shared with other work (1-min load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} during the run).
Node ${version.trim()}, ${redisVersion.trim().split(' ').slice(0, 3).join(' ')}.

\`redis-benchmark -t ${opts.tests} -P <P> -n ${opts.requests} -c ${opts.clients} -q\`, against a
private redis-server (\`--save '' --appendonly no\`, from the test harness) and the example started
through the CLI (\`scalestack run resp-server --resp-server.max_memory=0\`, one Node thread),
targets alternating, ${rounds} rounds; medians in requests/s.

| P | test | redis-server | resp-server | resp/redis | resp-server range |
| -: | ---- | -----------: | ----------: | ---------: | ----------------- |
${rows.join('\n')}

Reproduce: \`npm run build && node_modules/.bin/node test/bench/resp/redis-benchmark.mjs\`
`;
writeFileSync(join(repo, 'test/bench/results/resp.md'), report);
console.log(report);
