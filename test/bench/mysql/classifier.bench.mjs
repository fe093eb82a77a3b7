// What the statement classifier costs per statement (no I/O): sysbench's point select, and an
// ORM's texts with quoted names — one with a quoted name before `(`, which the classifier also
// reads as a possible call (`GET_LOCK`(…)), and one without.
//   npm run build && node_modules/.bin/node test/bench/mysql/classifier.bench.mjs
import { classifyStatement } from '../../../modules/database-proxy/dist/session/statement-traits.js';

const statements = [
  'SELECT c FROM sbtest1 WHERE id=42',
  "INSERT INTO `users` (`id`, `name`, `email`) VALUES (1, 'a', 'b@c')",
  'SELECT `u`.`id` FROM `users` AS `u` WHERE `u`.`id` IN (1, 2)',
];
const N = 1_000_000;
for (const sql of statements) {
  for (let i = 0; i < 200_000; i++) classifyStatement(sql);
  const t = performance.now();
  for (let i = 0; i < N; i++) classifyStatement(sql);
  const ns = ((performance.now() - t) * 1e6) / N;
  console.log(`${ns.toFixed(0).padStart(6)} ns  ${sql}`);
}
