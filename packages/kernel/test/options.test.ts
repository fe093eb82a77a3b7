import { Kernel, KernelConfigError, type ModuleDefinition, option } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { loadEcho, silent } from './helpers.js';

const value = async (spec: Parameters<typeof loadEcho>[0][string], raw: unknown) =>
  (await loadEcho({ x: spec }, { raw: { x: raw } })).values?.x;
const errorOf = async (spec: Parameters<typeof loadEcho>[0][string], raw: unknown) =>
  (await loadEcho({ x: spec }, { raw: { x: raw } })).errors;

describe('option values', () => {
  it('parses every scalar type from config values and from text', async () => {
    expect(await value(option.string('d', ''), 1234)).toBe('1234');
    expect(await value(option.integer(1, ''), '42')).toBe(42);
    expect(await value(option.number(1, ''), '0.25')).toBe(0.25);
    for (const [raw, want] of [
      ['yes', true],
      ['NO', false],
      ['1', true],
      ['0', false],
      ['true', true],
      [false, false],
    ]) {
      expect(await value(option.boolean(false, ''), raw)).toBe(want);
    }
    expect(await value(option.duration('1s', ''), '250ms')).toBe(250);
    expect(await value(option.duration('1s', ''), '5s')).toBe(5000);
    expect(await value(option.duration('1s', ''), '1.5m')).toBe(90_000);
    expect(await value(option.duration('1s', ''), '2h')).toBe(7_200_000);
    expect(await value(option.duration('1s', ''), '40')).toBe(40);
    expect(await value(option.duration('1s', ''), '24d')).toBe(24 * 86_400_000);
    // Not a timer (an age compared with a clock): no cap.
    expect(await value(option.duration('1s', '', { timer: false }), '30d')).toBe(30 * 86_400_000);
    expect(await value(option.size('1B', ''), '64KiB')).toBe(65_536);
    expect(await value(option.size('1B', ''), '1MiB')).toBe(1_048_576);
    expect(await value(option.size('1B', ''), '512B')).toBe(512);
    expect(await value(option.size('1B', ''), '2GB')).toBe(2_000_000_000);
    expect(await value(option.size('1B', ''), 100)).toBe(100);
    expect(await value(option.enum(['a', 'b'], 'a', ''), 'b')).toBe('b');
  });

  it('parses every address form', async () => {
    const spec = option.address('127.0.0.1:1', '');
    expect(await value(spec, 'localhost:3306')).toEqual({ kind: 'tcp', host: 'localhost', port: 3306 });
    expect(await value(spec, '[::1]:3306')).toEqual({ kind: 'tcp', host: '::1', port: 3306 });
    expect(await value(spec, 'unix:/run/x.sock')).toEqual({ kind: 'unix', path: '/run/x.sock' });
    expect(await value(spec, '/abs/path.sock')).toEqual({ kind: 'unix', path: '/abs/path.sock' });
    expect(await value(spec, './rel.sock')).toEqual({ kind: 'unix', path: './rel.sock' });
  });

  it('parses lists from arrays, comma-separated text and JSON text, and objects from JSON text', async () => {
    const list = option.list(option.integer(undefined, ''), [], '');
    expect(await value(list, [1, 2])).toEqual([1, 2]);
    expect(await value(list, '1, 2,3')).toEqual([1, 2, 3]);
    expect(await value(list, '[4,5]')).toEqual([4, 5]);
    expect(await value(list, '')).toEqual([]);
    const obj = option.object(
      { name: option.string(undefined, ''), weight: option.integer(1, '') },
      undefined,
      '',
    );
    expect(await value(obj, '{"name":"t"}')).toEqual({ name: 't', weight: 1 });
  });

  it('applies defaults written as the user would write them, and optional() gives undefined', async () => {
    const { values } = await loadEcho({
      timeout: option.duration('5s', ''),
      buffer: option.size('64KiB', ''),
      listen: option.address('127.0.0.1:7000', ''),
      maybe: option.string(undefined, '').optional(),
    });
    expect(values).toEqual({
      timeout: 5000,
      buffer: 65_536,
      listen: { kind: 'tcp', host: '127.0.0.1', port: 7000 },
      maybe: undefined,
    });
  });
});

