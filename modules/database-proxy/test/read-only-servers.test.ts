/**
 * The proxy has no read/write split (PROXY-NOTES 29, read-your-writes): any statement may go to
 * any backend, so a replica listed beside its primary would take writes it refuses and answer
 * reads without the writes just made. What each server's `read_only` is shows in the pool stats
 * as soon as a connection read it, and a set that mixes them is logged as an error at start.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTwoServerProxy, type TwoServerProxy } from './support/two-servers.js';

let both: TwoServerProxy;
const records: { level: number; msg: string; module?: string; readOnly?: string[]; writable?: string[] }[] =
  [];

beforeAll(async () => {
  const logger = pino({ level: 'warn' }, { write: (line: string) => records.push(JSON.parse(line)) });
  both = await startTwoServerProxy(
    async (m, i) => {
      if (i === 1) await m.query('SET GLOBAL read_only = 1');
    },
    { logger },
  );
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

it('logs the mix as an error naming the servers of each kind', () => {
  const mix = records.filter((r) => r.msg.startsWith('backends differ in read_only'));
  expect(mix.map((r) => [r.level, r.module, r.readOnly, r.writable])).toEqual([
    [pino.levels.values.error, 'database-proxy', ['db2'], ['db1']],
  ]);
  expect(mix[0]!.msg).toContain('it has no read/write split');
});
