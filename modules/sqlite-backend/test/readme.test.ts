import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Runs against dist/: `npm test` builds first.
it('the README embedding example runs and prints what it says', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding'));
  const code = section.slice(
    section.indexOf('```js') + 5,
    section.indexOf('```', section.indexOf('```js') + 5),
  );
  const file = join(root, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [file], { timeout: 20_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      ),
    );
    expect(stdout).toBe("1 [ { id: 1, name: 'ada', db: 'main' } ]\n");
  } finally {
    rmSync(file, { force: true });
  }
});
