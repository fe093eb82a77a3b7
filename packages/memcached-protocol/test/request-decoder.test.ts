import { describe, expect, it } from 'vitest';
import { ERRORS, RequestDecoder } from '../src/index.js';
import { decodeRequests, plain } from './helpers.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('RequestDecoder', () => {
  it('decodes every text command', () => {
    const input = b(
      'set k 5 0 3\r\nabc\r\nadd k 0 10 1 noreply\r\nx\r\ncas k 1 2 2 99\r\nhi\r\n' +
        'get a b c\r\ngets a\r\ngat 10 a b\r\ngats -1 z\r\ndelete k\r\ndelete k 0 noreply\r\n' +
        'incr n 5\r\ndecr n 18446744073709551615 noreply\r\ntouch k 30\r\nstats\r\nstats slabs\r\n' +
        'version\r\nverbosity 1 noreply\r\nflush_all\r\nflush_all 10 noreply\r\nquit\r\n',
    );
    const got = decodeRequests(input);
    expect(got.map((r) => r.kind)).toEqual([
      'storage',
      'storage',
      'storage',
      'retrieval',
      'retrieval',
      'retrieval',
      'retrieval',
      'delete',
      'delete',
      'arithmetic',
      'arithmetic',
      'touch',
      'stats',
      'stats',
      'version',
      'verbosity',
      'flush_all',
      'flush_all',
      'quit',
    ]);
    expect(plain(got.slice(0, 3))).toEqual([
      {
        kind: 'storage',
        command: 'set',
        key: 'k',
        flags: 5,
        exptime: 0,
        data: 'abc',
        cas: undefined,
        noreply: false,
      },
      {
        kind: 'storage',
        command: 'add',
        key: 'k',
        flags: 0,
        exptime: 10,
        data: 'x',
        cas: undefined,
        noreply: true,
      },
      {
        kind: 'storage',
        command: 'cas',
        key: 'k',
        flags: 1,
        exptime: 2,
        data: 'hi',
        cas: 99n,
        noreply: false,
      },
    ]);
    expect(got[5]).toMatchObject({ command: 'gat', exptime: 10, keys: ['a', 'b'] });
    expect(got[6]).toMatchObject({ command: 'gats', exptime: -1, keys: ['z'] });
    expect(got[10]).toMatchObject({ command: 'decr', delta: 18446744073709551615n, noreply: true });
    expect(got[17]).toMatchObject({ delay: 10, noreply: true });
    // raw is the request exactly as sent, a slice of the input
    expect(got[0]!.kind === 'storage' && got[0].raw.toString()).toBe('set k 5 0 3\r\nabc\r\n');
  });

  it('decodes meta commands and their flags', () => {
    const got = decodeRequests(
      b('mg foo v k t q\r\nms foo 2 T30 F5 b\r\nhi\r\nmd foo q\r\nma n N0 D5\r\nmn\r\nme foo\r\n'),
    );
    expect(plain(got)).toEqual([
      {
        kind: 'meta',
        command: 'mg',
        key: 'foo',
        base64: false,
        flags: ['v', 'k', 't'],
        quiet: true,
        data: undefined,
      },
      {
        kind: 'meta',
        command: 'ms',
        key: 'foo',
        base64: true,
        flags: ['T30', 'F5'],
        quiet: false,
        data: 'hi',
      },
      { kind: 'meta', command: 'md', key: 'foo', base64: false, flags: [], quiet: true, data: undefined },
      {
        kind: 'meta',
        command: 'ma',
        key: 'n',
        base64: false,
        flags: ['N0', 'D5'],
        quiet: false,
        data: undefined,
      },
      { kind: 'meta', command: 'mn', key: '', base64: false, flags: [], quiet: false, data: undefined },
      { kind: 'meta', command: 'me', key: 'foo', base64: false, flags: [], quiet: false, data: undefined },
    ]);
  });

  it('accepts bare LF line ends and values that contain CRLF', () => {
    const got = decodeRequests(b('set k 0 0 4\n\r\n\r\n\r\nget k\n'));
    expect(plain(got)).toEqual([
      {
        kind: 'storage',
        command: 'set',
        key: 'k',
        flags: 0,
        exptime: 0,
        data: '\r\n\r\n',
        cas: undefined,
        noreply: false,
      },
      { kind: 'retrieval', command: 'get', keys: ['k'], exptime: undefined },
    ]);
  });

  it('refuses bad input with memcached error lines and keeps its place in the stream', () => {
    const long = 'k'.repeat(251);
    const got = decodeRequests(
      b(
        `bogus\r\n\r\nget ${long}\r\nset ${long} 0 0 3\r\nabc\r\nset k x 0 3\r\nincr k -1\r\nset k 0 0 3\r\nabcde\r\n` +
          'set k 0 0 1 extra junk\r\nget\r\nversion\r\n',
      ),
    );
    expect(got.map((r) => (r.kind === 'error' ? r.line : r.kind))).toEqual([
      ERRORS.unknown,
      ERRORS.unknown,
      ERRORS.format,
      ERRORS.format,
      ERRORS.format,
      ERRORS.delta,
      ERRORS.badChunk,
      ERRORS.unknown, // the bad chunk took "abcde"; its trailing CRLF is an empty line
      ERRORS.unknown,
      ERRORS.unknown,
      'version',
    ]);
  });

  it('takes a storage line with one token too many as memcached does: stored, the token ignored unless noreply', () => {
    for (const sizes of [[1], [3], [1000]]) {
      const got = decodeRequests(b('set k 0 0 8 junk\r\ndelete x\r\nversion\r\n'), sizes);
      expect(plain(got)).toEqual([
        {
          kind: 'storage',
          command: 'set',
          key: 'k',
          flags: 0,
          exptime: 0,
          data: 'delete x',
          cas: undefined,
          noreply: false,
        },
        { kind: 'version' },
      ]);
      // More tokens still: an unknown command to memcached, and what follows is read as commands.
      const refused = decodeRequests(b('set k 0 0 8 a b\r\ndelete x\r\nversion\r\n'), sizes);
      expect(refused.map((r) => (r.kind === 'error' ? r.line : r.kind))).toEqual([
        ERRORS.unknown,
        'delete',
        'version',
      ]);
    }
  });

  it('marks the errors of noreply commands, which memcached does not answer', () => {
    const long = 'k'.repeat(251);
    const input =
      'set k 0 0 5 noreply\r\nhello!!' + // a bad chunk takes bytes + 2, as memcached does
      'incr k abc noreply\r\n' +
      `set ${long} 0 0 1 noreply\r\nx\r\n` +
      'set big 0 0 100 noreply\r\n' +
      'v'.repeat(100) +
      '\r\n' +
      `touch ${long} 10 noreply\r\n` +
      'delete k 5 noreply\r\n' +
      'flush_all abc noreply\r\n' +
      'verbosity abc noreply\r\n' +
      'set k 0 0 5\r\nhello!!incr k abc\r\n';
    for (const sizes of [[1], [7], [10_000]]) {
      const got = decodeRequests(b(input), sizes, { maxValueSize: 50 });
      expect(got.map((r) => (r.kind === 'error' ? [r.line, r.noreply === true] : r.kind))).toEqual([
        [ERRORS.badChunk, true],
        [ERRORS.delta, true],
        [ERRORS.format, true],
        [ERRORS.tooLarge, true],
        [ERRORS.format, true],
        [ERRORS.format, true],
        [ERRORS.exptime, true],
        [ERRORS.format, true],
        [ERRORS.badChunk, false],
        [ERRORS.delta, false],
      ]);
    }
  });

  it('refuses an oversized value without buffering it, then carries on', () => {
    const limits = { maxValueSize: 10 };
    const value = 'v'.repeat(1000);
    const got = decodeRequests(b(`set big 0 0 1000\r\n${value}\r\nget x\r\n`), [7], limits);
    expect(got.map((r) => (r.kind === 'error' ? r.line : r.kind))).toEqual([ERRORS.tooLarge, 'retrieval']);
  });

  it('refuses a forged huge length without allocating it', () => {
    const out = decodeRequests(b('set k 0 0 2147483000\r\nabc'), [1]);
    expect(out).toEqual([{ kind: 'error', line: ERRORS.tooLarge, noreply: false }]);
  });

  it('refuses an over-long line, discards it, and resynchronises at the next line', () => {
    const limits = { maxLineLength: 32 };
    const got = decodeRequests(b(`get ${'a '.repeat(100)}\r\nversion\r\n`), [3], limits);
    expect(got.map((r) => (r.kind === 'error' ? r.line : r.kind))).toEqual([ERRORS.lineTooLong, 'version']);
  });

  it('hold() stops after the request being delivered and release() goes on, on any split', () => {
    const stream = Buffer.from('get a\r\nset b 0 0 2\r\nhi\r\nget c\r\nversion\r\n');
    for (let size = 1; size <= stream.length; size++) {
      const seen: string[] = [];
      const decoder: RequestDecoder = new RequestDecoder((r) => {
        seen.push(r.kind === 'retrieval' ? `get ${r.keys[0]}` : r.kind);
        decoder.hold();
      });
      for (let off = 0; off < stream.length; off += size) decoder.push(stream.subarray(off, off + size));
      // Held after the first whatever came after it; each release lets exactly one more out.
      expect(seen, `chunks of ${size}`).toEqual(['get a']);
      for (let n = 2; n <= 4; n++) {
        decoder.release();
        expect(seen, `chunks of ${size}, release ${n - 1}`).toHaveLength(n);
      }
      expect(seen, `chunks of ${size}`).toEqual(['get a', 'storage', 'get c', 'version']);
    }
  });
});
