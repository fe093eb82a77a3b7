import { isOptionFlag } from '@scalestack/kernel';

const NEGATIVE_NUMBER = /^-\d+(?:\.\d+)?$/;

/**
 * Separates the kernel's `--<module>.<option>[=<value>]` flags (and the value after a flag
 * without `=`) from what commander parses, since commander cannot know every module's options.
 */
export function splitOptionFlags(argv: readonly string[]): { cli: string[]; optionArgs: string[] } {
  const cli: string[] = [];
  const optionArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      cli.push(...argv.slice(i));
      break;
    }
    if (!isOptionFlag(arg)) {
      cli.push(arg);
      continue;
    }
    optionArgs.push(arg);
    const next = argv[i + 1];
    // A negative number is a value (`--event.nice -10`), not a flag.
    if (!arg.includes('=') && next !== undefined && (!next.startsWith('-') || NEGATIVE_NUMBER.test(next))) {
      optionArgs.push(next);
      i++;
    }
  }
  return { cli, optionArgs };
}
