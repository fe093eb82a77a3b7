import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, KernelConfigError, type ModuleDefinition } from '@scalestack/kernel';
import { afterAll, describe, expect, it } from 'vitest';
import { silent } from './helpers.js';

const mod = (name: string, requires: string[] = []): ModuleDefinition => ({
  name,
  description: name,
  requires,
});

async function loadErrors(kernel: Kernel, refs: string[]): Promise<readonly string[]> {
  const err = await kernel.load({ modules: refs, env: {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KernelConfigError);
  return (err as KernelConfigError).errors;
}

describe('module graph', () => {
  it('orders modules after what they require, stably', async () => {
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        mod('app', ['db', 'cache']),
        mod('db', ['socket']),
        mod('cache', ['socket']),
        mod('socket'),
        mod('other'),
      ],
    });
    await kernel.load({ modules: ['other', 'app'], env: {} });
    expect(kernel.modules.map((m) => m.name)).toEqual(['other', 'socket', 'db', 'cache', 'app']);
  });

  it('reports a cycle as a path', async () => {
    const kernel = new Kernel({
      logger: silent,
      definitions: [mod('a', ['b']), mod('b', ['c']), mod('c', ['a'])],
    });
    expect(await loadErrors(kernel, ['a'])).toEqual(['module dependency cycle: a -> b -> c -> a']);
  });

  it('reports a missing module and a missing dependency naming who requires it', async () => {
    const kernel = new Kernel({
      logger: silent,
      cwd: tmpdir(),
      definitions: [mod('a', ['ghost', 'phantom'])],
    });
    const errors = await loadErrors(kernel, ['a', 'nowhere']);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(
      /^module "nowhere" was not found \(looked for @scalestack\/nowhere and scalestack-module-nowhere from /,
    );
    expect(errors[1]).toMatch(/^module "ghost", required by "a", was not found \(/);
    expect(errors[2]).toMatch(/^module "phantom", required by "a", was not found \(/);
  });

  it('suggests a close module name', async () => {
    const kernel = new Kernel({ logger: silent, cwd: tmpdir(), definitions: [mod('database-proxy')] });
    const errors = await loadErrors(kernel, ['databse-proxy']);
    expect(errors[0]).toMatch(
      /^module "databse-proxy" was not found \(.*; did you mean "database-proxy"\?\)$/,
    );
  });

  it('reports a missing file path', async () => {
    const kernel = new Kernel({ logger: silent, cwd: tmpdir() });
    expect(await loadErrors(kernel, ['./no-such-module.js'])).toEqual([
      `module "./no-such-module.js": no such file ${join(tmpdir(), 'no-such-module.js')}`,
    ]);
  });
});

describe('module resolution', () => {
  const app = mkdtempSync(join(tmpdir(), 'kernel-resolve-'));
  afterAll(() => rmSync(app, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(join(app, rel, '..'), { recursive: true });
    writeFileSync(join(app, rel), text);
  };
  write('package.json', '{"name":"app","type":"module"}');
  write(
    'node_modules/scalestack-module-plain/package.json',
    '{"name":"scalestack-module-plain","type":"module","exports":"./index.js"}',
  );
  write(
    'node_modules/scalestack-module-plain/index.js',
    "export default { name: 'plain', description: 'a third-party module', requires: ['dual'] };",
  );
  write(
    'node_modules/@scalestack/dual/package.json',
    '{"name":"@scalestack/dual","type":"module","exports":{".":"./lib.js","./module":"./module.js"}}',
  );
  write('node_modules/@scalestack/dual/lib.js', 'export const library = true;');
  write(
    'node_modules/@scalestack/dual/module.js',
    "export const module = { name: 'dual', description: 'library plus module' };",
  );
  write(
    'node_modules/@scalestack/misnamed/package.json',
    '{"name":"@scalestack/misnamed","type":"module","exports":"./index.js"}',
  );
  write('node_modules/@scalestack/misnamed/index.js', "export default { name: 'other', description: '' };");
  write(
    'node_modules/@scalestack/lib-only/package.json',
    '{"name":"@scalestack/lib-only","type":"module","exports":"./index.js"}',
  );
  write('node_modules/@scalestack/lib-only/index.js', 'export const x = 1;');
  write('local.js', "export default { name: 'local', description: 'by path', requires: ['plain'] };");

  it('finds scalestack-module-<name>, @scalestack/<name>/module and paths from the cwd', async () => {
    const kernel = new Kernel({ logger: silent, cwd: app });
    await kernel.load({ modules: ['./local.js'], env: {} });
    expect(kernel.modules.map((m) => [m.name, m.description])).toEqual([
      ['dual', 'library plus module'],
      ['plain', 'a third-party module'],
      ['local', 'by path'],
    ]);
  });

  it('finds a module by absolute path, using a named export "module"', async () => {
    const kernel = new Kernel({ logger: silent });
    await kernel.load({ modules: [join(import.meta.dirname, 'fixtures/path-module.js')], env: {} });
    expect(kernel.modules.map((m) => m.name)).toEqual(['path-module']);
  });

  it('rejects packages that export a differently named module or none', async () => {
    const kernel = new Kernel({ logger: silent, cwd: app });
    const errors = await loadErrors(kernel, ['misnamed', 'lib-only']);
    expect(errors[0]).toBe('module "misnamed": package @scalestack/misnamed exports a module named "other"');
    expect(errors[1]).toBe(
      'module "lib-only": package @scalestack/lib-only exports no module (expected a default export or a named export "module")',
    );
  });

  it("names what is wrong with a JavaScript module's shape instead of loading it", async () => {
    write(
      'shapeless.js',
      "export default { name: 'shapeless', description: '', requires: 'socket', options: { listen: '127.0.0.1:1' }, start: true };",
    );
    write('badly-named.js', "export default { name: 'my module', description: '' };");
    const kernel = new Kernel({ logger: silent, cwd: app });
    expect(await loadErrors(kernel, ['./shapeless.js', './badly-named.js'])).toEqual([
      'module "shapeless": "requires" must be a list of module names, such as ["socket"]',
      'module "shapeless": option "listen" is no option spec (build it with option.string(…), option.address(…), …)',
      'module "shapeless": "start" must be a function',
      'module "my module": its name is no module name (a letter or digit, then letters, digits, "-" or "_")',
    ]);
  });

  it('a module listed under "modules:" by path takes its options from there too, on reload as well', async () => {
    const path = join(import.meta.dirname, 'fixtures/greeting-module.js');
    const kernel = new Kernel({ logger: silent });
    await kernel.load({ config: { modules: { [path]: { greeting: 'hi' } } }, env: {} });
    expect(kernel.optionsOf('greeting-module')).toEqual({ greeting: 'hi' });
    const refused = new Kernel({ logger: silent });
    expect(
      await refused
        .load({ config: { modules: { [path]: { gretting: 'typo' } } }, env: {} })
        .catch((e) => e.errors),
    ).toEqual(['module "greeting-module", option "gretting": unknown option (did you mean "greeting"?)']);
    await kernel.start();
    expect(await kernel.reload({ modules: { [path]: { greeting: 'hello again' } } })).toEqual({
      applied: ['greeting-module'],
      restartNeeded: [],
      failed: [],
    });
    expect(kernel.optionsOf('greeting-module')).toEqual({ greeting: 'hello again' });
    await kernel.shutdown();
  });
});
