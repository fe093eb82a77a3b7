import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const configs = readdirSync(join(root, 'examples/configs')).filter((f) => /\.ya?ml$|\.json$/.test(f));

describe('example configurations', () => {
  it('there are some', () => {
    expect(configs.length).toBeGreaterThan(0);
  });

  it.each(configs)('%s validates with `scalestack check`', async (file) => {
    const { stdout } = await run(
      process.execPath,
      [join(root, 'packages/cli/dist/bin.js'), 'check', '--config', join(root, 'examples/configs', file)],
      { cwd: root },
    );
    expect(stdout).toMatch(/configuration OK/);
  });
});
