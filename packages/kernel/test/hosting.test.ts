import {
  createToken,
  defineModule,
  Kernel,
  KernelStartError,
  option,
  type RawConfig,
} from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { tcpModule } from './fixtures/tcp-module.js';
import { silent } from './helpers.js';

/** What {@link hostModule} was given: the plan it hosted from, the configurations it reloaded. */
interface Seen {
  plan?: unknown;
  reloads: (RawConfig | undefined)[];
}

/** A module that hosts the others when `host` is on, recording what it was given. */
function hostModule(journal: string[], seen: Seen) {
  return defineModule({
    name: 'host',
    description: 'hosts the other modules when asked to',
    options: { host: option.boolean(false, 'take over the other modules') },
    hosts(ctx, plan) {
      seen.plan = plan;
      return ctx.options.host;
    },
    register() {
      journal.push('host:register');
    },
    start(ctx) {
      journal.push('host:start');
      ctx.onDrain(() => {
        journal.push('host:drain');
      });
      ctx.onStop(() => {
        journal.push('host:stop');
      });
    },
    async reloadHosted(_ctx, config) {
      seen.reloads.push(config);
      if (config?.modules?.a?.greeting === 'boom') throw new Error('a worker refused it');
    },
  });
}

describe('a module hosting the others', () => {
  it('without hosting every module starts here, as before', async () => {
    const journal: string[] = [];
    const seen: Seen = { reloads: [] };
    const kernel = new Kernel({
      logger: silent,
      definitions: [hostModule(journal, seen), tcpModule('a', journal)],
    });
    await kernel.load({ modules: ['host', 'a'], env: {} });
    await kernel.start();
    expect(journal).toEqual(['host:register', 'a:register', 'host:start', 'a:start']);
    await kernel.shutdown();
  });

  it('with hosting only the host and what it requires register, start, drain and stop here', async () => {
    const journal: string[] = [];
    const seen: Seen = { reloads: [] };
    const dep = tcpModule('dep', journal);
    const host = { ...hostModule(journal, seen), requires: ['dep'] };
    const kernel = new Kernel({
      logger: silent,
      definitions: [host, dep, tcpModule('a', journal), tcpModule('b', journal, { requires: ['a'] })],
    });
    await kernel.load({
      modules: ['host', 'b'],
      config: { modules: { a: { greeting: 'one' } } },
      env: { X: '1' },
      args: ['--host.host=true'],
    });
    const report = await kernel.start();
    expect(report.modules.map((m) => m.name)).toEqual(['dep', 'host']);
    expect(kernel.tryResolve(createToken('test-port:a'))).toBeUndefined();
    expect(seen.plan).toEqual({
      modules: ['host', 'b', 'a'],
      config: { modules: { a: { greeting: 'one' } } },
      env: { X: '1' },
      args: ['--host.host=true'],
      cwd: process.cwd(),
      order: ['dep', 'host', 'a', 'b'],
    });
    await kernel.shutdown();
    expect(journal).toEqual([
      'dep:register',
      'host:register',
      'dep:start',
      'host:start',
      'host:drain',
      'dep:drain',
      'host:stop',
      'dep:stop:closed',
    ]);
  });

  it('reload validates hosted modules here and hands the configuration to the host', async () => {
    const journal: string[] = [];
    const seen: Seen = { reloads: [] };
    const kernel = new Kernel({
      logger: silent,
      definitions: [hostModule(journal, seen), tcpModule('a', journal, { reloadable: true })],
    });
    await kernel.load({ modules: ['host', 'a'], config: { modules: { host: { host: true } } }, env: {} });
    await kernel.start();
    const good = { modules: { host: { host: true }, a: { greeting: 'two' } } };
    expect(await kernel.reload(good)).toEqual({ applied: ['a'], restartNeeded: [], failed: [] });
    expect(seen.reloads).toEqual([good]);
    expect(kernel.optionsOf('a')).toMatchObject({ greeting: 'two' });
    // the hosted module's own reload hook never ran here
    expect(journal.some((j) => j.includes('reload'))).toBe(false);

    await expect(kernel.reload({ modules: { a: { greeting: 7, lissen: 1 } } })).rejects.toThrow(
      /module "a", option "lissen": unknown option/,
    );
    expect(seen.reloads).toHaveLength(1);

    const refused = { modules: { host: { host: true }, a: { greeting: 'boom' } } };
    expect(await kernel.reload(refused)).toEqual({ applied: [], restartNeeded: [], failed: ['a'] });
    expect(kernel.optionsOf('a')).toMatchObject({ greeting: 'two' });
    await kernel.shutdown();
  });

  it('the plan a worker starts from keeps the configuration as applied, the host’s own options included', async () => {
    const journal: string[] = [];
    const seen: Seen = { reloads: [] };
    const guest = defineModule({
      name: 'guest',
      description: 'a hosted module with a reloadable and a restart-only option',
      options: { soft: option.string('s0', 'reloadable'), hard: option.string('h0', 'restart only') },
      reloadable: ['soft'],
      reload() {},
    });
    const kernel = new Kernel({ logger: silent, definitions: [hostModule(journal, seen), guest] });
    await kernel.load({ modules: ['host', 'guest'], config: { modules: { host: { host: true } } }, env: {} });
    await kernel.start();
    const plan = seen.plan as { config: RawConfig };
    // host: false needs a restart (the host has no reload); hard needs one; soft reloads.
    const report = await kernel.reload({
      modules: { host: { host: false }, guest: { soft: 's1', hard: 'h1' } },
    });
    expect(report.applied).toEqual(['guest']);
    expect(plan.config.modules).toEqual({ host: { host: true }, guest: { soft: 's1' } });
    // An empty configuration file (null): every module back to its defaults, the plan too.
    expect(await kernel.reload({ config: null as unknown as RawConfig })).toMatchObject({ failed: [] });
    expect(plan.config.modules).toEqual({ host: { host: true }, guest: {} });
    await kernel.shutdown();
  });

  it('a throwing hosts() fails start with the module named', async () => {
    const bad = defineModule({
      name: 'bad-host',
      description: 'cannot decide',
      hosts() {
        throw new Error('no threads here');
      },
    });
    const kernel = new Kernel({ logger: silent, definitions: [bad] });
    await kernel.load({ modules: ['bad-host'], env: {} });
    const err = await kernel.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelStartError);
    expect((err as Error).message).toBe('module "bad-host" failed to register: no threads here');
  });
});
