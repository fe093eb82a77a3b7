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
    expect(io.errors).toBe('scalestack: --a.b=1: module options are only accepted by "run" and "check"\n');
  });
});
