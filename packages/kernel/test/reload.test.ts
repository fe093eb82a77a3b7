import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineModule, Kernel, KernelConfigError, option } from '@scalestack/kernel';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpModule } from './fixtures/tcp-module.js';
import { silent } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kernel-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reload', () => {
  it('applies a valid configuration through reload(ctx, next), then ctx.options has the new values', async () => {
    const journal: string[] = [];
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'modules:\n  r:\n    greeting: one\n  fixed: {}\n');
    const kernel = new Kernel({
      logger: silent,
      definitions: [tcpModule('r', journal, { reloadable: true }), tcpModule('fixed', journal)],
    });
    await kernel.load({ configFile: file, env: {} });
    await kernel.start();
    writeFileSync(file, 'modules:\n  r:\n    greeting: two\n  fixed:\n    greeting: changed\n');
    const report = await kernel.reload({ configFile: file });
    expect(report).toEqual({ applied: ['r'], restartNeeded: ['fixed'], failed: [] });
    expect(journal).toContain('r:reload:one->two');
    expect(kernel.optionsOf('r')).toMatchObject({ greeting: 'two' });
    expect(kernel.optionsOf('fixed')).toMatchObject({ greeting: 'hello' });
    await kernel.shutdown();
  });

  it('rejects an invalid configuration with every reason and keeps the old one', async () => {
    const journal: string[] = [];
    const kernel = new Kernel({
      logger: silent,
      definitions: [tcpModule('r', journal, { reloadable: true })],
    });
    await kernel.load({
      config: { modules: { r: { greeting: 'kept' } } },
      env: {},
      args: ['--r.listen=127.0.0.1:0'],
    });
    await kernel.start();
    const err = await kernel
      .reload({ modules: { r: { greeting: ['x'], lissen: 'x' }, extra: {} } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelConfigError);
    expect((err as KernelConfigError).errors).toEqual([
      'module "extra" is not loaded; adding a module needs a restart',
      'module "r", option "lissen": unknown option (did you mean "listen"?)',
      'module "r", option "greeting": got ["x"], expected a string',
    ]);
    expect(kernel.optionsOf('r')).toMatchObject({ greeting: 'kept' });
    expect(journal.some((j) => j.includes('reload'))).toBe(false);
    await kernel.shutdown();
  });

  it('passes only the reloadable options on; the others keep their old values and are named again on every reload', async () => {
    const seen: Record<string, unknown>[] = [];
    const warnings: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => warnings.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const partial = defineModule({
      name: 'partial',
      description: 'reloads its greeting, not its port',
      options: {
        port: option.integer(1, 'fixed at start', { min: 1 }),
        greeting: option.string('hello', 'reloadable'),
      },
      reloadable: ['greeting'],
      reload(_ctx, next) {
        seen.push({ ...next });
      },
    });
    const kernel = new Kernel({ logger, definitions: [partial] });
    await kernel.load({ config: { modules: { partial: {} } }, env: {} });
    await kernel.start();

    const both = { modules: { partial: { port: 2, greeting: 'two' } } };
    expect(await kernel.reload(both)).toEqual({
      applied: ['partial'],
      restartNeeded: ['partial'],
      failed: [],
    });
    expect(seen).toEqual([{ port: 1, greeting: 'two' }]);
    expect(kernel.optionsOf('partial')).toEqual({ port: 1, greeting: 'two' });
    const named = () =>
      warnings.filter((w) => w.msg === 'these options changed but take effect only after a restart');
    expect(named().map((w) => w.options)).toEqual([['port']]);

    // The same file again: the greeting is in force, the port still differs and is named again.
    expect(await kernel.reload(both)).toEqual({ applied: [], restartNeeded: ['partial'], failed: [] });
    expect(seen).toHaveLength(1);
    expect(named().map((w) => w.options)).toEqual([['port'], ['port']]);
    await kernel.shutdown();
  });
});

describe('reloads asked for while one runs', () => {
  it('run one after the other, so the last configuration asked for is the one that stays', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const mod = defineModule({
      name: 'slowreload',
      description: 'reloads slowly to level b',
      options: { level: option.string('a', 'a level') },
      async reload(_ctx, next) {
        calls.push(`begin ${next.level}`);
        if (next.level === 'b') await slow;
        calls.push(`end ${next.level}`);
      },
    });
    const kernel = new Kernel({ logger: silent, definitions: [mod] });
    await kernel.load({ config: { modules: { slowreload: { level: 'a' } } }, env: {} });
    await kernel.start();
    const first = kernel.reload({ modules: { slowreload: { level: 'b' } } });
    const second = kernel.reload({ modules: { slowreload: { level: 'c' } } });
    release();
    expect(await first).toEqual({ applied: ['slowreload'], restartNeeded: [], failed: [] });
    expect(await second).toEqual({ applied: ['slowreload'], restartNeeded: [], failed: [] });
    expect(calls).toEqual(['begin b', 'end b', 'begin c', 'end c']);
    expect(kernel.optionsOf('slowreload')).toMatchObject({ level: 'c' });
    await kernel.shutdown();
  });

  it('a refused one does not stop the next', async () => {
    const mod = defineModule({
      name: 'r2',
      description: 'reloads anything',
      options: { level: option.string('a', 'a level') },
      async reload() {},
    });
    const kernel = new Kernel({ logger: silent, definitions: [mod] });
    await kernel.load({ config: { modules: { r2: {} } }, env: {} });
    await kernel.start();
    const bad = kernel.reload({ modules: { r2: { level: ['x'] } } });
    const good = kernel.reload({ modules: { r2: { level: 'z' } } });
    await expect(bad).rejects.toBeInstanceOf(KernelConfigError);
    expect((await good).applied).toEqual(['r2']);
    await kernel.shutdown();
  });
});

describe('reload before start', () => {
  it('replaces the options the modules will start with, without calling their reload', async () => {
    const calls: string[] = [];
    const mod = defineModule({
      name: 'early',
      description: 'records start and reload',
      options: { level: option.string('a', 'a level') },
      start(ctx) {
        calls.push(`start ${ctx.options.level}`);
      },
      reload(_ctx, next) {
        calls.push(`reload ${next.level}`);
      },
    });
    const kernel = new Kernel({ logger: silent, definitions: [mod] });
    await kernel.load({ config: { modules: { early: { level: 'a' } } }, env: {} });
    expect(await kernel.reload({ modules: { early: { level: 'b' } } })).toEqual({
      applied: ['early'],
      restartNeeded: [],
      failed: [],
    });
    await kernel.start();
    expect(calls).toEqual(['start b']);
    await kernel.shutdown();
  });
});
