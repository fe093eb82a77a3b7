import { describe, expect, it } from 'vitest';
import { type Response, ResponseDecoder } from '../src/index.js';
import { decodeResponses, plain } from './helpers.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('ResponseDecoder', () => {
  it('decodes replies as memcached sends them', () => {
    const got = decodeResponses(
      b(
        'VALUE a 5 3\r\nabc\r\nVALUE b 0 0 42\r\n\r\nEND\r\nSTORED\r\nNOT_FOUND\r\n18446744073709551615\r\n' +
          'STAT pid 42\r\nSTAT version 1.6.18\r\nEND\r\nVERSION 1.6.18\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\n' +
          'VA 2 f5 t-1\r\nhi\r\nHD\r\nEN\r\nMN\r\nME k exp=-1 la=3\r\n',
      ),
      [1],
    );
    expect(plain(got)).toEqual([
      { kind: 'value', key: 'a', flags: 5, cas: undefined, data: 'abc' },
      { kind: 'value', key: 'b', flags: 0, cas: 42n, data: '' },
      { kind: 'end' },
      { kind: 'status', status: 'STORED' },
      { kind: 'status', status: 'NOT_FOUND' },
      { kind: 'number', value: 18446744073709551615n },
      { kind: 'stat', name: 'pid', value: '42' },
      { kind: 'stat', name: 'version', value: '1.6.18' },
      { kind: 'end' },
      { kind: 'version', version: '1.6.18' },
      { kind: 'error', type: 'ERROR', message: '' },
      { kind: 'error', type: 'CLIENT_ERROR', message: 'bad data chunk' },
      { kind: 'meta', code: 'VA', key: '', flags: ['f5', 't-1'], data: 'hi' },
      { kind: 'meta', code: 'HD', key: '', flags: [], data: undefined },
      { kind: 'meta', code: 'EN', key: '', flags: [], data: undefined },
      { kind: 'meta', code: 'MN', key: '', flags: [], data: undefined },
      { kind: 'meta', code: 'ME', key: 'k', flags: ['exp=-1', 'la=3'], data: undefined },
    ]);
  });

  it('stops with one invalid item on garbage', () => {
    const got = decodeResponses(b('STORED\r\nHELLO THERE\r\nSTORED\r\n'));
    expect(got.map((r) => r.kind)).toEqual(['status', 'invalid']);
  });

  it('refuses a forged value length instead of waiting for (or allocating) it', () => {
    const got = decodeResponses(b('VALUE k 0 99999999999\r\n'), [1]);
    expect(got.map((r) => r.kind)).toEqual(['invalid']);
    const big = decodeResponses(b('VALUE k 0 2000000000\r\nab'), [1], { maxValueSize: 1024 });
    expect(big).toEqual([{ kind: 'invalid', reason: 'value of 2000000000 bytes exceeds the limit of 1024' }]);
  });

  it('a large value fed one byte at a time decodes whole', () => {
    const value = 'x'.repeat(100_000);
    const got = decodeResponses(b(`VALUE k 0 ${value.length}\r\n${value}\r\nEND\r\n`), [1]);
    expect(got.map((r) => r.kind)).toEqual(['value', 'end']);
    expect(got[0]!.kind === 'value' && got[0].data.length).toBe(100_000);
  });

  it('with onOversizedValue skips a value over the limit on any split, and goes on', () => {
    const stream = b(
      'VALUE big 0 10\r\n0123456789\r\nVALUE ok 0 2\r\nhi\r\nEND\r\nVA 10 f1 O17 kbig\r\n0123456789\r\nHD\r\n',
    );
    for (let size = 1; size <= stream.length; size++) {
      const items: Response[] = [];
      const oversized: number[] = [];
      const decoder = new ResponseDecoder(
        (r) => items.push(r),
        { maxValueSize: 5 },
        (n) => oversized.push(n),
      );
      for (let off = 0; off < stream.length; off += size) decoder.push(stream.subarray(off, off + size));
      expect(plain(items), `chunks of ${size}`).toEqual([
        { kind: 'value', key: 'ok', flags: 0, cas: undefined, data: 'hi' },
        { kind: 'end' },
        { kind: 'meta', code: 'EN', key: '', flags: ['O17', 'kbig'], data: undefined },
        { kind: 'meta', code: 'HD', key: '', flags: [], data: undefined },
      ]);
      expect(oversized).toEqual([10, 10]);
    }
  });
});
