import { CLIENT_DEPRECATE_EOF, CLIENT_PROTOCOL_41, CollationId } from '@scalestack/mysql-protocol';
import { describe, expect, it } from 'vitest';
import { encodeProcesslist, infoText, type ProcessRow } from '../src/frontend/processlist.js';
import { frames } from './support/raw-mysql-client.js';

const row = (id: number, info: string | null): ProcessRow => ({
  id,
  user: 'app',
  host: '127.0.0.1:4000',
  db: null,
  command: info === null ? 'Sleep' : 'Query',
  time: 0,
  state: null,
  info,
});

describe('the SHOW PROCESSLIST result set', () => {
  it.each([
    ['EOF packets', CLIENT_PROTOCOL_41],
    ['CLIENT_DEPRECATE_EOF', CLIENT_PROTOCOL_41 | CLIENT_DEPRECATE_EOF],
  ])('numbers every frame in turn, a row of 16 MiB and more too (%s)', (_name, capabilities) => {
    const big = `INSERT INTO t VALUES ('${'x'.repeat(17 * 1024 * 1024)}')`;
    const bytes = encodeProcesslist([row(1, 'SHOW FULL PROCESSLIST'), row(2, big), row(3, null)], {
      full: true,
      progress: true,
      collation: CollationId.UTF8MB4_GENERAL_CI,
      capabilities,
      extendedMetadata: false,
      statusFlags: 2,
      sequenceId: 1,
    });
    const list = frames(bytes);
    // Every byte is in a frame, and the frames are numbered in turn.
    expect(list.reduce((n, f) => n + 4 + f.payload.length, 0)).toBe(bytes.length);
    expect(list.map((f) => f.seq)).toEqual(list.map((_f, i) => (1 + i) & 0xff));
    // Count, 9 columns, [EOF], 3 rows — the big one in two frames (0xFFFFFF and the rest) —, end.
    const eof = capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1;
    expect(list).toHaveLength(1 + 9 + eof + 4 + 1);
    expect(list[1 + 9 + eof + 1]!.payload.length).toBe(0xffffff);
  });

  it('Info without FULL: the first 100 characters, a character being a code point', () => {
    const text = `SELECT '${'🚀'.repeat(120)}'`;
    const payload = Buffer.concat([Buffer.of(3), Buffer.from(text, 'utf8')]);
    expect(infoText(payload, 'utf8', true)).toBe(text);
    // "SELECT '" and 92 rockets: 100 code points (200 UTF-16 units).
    expect(infoText(payload, 'utf8', false)).toBe(`SELECT '${'🚀'.repeat(92)}`);
  });
});
