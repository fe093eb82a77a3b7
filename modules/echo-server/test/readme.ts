import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fenced code blocks of this module's README, with their language. */
export function readmeBlocks(): { lang: string; code: string }[] {
  const text = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  return [...text.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The README's `npx scalestack …` command line, as arguments for the CLI binary. */
export function readmeRunCommand(): string[] {
  const line = readmeBlocks()
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.code.split('\n'))
    .find((l) => l.startsWith('npx scalestack run echo-server'));
  if (!line) throw new Error('README.md has no "npx scalestack run echo-server" command');
  return line.split(/\s+/).slice(2);
}
