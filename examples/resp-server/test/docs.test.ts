import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../../..');
const guidePath = join(repo, 'docs/writing-a-protocol-module.md');

/** A fenced block of the guide and the source it claims to be cut from. */
interface Block {
  source: string;
  /** Line index of the opening fence and of the closing fence. */
  open: number;
  close: number;
  indent: string;
  text: string;
}

const MARKER = /^(\s*)<!-- source: (\S+) -->$/;
const FENCE = /^(\s*)```/;

function blocksOf(lines: string[]): { blocks: Block[]; unsourced: number[] } {
  const blocks: Block[] = [];
  const unsourced: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!);
    if (!fence) continue;
    const indent = fence[1]!;
    let close = i + 1;
    while (close < lines.length && lines[close] !== `${indent}\`\`\``) close++;
    const marker = MARKER.exec(lines[i - 1] ?? '');
    if (!marker) unsourced.push(i + 1);
    else {
      const text = lines
        .slice(i + 1, close)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
        .join('\n');
      blocks.push({ source: marker[2]!, open: i, close, indent, text });
    }
    i = close;
  }
  return { blocks, unsourced };
}

/** The text of `path#region` (lines between `// #region <name>` and `// #endregion`, dedented) or of a whole file. */
function sourceText(source: string): string {
  const [path, region] = source.split('#') as [string, string | undefined];
  const text = readFileSync(join(repo, path), 'utf8');
  if (region === undefined) return text.replace(/\n$/, '');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  if (start === -1) throw new Error(`${path} has no region "${region}"`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (end === -1) throw new Error(`${path}: region "${region}" is not closed`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

describe('docs/writing-a-protocol-module.md', () => {
  // UPDATE_GUIDE=1 rewrites every block from its source instead of comparing.
  if (process.env.UPDATE_GUIDE === '1') {
    const lines = readFileSync(guidePath, 'utf8').split('\n');
    for (const block of blocksOf(lines).blocks.reverse()) {
      const body = sourceText(block.source)
        .split('\n')
        .map((l) => (l === '' ? '' : block.indent + l));
      lines.splice(block.open + 1, block.close - block.open - 1, ...body);
    }
    writeFileSync(guidePath, lines.join('\n'));
  }

  const { blocks, unsourced } = blocksOf(readFileSync(guidePath, 'utf8').split('\n'));

  it('takes every code block from a source file (a <!-- source: path#region --> line above it)', () => {
    expect(unsourced, 'fenced blocks without a source marker, by line').toEqual([]);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
  });

  for (const block of blocks) {
    it(`shows ${block.source} exactly as it is`, () => {
      expect(block.text, 'run UPDATE_GUIDE=1 npx vitest run examples/resp-server/test/docs.test.ts').toBe(
        sourceText(block.source),
      );
    });
  }
});
