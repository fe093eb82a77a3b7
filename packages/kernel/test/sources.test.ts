import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envVarName, Kernel, KernelConfigError, option } from '@scalestack/kernel';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEcho, silent } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kernel-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const schema = {
  a: option.string('default-a', ''),
  b: option.string('default-b', ''),
  c: option.string('default-c', ''),
  max_connections: option.integer(1, ''),
};

describe('option sources', () => {
  it('names environment variables SCALESTACK_<MODULE>_<OPTION>', () => {
    expect(envVarName('echo-server', 'max_connections')).toBe('SCALESTACK_ECHO_SERVER_MAX_CONNECTIONS');
    expect(envVarName('database-proxy', 'poolSize')).toBe('SCALESTACK_DATABASE_PROXY_POOL_SIZE');
  });

  it('layers config file < environment < command line, in both flag forms', async () => {
    const file = join(dir, 'layers.yaml');
    writeFileSync(file, 'modules:\n  echo-server:\n    a: from-file\n    b: from-file\n    c: from-file\n');
    const { values } = await loadEcho(schema, {
      configFile: file,
      env: {
        SCALESTACK_ECHO_SERVER_B: 'from-env',
        SCALESTACK_ECHO_SERVER_C: 'from-env',
        SCALESTACK_ECHO_SERVER_MAX_CONNECTIONS: '7',
      },
      args: ['--echo-server.c=from-cli', '--echo-server.max_connections', '9'],
    });
    expect(values).toEqual({ a: 'from-file', b: 'from-env', c: 'from-cli', max_connections: 9 });
  });

  it('reads JSON config files too, and a module named under modules: is loaded', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ modules: { 'echo-server': { a: 'json' } } }));
    const kernel = new Kernel({
      logger: silent,
      definitions: [{ name: 'echo-server', description: '', options: schema }],
    });
    await kernel.load({ configFile: file, env: {} });
    expect(kernel.modules.map((m) => m.name)).toEqual(['echo-server']);
    expect(kernel.optionsOf('echo-server')).toMatchObject({ a: 'json' });
  });

  it('reports unreadable and malformed config files and bad top-level keys', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'modules: [unclosed\n');
    const missing = join(dir, 'missing.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'module:\n  echo-server: {}\nlog:\n  level: loud\n');
    expect((await loadEcho(schema, { configFile: missing })).errors).toEqual([
      `config file "${missing}": cannot read it (ENOENT)`,
    ]);
    expect((await loadEcho(schema, { configFile: dir })).errors).toEqual([
      `config file "${dir}": is a directory (expected a YAML or JSON file)`,
    ]);
    expect((await loadEcho(schema, { configFile: broken })).errors?.[0]).toMatch(
      new RegExp(`^config file "${broken}": not valid YAML or JSON \\(`),
    );
    // The parser's first line introduces a code frame ("…at line 2, column 1:"), which is not shown.
    expect((await loadEcho(schema, { configFile: broken })).errors?.[0]).toMatch(
      /at line \d+, column \d+\)$/,
    );
    expect((await loadEcho(schema, { configFile: bad })).errors).toEqual([
      `config file "${bad}": unknown key "module" (expected "modules" or "log")`,
      `config file "${bad}": log.level: got "loud", expected one of fatal, error, warn, info, debug, trace, silent`,
    ]);
  });

  it('says what is wrong with a config file that names no module, not only that none was named', async () => {
    const misnamed = join(dir, 'misnamed.yaml');
    writeFileSync(misnamed, 'modulez:\n  echo-server: {}\n');
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- echo-server\n');
    const load = (configFile: string) =>
      new Kernel({ logger: silent }).load({ configFile, env: {} }).then(
        () => undefined,
        (e: KernelConfigError) => e.errors,
      );
    const none = 'no modules to load (name some, or list them under "modules:" in a config file)';
    expect(await load(misnamed)).toEqual([
      `config file "${misnamed}": unknown key "modulez" (expected "modules" or "log")`,
      none,
    ]);
    expect(await load(list)).toEqual([
      `config file "${list}": expected a mapping with "modules" and "log", got a list`,
      none,
    ]);
  });

  it("refuses a variable with a loaded module's prefix that sets none of its options", async () => {
    const { errors } = await loadEcho(schema, {
      env: {
        SCALESTACK_ECHO_SERVER_MAX_CONECTIONS: '7',
        SCALESTACK_ECHO_SERVER_ZZZ: 'x',
        SCALESTACK_OTHER_MODULE_LISTEN: 'not ours',
        SCALESTACK_ECHO_SERVER_A: 'fine',
      },
    });
    expect(errors).toEqual([
      'environment: SCALESTACK_ECHO_SERVER_MAX_CONECTIONS: module "echo-server" has no such option (did you mean SCALESTACK_ECHO_SERVER_MAX_CONNECTIONS?)',
      'environment: SCALESTACK_ECHO_SERVER_ZZZ: module "echo-server" has no such option',
    ]);
  });

  it("leaves alone a variable of a module not loaded whose name begins with a loaded one's", async () => {
    // One environment for several processes: this one runs echo-server, another echo-server-admin.
    const { values, errors } = await loadEcho(schema, {
      env: { SCALESTACK_ECHO_SERVER_ADMIN_LISTEN: '127.0.0.1:9000', SCALESTACK_ECHO_SERVER_A: 'fine' },
    });
    expect(errors).toBeUndefined();
    expect(values).toMatchObject({ a: 'fine' });
  });

  it('takes a flag with no value for true only where a boolean goes', async () => {
    const withFlag = { ...schema, verbose: option.boolean(false, '') };
    expect(
      (await loadEcho(withFlag, { args: ['--echo-server.verbose', '--echo-server.a=x'] })).values,
    ).toMatchObject({ verbose: true, a: 'x' });
    expect(
      (await loadEcho(withFlag, { args: ['--echo-server.a', '--echo-server.max_connections'] })).errors,
    ).toEqual([
      'module "echo-server", option "a": got no value (--echo-server.a alone), expected a string',
      'module "echo-server", option "max_connections": got no value (--echo-server.max_connections alone), expected an integer',
    ]);
  });

  it("reports a module's check() that throws as that module's configuration error", async () => {
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'm',
          description: '',
          check: () => {
            throw new TypeError('cannot read properties of undefined');
          },
        },
      ],
    });
    const err = await kernel.load({ modules: ['m'], env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelConfigError);
    expect((err as KernelConfigError).errors).toEqual([
      'module "m": checking its options failed: cannot read properties of undefined',
    ]);
  });

  it('rejects a command-line argument that is not --<module>.<option>', async () => {
    expect((await loadEcho(schema, { args: ['stray'] })).errors).toEqual([
      'command line: unexpected argument "stray" (expected --<module>.<option>=<value>)',
    ]);
  });

  it('collects errors from every source before anything registers', async () => {
    let registered = false;
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'm',
          description: '',
          options: schema,
          register: () => {
            registered = true;
          },
        },
      ],
    });
    const err = await kernel
      .load({ modules: ['m', 'nope'], env: { SCALESTACK_M_MAX_CONNECTIONS: 'many' }, args: ['--m.d=1'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelConfigError);
    expect((err as KernelConfigError).errors).toHaveLength(3);
    expect((err as KernelConfigError).message).toContain('invalid configuration (3 errors)');
    await expect(kernel.start()).rejects.toThrow(/needs a loaded kernel/);
    expect(registered).toBe(false);
  });
});
