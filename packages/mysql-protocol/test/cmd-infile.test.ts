import { describe, expect, it } from 'vitest';
import {
  decodeLocalInfileRequest,
  encodeLocalInfileData,
  encodeLocalInfileRequest,
  isLocalInfileEnd,
  isLocalInfileRequest,
} from '../src/infile/index.js';

describe('infile: LOCAL INFILE', () => {
  it('round-trips the request', () => {
    const req = encodeLocalInfileRequest('/tmp/data ü.csv');
    expect(req[0]).toBe(0xfb);
    expect(isLocalInfileRequest(req)).toBe(true);
    expect(decodeLocalInfileRequest(req)).toBe('/tmp/data ü.csv');
    expect(() => decodeLocalInfileRequest(Buffer.from([0]))).toThrow(/0xFB/);
  });
  it('frames data in chunks with consecutive sequence ids and an empty terminator', () => {
    const data = Buffer.from('a,b\nc,d\ne,f\n');
    const { packets, nextSequenceId } = encodeLocalInfileData(data, 2, { chunkSize: 5 });
    expect(nextSequenceId).toBe(6);
    const frames: Buffer[] = [];
    let at = 0;
    const seqs: number[] = [];
    while (at < packets.length) {
      const len = packets.readUIntLE(at, 3);
      seqs.push(packets[at + 3]!);
      frames.push(packets.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    expect(seqs).toEqual([2, 3, 4, 5]);
    expect(Buffer.concat(frames).toString()).toBe(data.toString());
    expect(isLocalInfileEnd(frames.at(-1)!)).toBe(true);
    expect(() => encodeLocalInfileData(data, 0, { chunkSize: 0 })).toThrow(/chunkSize/);
  });
});
