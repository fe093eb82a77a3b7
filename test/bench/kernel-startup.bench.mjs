// Kernel overhead: load (resolve + validate) and start/shutdown of many small modules, and option
// parsing throughput. Run after `npm run build`: node test/bench/kernel-startup.bench.mjs
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Kernel, option } from '../../packages/kernel/dist/index.js';

const MODULES = 200;
const ROUNDS = 5;
const schema = {
  listen: option.address('127.0.0.1:0', ''),
  timeout: option.duration('5s', ''),
  buffer: option.size('64KiB', ''),
  pool: option.integer(8, '', { min: 1 }),
  mode: option.enum(['a', 'b'], 'a', ''),
  users: option.list(option.object({ name: option.string(undefined, '') }, undefined, ''), [], ''),
};
const definitions = Array.from({ length: MODULES }, (_, i) => ({
  name: `m${i}`,
  description: '',
  requires: i === 0 ? [] : [`m${i - 1}`],
  options: schema,
  start(ctx) {
    ctx.onStop(() => {});
  },
}));
const config = {
  modules: Object.fromEntries(definitions.map((d) => [d.name, { users: [{ name: 'x' }], timeout: '1.5m' }])),
};

const times = { load: [], start: [], shutdown: [] };
for (let r = 0; r < ROUNDS; r++) {
  const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions });
  let t = performance.now();
  await kernel.load({ modules: [`m${MODULES - 1}`], config, env: {} });
  times.load.push(performance.now() - t);
  t = performance.now();
  await kernel.start();
  times.start.push(performance.now() - t);
  t = performance.now();
  await kernel.shutdown();
  times.shutdown.push(performance.now() - t);
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
console.log(
  `| ${MODULES} chained modules, ${Object.keys(schema).length} options each | median of ${ROUNDS} |`,
);
console.log('| --- | --- |');
for (const [phase, xs] of Object.entries(times)) console.log(`| ${phase} | ${median(xs)} ms |`);

const duration = option.duration('1s', '');
const N = 1_000_000;
let t = performance.now();
for (let i = 0; i < N; i++) duration.parse('1.5m', ['x']);
console.log(`| option.duration parse | ${(((N / (performance.now() - t)) * 1000) / 1e6).toFixed(2)} M/s |`);
const address = option.address('a:1', '');
t = performance.now();
for (let i = 0; i < N; i++) address.parse('[::1]:3306', ['x']);
console.log(`| option.address parse | ${(((N / (performance.now() - t)) * 1000) / 1e6).toFixed(2)} M/s |`);
