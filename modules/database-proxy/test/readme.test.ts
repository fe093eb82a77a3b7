import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const here = join(import.meta.dirname, '..');

it('the README\'s "From code" example runs as written', async () => {
  const readme = readFileSync(join(here, 'README.md'), 'utf8');
  const block = /## From code\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README has a "From code" ts block').toBeDefined();
  // The example has no type annotations, so it runs as a module against the built packages.
  const file = join(here, '.readme-example.mjs');
  writeFileSync(file, block!);
  try {
    const { stdout } = await run(process.execPath, [file], { cwd: here });
    // Its console.log: the real listening address and the default backend's pool.
    expect(stdout).toMatch(/host: '127\.0\.0\.1', port: [1-9]\d*/);
    expect(stdout).toMatch(/server: 'sqlite',\s+size: 8/);
  } finally {
    rmSync(file, { force: true });
  }
});
