import { join } from 'node:path';
import { type CliIO, main, splitOptionFlags } from '@scalestack/cli';
import { describe, expect, it } from 'vitest';

const fixtures = join(import.meta.dirname, 'fixtures');

function memoryIO(): CliIO & { output: string; errors: string; exits: number[] } {
  const io = {
    output: '',
    errors: '',
    exits: [] as number[],
    out: (t: string) => {
      io.output += t;
    },
    err: (t: string) => {
      io.errors += t;
    },
    exit: (code: number) => void io.exits.push(code),
    cwd: fixtures,
    env: {},
  };
  return io;
}

describe('the program in-process', () => {
  it('splits module flags from commander arguments, taking a separate value', () => {
    expect(
      splitOptionFlags([
        'run',
        'a',
        '--a.x=1',
        '--a.y',
        '2',
        '--config',
        'f.yaml',
        '--a.flag',
        '--log-level',
        'info',
        '--a.nice',
        '-10',
        '--a.other',
        '-v',
      ]),
    ).toEqual({
      cli: ['run', 'a', '--config', 'f.yaml', '--log-level', 'info', '-v'],
      optionArgs: ['--a.x=1', '--a.y', '2', '--a.flag', '--a.nice', '-10', '--a.other'],
      afterSecret: [],
    });
  });

  it('check validates fixture modules by path and reports OK', async () => {
    const io = memoryIO();
    const outcome = await main(['check', './base.js', '--fixture-base.weight=3'], io);
    expect(outcome.code).toBe(0);
    expect(io.output).toBe('configuration OK (fixture-base)\n');
  });

  it('check reports a bad value with exit code 2', async () => {
    const io = memoryIO();
    const outcome = await main(['check', './base.js', '--fixture-base.weight=heavy'], io);
    expect(outcome.code).toBe(2);
    expect(io.errors).toBe(
      'scalestack: invalid configuration: module "fixture-base", option "weight": got "heavy", expected an integer >= 1\n',
    );
  });

  it('help <module> lists the options of that module, as run <module> --help does', async () => {
    const io = memoryIO();
    expect((await main(['help', './base.js'], io)).code).toBe(0);
    const viaRun = memoryIO();
    await main(['run', './base.js', '--help'], viaRun);
    expect(io.output).toContain('--fixture-base.weight=<integer>');
    expect(io.output).toBe(viaRun.output);
    expect(io.errors).toBe('');
    const help = memoryIO();
    await main(['help', 'check'], help);
    expect(help.output).toMatch(/^Usage: scalestack check/);
  });

  it('refuses module flags on commands that take none', async () => {
    const io = memoryIO();
    expect((await main(['modules', '--a.b=1'], io)).code).toBe(2);
    expect(io.errors).toBe('scalestack: --a.b=…: module options are only accepted by "run" and "check"\n');
  });

  it('never prints a secret given on the command line, whatever its form', async () => {
    // Before, commander saw what is no well-formed module flag and printed it whole
    // ("unknown option '--fixture-base.users[0].password=s3cret-10'", "unknown option '--s3cret-12'").
    const cases: [string[], string][] = [
      [
        ['--fixture-base.users[0].password=s3cret-10'],
        `command line: unexpected argument "--fixture-base.users[0].password=…" (expected --<module>.<option>=<value>; an option's fields and items are set in its whole value, as JSON)`,
      ],
      [
        ['--fixture-base.password', '--s3cret-12'],
        'command line: --fixture-base.password: its value is missing or starts with "--" (the next argument is not shown; give such a value as --fixture-base.password=<value>)',
      ],
      [['--fixture-base.password', '-s3cret-13'], 'module "fixture-base", option "password": unknown option'],
    ];
    for (const [flags, error] of cases) {
      const io = memoryIO();
      expect((await main(['check', './base.js', ...flags], io)).code).toBe(2);
      expect(io.errors).toBe(`scalestack: invalid configuration: ${error}\n`);
    }
    const io = memoryIO();
    expect((await main(['modules', '--a.password=s3cret-14'], io)).code).toBe(2);
    expect(io.errors).toBe(
      'scalestack: --a.password=…: module options are only accepted by "run" and "check"\n',
    );
  });

  it('names no word of an unquoted password with spaces as a missing module', async () => {
    // The shell splits `--fixture-base.password=my s3cret-15 words` into three arguments; the
    // two after the flag reached the kernel as module names, and its "module … was not found"
    // showed them (and the package names made of them).
    for (const command of [['check'], ['run'], ['run', '--help']]) {
      const io = memoryIO();
      const argv = [
        ...command,
        './base.js',
        '--fixture-base.password=my',
        's3cret-15',
        'wordz',
        '--fixture-base.weight=2',
      ];
      expect((await main(argv, io)).code).toBe(2);
      expect(io.errors).toContain('a word after a secret option is no module');
      expect(io.errors).not.toContain('s3cret-15');
      expect(io.errors).not.toContain('wordz');
    }
    // A module named after a secret option's value is still loaded as one (and its option checked).
    const io = memoryIO();
    expect((await main(['check', '--fixture-base.password=x', './base.js'], io)).code).toBe(2);
    expect(io.errors).toBe(
      'scalestack: invalid configuration: module "fixture-base", option "password": unknown option\n',
    );
  });

  it("gives a secret flag's next argument to the kernel unless it is a module flag or the CLI's own", () => {
    expect(
      splitOptionFlags(
        [
          'run',
          '--a.password',
          '-x',
          '--a.token',
          '--config=f.yaml',
          '--a.secret',
          '--a.b=1',
          '--a.c[0]',
          '2',
        ],
        ['--config'],
      ),
    ).toEqual({
      cli: ['run', '--config=f.yaml'],
      optionArgs: ['--a.password', '-x', '--a.token', '--a.secret', '--a.b=1', '--a.c[0]', '2'],
      afterSecret: [],
    });
    expect(
      splitOptionFlags(['run', '--a.password=my', 'own', 'secret', '--a.b=1', 'm', '--a.token', 't', 'x']),
    ).toEqual({
      cli: ['run', 'own', 'secret', 'm', 'x'],
      optionArgs: ['--a.password=my', '--a.b=1', '--a.token', 't'],
      afterSecret: ['own', 'secret', 'x'],
    });
  });
});
