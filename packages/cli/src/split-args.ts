import { isSecretFlag, looksLikeOptionFlag } from '@scalestack/kernel';

const NEGATIVE_NUMBER = /^-\d+(?:\.\d+)?$/;

/**
 * Separates the kernel's `--<module>.<option>[=<value>]` flags (and the value after a flag
 * without `=`) from what commander parses, since commander cannot know every module's options.
 * Whatever looks like a module flag goes to the kernel, well formed or not (`--m.users[0].x=…`):
 * the kernel's errors never show a value, commander's would. After a secret option's flag
 * without `=` (`--m.password`), the next argument goes to the kernel too, even when it starts
 * with `-`, unless it is a module flag or one of commander's own options (`cliOptions`, such as
 * `--config`): the kernel takes it as the value, or refuses it without showing it.
 *
 * `afterSecret` lists the plain words that follow a secret option and its value, up to the next
 * flag: an unquoted value with spaces (`--m.password=my own secret`) reaches the program as
 * several arguments, and the words after the first would otherwise be read — and named in an
 * error — as module names.
 */
export function splitOptionFlags(
  argv: readonly string[],
  cliOptions: readonly string[] = [],
): { cli: string[]; optionArgs: string[]; afterSecret: string[] } {
  const cli: string[] = [];
  const optionArgs: string[] = [];
  const afterSecret: string[] = [];
  let secretBefore = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      cli.push(...argv.slice(i));
      break;
    }
    if (!looksLikeOptionFlag(arg)) {
      cli.push(arg);
      if (secretBefore && !arg.startsWith('-')) afterSecret.push(arg);
      else secretBefore = false;
      continue;
    }
    optionArgs.push(arg);
    secretBefore = isSecretFlag(arg);
    const next = argv[i + 1];
    if (arg.includes('=') || next === undefined || next === '--') continue;
    // A negative number is a value (`--event.nice -10`), not a flag.
    const value =
      !next.startsWith('-') ||
      NEGATIVE_NUMBER.test(next) ||
      (isSecretFlag(arg) && !looksLikeOptionFlag(next) && !cliOptions.includes(next.split('=')[0]!));
    if (value) {
      optionArgs.push(next);
      i++;
    }
  }
  return { cli, optionArgs, afterSecret };
}
