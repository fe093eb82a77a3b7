import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BinaryDecoder,
  type BinaryEvent,
  encodeBinaryRequest,
  encodeBinaryResponse,
  RESPONSE_MAGIC,
} from '../src/index.js';
import { splits } from './arbitraries.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const packet = fc.record({
  opcode: fc.integer({ min: 0, max: 0x1e }),
  status: fc.integer({ min: 0, max: 0xffff }),
  opaque: fc.integer({ min: 0, max: 0xffff_ffff }),
  cas: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
  extras: bytes(20),
  key: bytes(40),
  value: bytes(300),
});

function decode(stream: Buffer, sizes: readonly number[], magic?: number, max?: number): BinaryEvent[] {
  const out: BinaryEvent[] = [];
  const decoder = new BinaryDecoder((e) => out.push(e), magic, max);
  let off = 0;
  let i = 0;
  while (off < stream.length) {
    const n = sizes[i++ % sizes.length]!;
    decoder.push(Buffer.from(stream.subarray(off, off + n)));
    off += n;
  }
  return out;
}

const fields = (e: BinaryEvent) => {
  if (e.kind !== 'packet') return e;
  const p = e.packet;
  return {
    opcode: p.opcode,
    status: p.status,
    opaque: p.opaque,
    cas: p.cas,
    extras: p.extras.toString('hex'),
    key: p.key.toString('hex'),
    value: p.value.toString('hex'),
  };
};

describe('binary protocol codec', () => {
  it('round-trips requests and responses under any split', () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), splits, fc.boolean(), (packets, sizes, response) => {
        const encode = response ? encodeBinaryResponse : encodeBinaryRequest;
        const stream = Buffer.concat(packets.map((p) => encode(p)));
        const got = decode(stream, sizes, response ? RESPONSE_MAGIC : undefined).map(fields);
        expect(got).toEqual(
          packets.map((p) => ({
            ...p,
            extras: p.extras.toString('hex'),
            key: p.key.toString('hex'),
            value: p.value.toString('hex'),
          })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('skips an oversized body without buffering it and decodes the next packet', () => {
    const big = encodeBinaryRequest({ opcode: 1, key: 'k', value: Buffer.alloc(5000) });
    const next = encodeBinaryRequest({ opcode: 0x0a, opaque: 7 });
    const got = decode(Buffer.concat([big, next]), [13], undefined, 1000);
    expect(got.map((e) => e.kind)).toEqual(['too-large', 'packet']);
    expect(got[1]!.kind === 'packet' && got[1].packet.opaque).toBe(7);
  });

  it('stops on a stream that is not binary protocol', () => {
    expect(decode(Buffer.from('get foo\r\n'.repeat(4)), [1])).toEqual([
      { kind: 'invalid', reason: 'bad magic byte 0x67' },
    ]);
  });

  it('never throws on mutated streams and agrees with itself under any split', () => {
    fc.assert(
      fc.property(
        fc.array(packet, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        splits,
        (packets, edits, sizes) => {
          const stream = Buffer.concat(packets.map((p) => encodeBinaryRequest(p)));
          for (const [at, v] of edits) stream[at % stream.length] = v;
          expect(decode(stream, sizes, undefined, 400).map(fields)).toEqual(
            decode(stream, [stream.length], undefined, 400).map(fields),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hold() stops after the packet being delivered and release() goes on, on any split', () => {
    const stream = Buffer.concat(
      ['a', 'bb', 'ccc'].map((key, opaque) => encodeBinaryRequest({ opcode: 0x0c, key, opaque })),
    );
    for (let size = 1; size <= stream.length; size++) {
      const seen: string[] = [];
      const decoder: BinaryDecoder = new BinaryDecoder((e) => {
        if (e.kind === 'packet') seen.push(e.packet.key.toString());
        decoder.hold();
      });
      for (let off = 0; off < stream.length; off += size) decoder.push(stream.subarray(off, off + size));
      expect(seen, `chunks of ${size}`).toEqual(['a']);
      decoder.release();
      expect(seen, `chunks of ${size}`).toEqual(['a', 'bb']);
      decoder.release();
      expect(seen, `chunks of ${size}`).toEqual(['a', 'bb', 'ccc']);
    }
  });
});
