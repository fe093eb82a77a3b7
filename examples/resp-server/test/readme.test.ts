import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../../..');

it('the README embedding example runs (against the built dist)', () => {
  execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-b', 'examples/resp-server'], { cwd: repo });
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
  const out = execFileSync(join(repo, 'node_modules/.bin/node'), ['--input-type=module', '-e', code], {
    cwd: repo,
    encoding: 'utf8',
  });
  expect(out).toBe('42\n');
});
