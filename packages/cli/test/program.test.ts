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
    });
  });
});
