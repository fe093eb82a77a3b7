import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.js';

const run = promisify(execFile);

describe('memccapable (libmemcached-tools) against the proxy', () => {
  let fx: ProxyFixture;
  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 2 });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('passes every ASCII test (-a)', async () => {
    const binary = findBinary('memccapable', 'libmemcached-tools');
    const { stdout } = await run(binary, ['-h', '127.0.0.1', '-p', String(fx.port), '-a'], {
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }));
    // Lines look like `ascii set noreply     [pass]`; the last result shares its line with the summary.
    const names = [...stdout.matchAll(/^(ascii [a-z ]+?)\s{2,}/gm)].map((m) => m[1]);
    expect(names).toHaveLength(27); // memccapable 1.1 has 27 ASCII tests; all apply to a proxy
    expect(stdout).not.toContain('[FAIL]');
    expect(stdout).toContain('All tests passed');
  });

  it('passes every binary test (the proxy translates binary to meta/text for its servers)', async () => {
    const binary = findBinary('memccapable', 'libmemcached-tools');
    const { stdout } = await run(binary, ['-h', '127.0.0.1', '-p', String(fx.port), '-b'], {
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }));
    const names = [...stdout.matchAll(/(?:^|\s)(binary [a-z]+)\s{2,}/gm)].map((m) => m[1]);
    expect(names).toHaveLength(27);
    expect(stdout).not.toContain('[FAIL]');
    expect(stdout).toContain('All tests passed');
  });
});
