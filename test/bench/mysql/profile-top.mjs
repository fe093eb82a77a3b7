#!/usr/bin/env node
// The functions with the most self time in a V8 .cpuprofile (from --cpu-prof), for a first look
// without opening DevTools: node test/bench/mysql/profile-top.mjs <file.cpuprofile> [count]

import { readFileSync } from 'node:fs';

const [file, countText = '20'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node test/bench/mysql/profile-top.mjs <file.cpuprofile> [count]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMicros = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const { functionName, url, lineNumber } = nodes.get(profile.samples[i]).callFrame;
  const where = url ? `${url.split('/').slice(-3).join('/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  const delta = profile.timeDeltas[i] ?? 0;
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  total += delta;
}
const top = [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, Number(countText));
console.log(`${(total / 1e6).toFixed(2)} s sampled`);
for (const [key, micros] of top) console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