describe('option errors have one exact format', () => {
  const cases: [string, Parameters<typeof loadEcho>[0][string], unknown, string][] = [
    ['string', option.string('x', ''), true, 'got true, expected a string'],
    [
      'non-empty string',
      option.string('x', '', { nonEmpty: true }),
      '',
      'got "", expected a non-empty string',
    ],
    ['integer', option.integer(1, ''), '1.5', 'got "1.5", expected an integer'],
    ['integer min', option.integer(8, '', { min: 1 }), 0, 'got 0, expected an integer >= 1'],
    [
      'integer range',
      option.integer(8, '', { min: 1, max: 9 }),
      '10',
      'got "10", expected an integer between 1 and 9',
    ],
    ['number', option.number(1, ''), 'fast', 'got "fast", expected a number'],
    [
      'boolean',
      option.boolean(true, ''),
      'maybe',
      'got "maybe", expected a boolean (true/false, yes/no, on/off or 1/0)',
    ],
    [
      'duration',
      option.duration('1s', ''),
      '5 parsecs',
      'got "5 parsecs", expected a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds)',
    ],
    [
      'duration min',
      option.duration('1s', '', { min: 10 }),
      '5ms',
      'got "5ms", expected a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds), >= 10ms',
    ],
    [
      'duration beyond what a timer can wait',
      option.duration('1s', ''),
      '30d',
      'got "30d", expected a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds), at most 24.8d (2147483647ms, the longest timer Node runs)',
    ],
    [
      'size',
      option.size('1B', ''),
      '12XB',
      'got "12XB", expected a size such as 512B, 64KiB, 1MiB or 2GB (a bare number is bytes)',
    ],
    [
      'size fraction',
      option.size('1B', ''),
      '1.5B',
      'got "1.5B", expected a size such as 512B, 64KiB, 1MiB or 2GB (a bare number is bytes)',
    ],
    [
      'address',
      option.address('a:1', ''),
      'abc',
      'got "abc", expected an address (host:port, [ipv6]:port, or a Unix socket path)',
    ],
    [
      'address port',
      option.address('a:1', ''),
      'h:70000',
      'got "h:70000", expected an address (host:port, [ipv6]:port, or a Unix socket path)',
    ],
    [
      'address v6',
      option.address('a:1', ''),
      '::1:80',
      'got "::1:80", expected an address (host:port, [ipv6]:port, or a Unix socket path)',
    ],
    ['enum', option.enum(['fifo', 'wfq'], 'wfq', ''), 'lifo', 'got "lifo", expected one of "fifo", "wfq"'],
    [
      'list',
      option.list(option.integer(1, ''), [], ''),
      '[1,',
      'got "[1,", expected a list of an integer (comma-separated or a JSON array)',
    ],
    [
      'list min',
      option.list(option.integer(1, ''), undefined, '', { min: 1 }),
      [],
      'got [], expected a list of an integer (comma-separated or a JSON array) with at least 1 item',
    ],
    [
      'object',
      option.object({ a: option.integer(1, '') }, undefined, ''),
      '{nope',
      'got "{nope", expected an object with fields a (JSON text outside a config file)',
    ],
  ];
  for (const [label, spec, raw, message] of cases) {
    it(label, async () => {
      expect(await errorOf(spec, raw)).toEqual([`module "echo-server", option "x": ${message}`]);
    });
  }

  it('names nested paths and reports every bad item', async () => {
    const users = option.list(
      option.object(
        { name: option.string(undefined, ''), max_connections: option.integer(10, '', { min: 1 }) },
        undefined,
        '',
      ),
      [],
      '',
    );
    const { errors } = await loadEcho(
      { users },
      { raw: { users: [{ name: 'a' }, { name: 'b', max_connections: 0 }, { nmae: 'c' }] } },
    );
    expect(errors).toEqual([
      'module "echo-server", option "users[1].max_connections": got 0, expected an integer >= 1',
      'module "echo-server", option "users[2].nmae": unknown field (did you mean "name"?)',
      'module "echo-server", option "users[2].name": got nothing, expected a string',
    ]);
  });

  it('never shows a password or a password hash, alone or inside an object, list or JSON text', async () => {
    const user = option.object(
      {
        name: option.string(undefined, ''),
        password: option.string(undefined, ''),
        native_hash: option.string(undefined, '').optional(),
        max_connections: option.integer(10, '', { min: 1 }),
      },
      undefined,
      'a user',
    );
    const users = option.list(user, [], 'users', { min: 2 });
    const { errors } = await loadEcho(
      { users, backend_password: option.string(undefined, ''), one: user },
      {
        raw: {
          users: [{ name: 'a', password: 's3cret-1', native_hash: '*ABC' }],
          backend_password: ['s3cret-2'],
          one: '{"name": "b", "password": "s3cret-3", "max_connections": 0}',
        },
      },
    );
    expect(errors).toEqual([
      'module "echo-server", option "users": got [{"name":"a","password":"(hidden)","native_hash":"(hidden)"}], expected a list of an object with fields name, password, native_hash, max_connections (JSON text outside a config file) (comma-separated or a JSON array) with at least 2 items',
      'module "echo-server", option "backend_password": got a value not shown (a secret), expected a string',
      'module "echo-server", option "one.max_connections": got 0, expected an integer >= 1',
    ]);
    const { errors: textErrors } = await loadEcho(
      { one: user },
      { raw: { one: '{"name": "b", "password": "s3cret-3", "max_connections": 0, "bogus": 1}' } },
    );
    expect(String(textErrors)).not.toMatch(/s3cret/);
    // JSON text with a typo cannot be told apart: a text that names a secret field is not shown.
    for (const text of [
      '[{"name": "a", "password": "s3cret-4"}',
      '[{"name": "a", "password": "s3cret-4"},]',
      "[{'name': 'a', 'password': 's3cret-4'}]",
    ]) {
      const { errors: typo } = await loadEcho({ users }, { raw: { users: text } });
      expect(typo).toEqual([
        expect.stringMatching(
          /^module "echo-server", option "users": got JSON text not shown \(it does not parse, and names a secret field\), expected /,
        ),
      ]);
    }
  });

  it('never shows a secret given where a list goes: one JSON object, or text naming a secret field', async () => {
    const user = option.object(
      { name: option.string(undefined, ''), password: option.string(undefined, '') },
      undefined,
      'a user',
    );
    const users = option.list(user, [], 'users', { min: 1 });
    // One object where a list goes is a list of that one (before, it was cut at its commas and a
    // piece — `"password":"s3cret-5"}` — was shown as a bad item).
    const one = await loadEcho({ users }, { raw: { users: '{"name":"a","password":"s3cret-5"}' } });
    expect(one.errors).toBeUndefined();
    expect(one.values!.users).toEqual([{ name: 'a', password: 's3cret-5' }]);
    const bad = await loadEcho(
      { users },
      { raw: { users: '{"name":"a","password":"s3cret-6,x","bogus":1}' } },
    );
    expect(bad.errors).toEqual(['module "echo-server", option "users[0].bogus": unknown field']);
    // Text that is no JSON but names a secret field: not shown, whole or in pieces.
    const names = option.list(option.integer(undefined, ''), [], 'ids');
    for (const text of ['password=s3cret-7', 'a,password:s3cret-7', '1,{"password":"s3cret-7"}']) {
      const { errors } = await loadEcho({ names }, { raw: { names: text } });
      expect(errors?.length).toBeGreaterThan(0);
      expect(String(errors)).not.toMatch(/s3cret/);
    }
  });

  it('reports every item that repeats a unique field, naming the first that has it', async () => {
    const servers = option.list(
      option.object({ name: option.string(undefined, '') }, undefined, ''),
      [],
      '',
      {
        unique: 'name',
      },
    );
    const { errors } = await loadEcho(
      { servers },
      { raw: { servers: [{ name: 'a' }, { name: 'b' }, { name: 'a' }, { name: 'b' }, { name: 'A' }] } },
    );
    expect(errors).toEqual([
      'module "echo-server", option "servers[2].name": got "a", expected a name no other item has (item 0 has it too)',
      'module "echo-server", option "servers[3].name": got "b", expected a name no other item has (item 1 has it too)',
    ]);
  });

  it('reports a missing required option', async () => {
    const { errors } = await loadEcho({ backend: option.address(undefined, '') });
    expect(errors).toEqual([
      'module "echo-server", option "backend": got nothing, expected an address (host:port, [ipv6]:port, or a Unix socket path)',
    ]);
  });

  it('reports unknown options from the config file and the command line, with did-you-mean', async () => {
    const { errors } = await loadEcho(
      { listen: option.address('127.0.0.1:0', ''), pool_size: option.integer(1, '') },
      {
        raw: { listen: 'x:1' },
        args: ['--echo-server.pool-size=3', '--echo-server.zzz=1', '--echo.listen=a:1'],
      },
    );
    expect(errors).toEqual([
      'command line: --echo.listen: module "echo" is not loaded',
      'module "echo-server", option "pool-size": unknown option (did you mean "pool_size"?)',
      'module "echo-server", option "zzz": unknown option',
    ]);
  });
});

