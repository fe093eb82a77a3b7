import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's example must run as written (against the built package: `npm run build` first).
describe('README example', () => {
  it('runs and prints what its comments say', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const dir = mkdtempSync(join(tmpdir(), 'qos-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, code.replace("'@scalestack/qos'", JSON.stringify(dist)));
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
      expect(output).toBe('got a slot for shop\n1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
