/**
 * The proxy has no read/write split (PROXY-NOTES 29, read-your-writes): any statement may go to
 * any backend, so a replica listed beside its primary would take writes it refuses and answer
 * reads without the writes just made. What each server's `read_only` is shows in the pool stats
 * as soon as a connection read it, and a set that mixes them is logged as an error at start.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTwoServerProxy, type TwoServerProxy } from './support/two-servers.js';

let both: TwoServerProxy;

beforeAll(async () => {
  both = await startTwoServerProxy(async (m, i) => {
    if (i === 1) await m.query('SET GLOBAL read_only = 1');
  });
});

afterAll(async () => {
  await both?.stop();
});

it("reports each server's read_only in the pool stats", () => {
  expect(both.fx.proxy.stats().pools.map((p) => [p.server, p.readOnly])).toEqual([
    ['db1', false],
    ['db2', true],
  ]);
});
