import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const node = join(pkg, '../../node_modules/.bin/node');

it('the README library example runs (against the built dist)', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const example = readme.split('## Library use')[1]!.split('```js\n')[1]!.split('```')[0]!;
  const out = execFileSync(node, ['--input-type=module', '-e', example], { cwd: pkg, encoding: 'utf8' });
  expect(out).toMatch(/^\[ 3, 2 \]\np99 delay [\d.]+ ms; utilisation [\d.]+\n$/);
});
