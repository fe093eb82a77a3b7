import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel } from '@scalestack/kernel';
import socketModule from '@scalestack/socket/module';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import echoServer from '../src/index.js';
import { readmeBlocks, readmeRunCommand } from './readme.js';

const repo = join(import.meta.dirname, '../../..');
/** Compiled files whose behaviour the tests check (this module's and the embedding example's). */
const sources = [
  'modules/echo-server/src/echo-server.ts',
  'modules/echo-server/src/service.ts',
  'examples/embed-http/src/main.ts',
].map((file) => readFileSync(join(repo, file), 'utf8'));

it('shows only code that is compiled and tested', () => {
  const blocks = readmeBlocks();
  expect(blocks.map((b) => b.lang)).toEqual(['sh', 'yaml', 'ts', 'ts', 'ts', 'ts']);
  for (const block of blocks.filter((b) => b.lang === 'ts')) {
    expect(sources.some((source) => source.includes(block.code))).toBe(true);
  }
  // The whole module is shown, not a cleaned-up copy of it.
  expect(blocks[2]!.code).toBe(sources[0]);
  // The shell commands are the build and the run that cli.test.ts performs.
  expect(blocks[0]!.code).toBe(`npm run build\nnpx scalestack ${readmeRunCommand().join(' ')}\n`);
});

it("the README's config file loads and validates", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'echo-readme-'));
  try {
    const configFile = join(dir, 'echo.yaml');
    writeFileSync(configFile, readmeBlocks().find((b) => b.lang === 'yaml')!.code);
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions: [socketModule, echoServer] });
    await kernel.load({ configFile, env: {} });
    expect(kernel.optionsOf('echo-server')).toEqual({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 7001 },
      max_connections: 0,
      idle_timeout: 5 * 60_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
