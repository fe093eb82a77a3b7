// One tenant's load for the noisy-neighbour benchmark, in its own process so that one tenant's
// client CPU does not sit in the other's latency. Started by noisy-neighbour.mjs with fork():
//
//   parent → { go: true }            after every load process reported 'ready'
//   child  → { ready: true }         all connections open
//   child  → { result: {...} }       after warmup + duration, then it exits
//
// Each connection runs one statement after another. Statements that end inside the window
// (after the warmup) are counted and timed; none starts after the window. The process exits by itself
// (hard deadline, or the parent going away), whatever happens.

import { performance } from 'node:perf_hooks';
import mysql from 'mysql2';

const opts = JSON.parse(process.argv[2]);
const {
  port,
  user,
  password,
  database,
  connections,
  // 'sleep' (SELECT SLEEP(sleepSeconds)) or 'point' (a primary-key select on t)
  kind,
  sleepSeconds = 0.01,
  rows = 10_000,
  warmupMs,
  durationMs,
  connectConcurrency = 50,
} = opts;

// Connecting 1,000 clients through a busy proxy can take a while; after that the run is bounded.
const HARD_DEADLINE_MS = 120_000 + warmupMs + durationMs;
setTimeout(() => process.exit(3), HARD_DEADLINE_MS).unref();
process.on('disconnect', () => process.exit(4));

function open() {
  return new Promise((resolve, reject) => {
    // A long connect timeout: on a busy shared machine 1,000 handshakes can queue for a while.
    const c = mysql.createConnection({
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      connectTimeout: 60_000,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function openAll() {
  const conns = [];
  for (let i = 0; i < connections; i += connectConcurrency) {
    const batch = Math.min(connectConcurrency, connections - i);
    conns.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  for (const c of conns) c.on('error', () => {});
  return conns;
}

const latencies = [];
const errors = {};
let completed = 0;
let windowStart = 0;
let windowEnd = 0;
let stopAt = 0;

function statement() {
  if (kind === 'sleep') return `SELECT SLEEP(${sleepSeconds})`;
  return `SELECT c FROM t WHERE id = ${1 + Math.floor(Math.random() * rows)}`;
}

/** One connection's loop: callbacks, not a Promise per statement. */
function loop(conn, done) {
  const next = () => {
    const start = performance.now();
    if (start >= stopAt) {
      done();
      return;
    }
    conn.query(statement(), (err) => {
      const end = performance.now();
      if (err) {
        const key = String(err.errno ?? err.code ?? 'unknown');
        errors[key] = (errors[key] ?? 0) + 1;
      } else if (end >= windowStart && end <= windowEnd) {
        // Counted by when it ended: throughput over the window, whatever the queueing before.
        completed++;
        latencies.push(end - start);
      }
      next();
    });
  };
  next();
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

const conns = await openAll();
process.send({ ready: true });
process.once('message', (msg) => {
  if (!msg?.go) return;
  const t0 = performance.now();
  windowStart = t0 + warmupMs;
  windowEnd = windowStart + durationMs;
  stopAt = windowEnd;
  let running = conns.length;
  const finished = () => {
    if (--running > 0) return;
    latencies.sort((a, b) => a - b);
    const seconds = durationMs / 1000;
    const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
    process.send({
      result: {
        user,
        connections,
        kind,
        completed,
        qps: Math.round((completed / seconds) * 10) / 10,
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        p999: round(percentile(latencies, 99.9)),
        max: round(latencies.at(-1) ?? null),
        errors,
      },
    });
    for (const c of conns) c.end();
    // Connections close in the background; leave once the result is out.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  for (const c of conns) loop(c, finished);
});
