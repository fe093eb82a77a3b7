// What the impure-view check costs a pure read while the server has impure views (every view
// counts as one when the proxy's account lacks SHOW VIEW): µs per statement, no I/O.
//   npm run build && node_modules/.bin/node test/bench/mysql/impure-views.bench.mjs
import { ImpureViews } from '../../../modules/database-proxy/dist/session/impure-views.js';

const views = new ImpureViews();
views.load([
  { schema: 'app', name: 'v_orders', definition: '' },
  { schema: 'app', name: 'totals', definition: 'SELECT f(1)' },
  { schema: 'other', name: 'xv', definition: '' },
]);
const statements = [
  'SELECT c FROM sbtest1 WHERE id=5012',
  "SELECT c FROM sbtest1 WHERE k='abc' AND pad LIKE '%x%'",
  'SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 1 AND 100 ORDER BY c',
  "SELECT * FROM v_orders WHERE note = 'it''s'",
];
const N = 200_000;
for (const sql of statements) {
  let named = false;
  for (let i = 0; i < 20_000; i++) named = views.mayReadImpureView(sql, 'app');
  const t = performance.now();
  for (let i = 0; i < N; i++) named = views.mayReadImpureView(sql, 'app');
  const us = ((performance.now() - t) * 1000) / N;
  console.log(`${us.toFixed(3).padStart(7)} µs  names one: ${String(named).padEnd(5)}  ${sql}`);
}
