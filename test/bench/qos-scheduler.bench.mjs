// Scheduler decisions per second (acquire/release cycles) with 2, 100 and 10,000 tenants, plus
// the slot shares measured for weights 3:1 when both tenants saturate with unequal hold times.
// Run: npm run build && node test/bench/qos-scheduler.bench.mjs   (writes results/qos-scheduler.md)
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { QosScheduler, VirtualClock } from '../../packages/qos/dist/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);

function tenantsConfig(count) {
  const tenants = {};
  for (let i = 0; i < count; i++)
    tenants[`t${i}`] = { weight: 1 + (i % 4), queue_timeout: '1h', max_queued: 100 };
  return tenants;
}

function timed(fn) {
  // A short warm-up so the measured loop runs optimized code.
  fn(20_000);
  let cycles = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < SECONDS * 1e9) {
    fn(50_000);
    cycles += 50_000;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return { perSecond: cycles / (elapsed / 1e9), nsPer: elapsed / cycles };
}

/** Free slots, empty queues: every acquire is granted at once, then released. */
function uncontended(tenantCount) {
  const scheduler = new QosScheduler({ slots: 64, tenants: tenantsConfig(tenantCount) });
  const names = Object.keys(tenantsConfig(tenantCount));
  let lease = null;
  const onGrant = (granted) => {
    lease = granted;
  };
  let i = 0;
  const result = timed((n) => {
    for (let k = 0; k < n; k++) {
      scheduler.acquire(names[i], onGrant);
      lease.release();
      i = i + 1 === names.length ? 0 : i + 1;
    }
  });
  scheduler.close();
  return result;
}

/**
 * Saturated: every tenant always has a request queued. Each cycle releases the oldest lease,
 * which grants the fairest waiting tenant's head (a heap decision), and the releasing client asks
 * again (an enqueue).
 */
function contended(tenantCount) {
  const slots = 64;
  const scheduler = new QosScheduler({ slots, tenants: tenantsConfig(tenantCount) });
  const names = Object.keys(tenantsConfig(tenantCount));
  const ring = new Array(slots * 2);
  let head = 0;
  let tail = 0;
  const onGrant = (lease) => {
    if (lease === null) return; // refused by close() at the end
    ring[tail] = lease;
    tail = (tail + 1) % ring.length;
  };
  // Fill the pool, then give every tenant one (or more) queued request.
  for (let i = 0; i < Math.max(slots + tenantCount, 2 * slots); i++)
    scheduler.acquire(names[i % names.length], onGrant);
  const result = timed((n) => {
    for (let k = 0; k < n; k++) {
      const lease = ring[head];
      ring[head] = undefined;
      head = (head + 1) % ring.length;
      const tenant = lease.tenant;
      lease.release();
      scheduler.acquire(tenant, onGrant);
    }
  });
  if (scheduler.inFlight !== slots) throw new Error('pool not saturated');
  const queued = scheduler.queued;
  // Refuses the queued requests and drops the timeout timer, so the process can exit.
  scheduler.close();
  return { ...result, queued };
}

/** Virtual time: 3:1 weights, 8 slots, the heavy tenant's holds ~1-3 ms, the light one's ~10-30 ms. */
function fairness() {
  const clock = new VirtualClock();
  const long = { queue_timeout: '1h', max_queued: 1000 };
  const scheduler = new QosScheduler({
    slots: 8,
    clock,
    tenants: { heavy: { weight: 3, ...long }, light: { weight: 1, ...long } },
  });
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const holds = { heavy: () => 1 + 2 * random(), light: () => 10 + 20 * random() };
  const from = 1_000;
  const to = 301_000;
  const slotTime = { heavy: 0, light: 0 };
  const grants = { heavy: 0, light: 0 };
  const ask = (tenant) =>
    scheduler.acquire(tenant, (lease) => {
      if (lease.grantedAt >= from) grants[tenant]++;
      clock.setTimer(() => {
        const start = Math.max(from, lease.grantedAt);
        const end = Math.min(to, clock.now());
        if (end > start) slotTime[tenant] += end - start;
        lease.release();
        if (clock.now() < to) ask(tenant);
      }, holds[tenant]());
    });
  for (let i = 0; i < 20; i++) {
    ask('heavy');
    ask('light');
  }
  clock.advanceTo(to);
  const total = slotTime.heavy + slotTime.light;
  return { heavy: slotTime.heavy / total, light: slotTime.light / total, grants };
}

const rows = [];
for (const count of [2, 100, 10_000]) {
  const free = uncontended(count);
  const busy = contended(count);
  rows.push({ count, free, busy });
  console.log(
    `${count} tenants: uncontended ${Math.round(free.perSecond).toLocaleString('en')} cycles/s,` +
      ` saturated ${Math.round(busy.perSecond).toLocaleString('en')} decisions/s (${busy.queued} queued)`,
  );
}
const share = fairness();
console.log(
  `3:1 fairness: heavy ${(share.heavy * 100).toFixed(2)}% light ${(share.light * 100).toFixed(2)}% of slot time` +
    ` (target 75/25), grants ${share.grants.heavy}:${share.grants.light}`,
);

const fmt = (n) => Math.round(n).toLocaleString('en');
const lines = [
  '# @scalestack/qos scheduler benchmark',
  '',
  `Recorded ${new Date().toISOString()} on Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}` +
    ` (${cpus().length} cores, shared), ${SECONDS}s per measurement.`,
  'Command: `npm run build && node test/bench/qos-scheduler.bench.mjs`',
  '',
  'A cycle is one acquire plus one release, on the system clock (`performance.now()`), 64 slots.',
  '- *uncontended*: a slot is always free, every acquire takes the fast path (no queue, no Promise).',
  '- *saturated*: every tenant always has a request queued; each release grants the fairest',
  '  waiting tenant (ready-heap decision, timeout-queue removal) and the client queues again.',
  '',
  '| tenants | uncontended cycles/s | ns/cycle | saturated decisions/s | ns/decision | queued |',
  '|--:|--:|--:|--:|--:|--:|',
  ...rows.map(
    (r) =>
      `| ${fmt(r.count)} | ${fmt(r.free.perSecond)} | ${r.free.nsPer.toFixed(0)} | ${fmt(r.busy.perSecond)} | ${r.busy.nsPer.toFixed(0)} | ${fmt(r.busy.queued)} |`,
  ),
  '',
  '## Slot shares, weights 3:1, both saturating (virtual time, 300 s simulated)',
  '',
  '8 slots, 20 closed-loop clients per tenant; `heavy` (weight 3) holds 1-3 ms, `light` (weight 1) 10-30 ms.',
  '',
  '| tenant | weight | target share | measured slot-time share | grants |',
  '|--|--:|--:|--:|--:|',
  `| heavy | 3 | 75.00% | ${(share.heavy * 100).toFixed(3)}% | ${fmt(share.grants.heavy)} |`,
  `| light | 1 | 25.00% | ${(share.light * 100).toFixed(3)}% | ${fmt(share.grants.light)} |`,
  '',
];
writeFileSync(new URL('./results/qos-scheduler.md', import.meta.url), lines.join('\n'));