describe('checks of options taken together', () => {
  /** Loads "pool" (checked against "workers", which loads after it) and returns the errors. */
  async function errorsOf(pool: unknown, workers: unknown): Promise<readonly string[]> {
    const seen: string[][] = [];
    const poolDef: ModuleDefinition = {
      name: 'pool',
      description: 'test',
      requires: [],
      options: { size: option.integer(1, 'connections') },
      check(own, loaded) {
        seen.push([...loaded.keys()]);
        const threads = loaded.get('workers')?.threads;
        return typeof threads === 'number' && (own.size as number) < threads
          ? [`option size is ${own.size as number}, fewer than workers.threads (${threads})`]
          : [];
      },
    };
    const workersDef: ModuleDefinition = {
      name: 'workers',
      description: 'test',
      options: { threads: option.integer(1, 'threads') },
    };
    const kernel = new Kernel({ logger: silent, definitions: [poolDef, workersDef] });
    try {
      await kernel.load({
        modules: ['pool', 'workers'],
        env: {},
        config: { modules: { pool: { size: pool }, workers: { threads: workers } } },
      });
    } catch (err) {
      if (err instanceof KernelConfigError) return [...err.errors, `loaded: ${seen.join(';')}`];
      throw err;
    }
    return [`loaded: ${seen.join(';')}`];
  }

  it("see every module's values, one loaded later included, and report what they find", async () => {
    expect(await errorsOf(1, 2)).toEqual([
      'module "pool": option size is 1, fewer than workers.threads (2)',
      'loaded: pool,workers',
    ]);
    expect(await errorsOf(2, 2)).toEqual(['loaded: pool,workers']);
  });

  it('do not see a module whose own options are wrong (its errors say why)', async () => {
    const errors = await errorsOf(1, 'many');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^module "workers", option "threads": got "many", expected/);
    expect(errors[1]).toBe('loaded: pool');
  });
});
