import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrames,
  MAX_FRAME_PAYLOAD,
  type Packet,
  PacketDecoder,
  PacketEncoder,
  type PacketListener,
  PacketScanner,
  ProtocolError,
} from '../src/index.js';

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function decodeAll(chunks: Buffer[], maxPacketSize?: number): Packet[] {
  const d = new PacketDecoder(maxPacketSize === undefined ? {} : { maxPacketSize });
  return chunks.flatMap((c) => d.push(c));
}

interface Seen {
  start: number;
  end: number;
  seq: number;
  first: number;
  length: number;
  prefix: string;
}

/** Records every packet with absolute stream offsets. */
function scanAll(chunks: Buffer[], prefixBytes: number): Seen[] {
  const seen: Seen[] = [];
  let base = 0;
  let current: Seen | undefined;
  const listener: PacketListener = {
    onPacketStart(offset, length, seq, first) {
      current = { start: base + offset, end: -1, seq, first, length, prefix: '' };
      return prefixBytes;
    },
    onPayloadPrefix(b, s, e) {
      current!.prefix = b.toString('hex', s, e);
    },
    onPacketEnd(offset) {
      current!.end = base + offset;
      seen.push(current!);
      return false;
    },
  };
  const scanner = new PacketScanner(listener);
  for (const c of chunks) {
    expect(scanner.scan(c)).toBe(c.length);
    base += c.length;
  }
  return seen;
}

const payloads = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 });

describe('PacketEncoder / PacketDecoder', () => {
  it('splits an exact multiple of 0xFFFFFF with a trailing empty frame and joins it back', () => {
    const payload = Buffer.alloc(MAX_FRAME_PAYLOAD, 0x61);
    payload[MAX_FRAME_PAYLOAD - 1] = 0x62;
    const framed = encodeFrames(payload, 3);
    expect(framed.length).toBe(MAX_FRAME_PAYLOAD + 8);
    expect([...framed.subarray(MAX_FRAME_PAYLOAD + 4)]).toEqual([0, 0, 0, 4]);
    const [p, ...rest] = decodeAll(
      splitAt(framed, [1, 5, 1000, MAX_FRAME_PAYLOAD + 5]),
      2 * MAX_FRAME_PAYLOAD,
    );
    expect(rest).toEqual([]);
    expect(p!.sequenceId).toBe(3);
    expect(p!.lastSequenceId).toBe(4);
    expect(p!.payload.equals(payload)).toBe(true);
  });

  it('splits a payload over 16 MiB into a full frame plus the rest', () => {
    const payload = Buffer.alloc(MAX_FRAME_PAYLOAD + 10, 7);
    const enc = new PacketEncoder();
    const framed = enc.encode(payload);
    expect(enc.sequenceId).toBe(2);
    expect(framed.readUIntLE(0, 3)).toBe(MAX_FRAME_PAYLOAD);
    expect(framed.readUIntLE(MAX_FRAME_PAYLOAD + 4, 3)).toBe(10);
    const [p] = decodeAll([framed], 32 * 1024 * 1024);
    expect(p!.payload.length).toBe(payload.length);
  });

  it('refuses a packet larger than maxPacketSize as soon as its header arrives', () => {
    const d = new PacketDecoder({ maxPacketSize: 100 });
    expect(() => d.push(Buffer.from([101, 0, 0, 0]))).toThrow(
      /packet too large: 101 bytes.*maxPacketSize is 100/,
    );
    expect(() => d.push(Buffer.from([0]))).toThrow(ProtocolError);
    // 16 MiB announced by 4 bytes: refused without buffering.
    expect(() => new PacketDecoder({ maxPacketSize: 1024 }).push(Buffer.from([0xff, 0xff, 0xff, 0]))).toThrow(
      expect.objectContaining({ errno: 1153 }),
    );
  });

  it('refuses a continuation frame not numbered after the frame before it (1156), and stays failed', () => {
    const full = Buffer.alloc(4 + MAX_FRAME_PAYLOAD);
    full.writeUIntLE(MAX_FRAME_PAYLOAD, 0, 3);
    full[3] = 0;
    const d = new PacketDecoder();
    expect(d.push(full)).toEqual([]);
    expect(() => d.push(Buffer.from([1, 0, 0, 7, 0x61]))).toThrow(
      expect.objectContaining({ errno: 1156, message: 'continuation frame numbered 7 after 0' }),
    );
    expect(() => d.push(Buffer.from([1, 0, 0, 0, 0x61]))).toThrow(ProtocolError);
    // Numbered in turn, the same frames make one packet.
    const ok = new PacketDecoder();
    ok.push(full);
    expect(ok.push(Buffer.from([1, 0, 0, 1, 0x61]))).toMatchObject([{ sequenceId: 0, lastSequenceId: 1 }]);
  });

  it('gives back the bytes after the last packet (TLS ClientHello after SSLRequest)', () => {
    const ssl = encodeFrames(Buffer.alloc(32, 1), 1);
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x02, 0x03]);
    for (const cut of [0, 1, 2, 3, 4, 5, hello.length]) {
      const d = new PacketDecoder();
      expect(d.push(Buffer.concat([ssl, hello.subarray(0, cut)]))).toHaveLength(1);
      expect(d.takeBuffered().equals(hello.subarray(0, cut))).toBe(true);
      expect(d.hasPartialPacket).toBe(false);
    }
  });

  it('hands out the packets before a refused header, and refuses with the next push', () => {
    const d = new PacketDecoder({ maxPacketSize: 100 });
    const good = encodeFrames(Buffer.from('ok'), 0);
    expect(
      d.push(Buffer.concat([good, Buffer.from([101, 0, 0, 1, 7])])).map((p) => String(p.payload)),
    ).toEqual(['ok']);
    expect(() => d.push(Buffer.from([0]))).toThrow(/packet too large: 101 bytes/);
  });

  it('gives the ClientHello behind an SSLRequest to TLS even when it reads as a packet over the limit', () => {
    // Content type 0x16 and version 0x03 0x01 read as a length of 66,326 bytes.
    const ssl = encodeFrames(Buffer.alloc(32, 1), 1);
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x02, 0x03]);
    const d = new PacketDecoder({ maxPacketSize: 4096 });
    expect(d.push(Buffer.concat([ssl, hello]))).toHaveLength(1);
    expect(d.takeBuffered().equals(hello)).toBe(true);
    expect(d.hasPartialPacket).toBe(false);
  });

  it('decodes any split (one byte at a time too) to the same packets', () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (ps, cuts, bytewise) => {
        const enc = new PacketEncoder();
        const stream = Buffer.concat(ps.map((p) => enc.encode(p)));
        const chunks = bytewise ? [...stream].map((b) => Buffer.from([b])) : splitAt(stream, cuts);
        const got = decodeAll(chunks);
        expect(got.map((p) => Buffer.from(p.payload).toString('hex'))).toEqual(
          ps.map((p) => Buffer.from(p).toString('hex')),
        );
        expect(got.map((p) => p.sequenceId)).toEqual(ps.map((_, i) => i & 0xff));
      }),
    );
  });
});

describe('PacketScanner', () => {
  it('reports the same boundaries, ids, first bytes and prefixes for any split', () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 20 }), fc.nat({ max: 50 }), (ps, cuts, want) => {
        const enc = new PacketEncoder();
        const stream = Buffer.concat(ps.map((p) => enc.encode(p)));
        const expected: Seen[] = [];
        let at = 0;
        ps.forEach((p, i) => {
          const b = Buffer.from(p);
          expected.push({
            start: at,
            end: at + 4 + b.length,
            seq: i,
            first: b.length ? b[0]! : -1,
            length: b.length,
            prefix: b.length && want ? b.toString('hex', 0, Math.min(want, b.length)) : '',
          });
          at += 4 + b.length;
        });
        expect(scanAll(splitAt(stream, cuts), want)).toEqual(expected);
        expect(
          scanAll(
            [...stream].map((x) => Buffer.from([x])),
            want,
          ),
        ).toEqual(expected);
      }),
    );
  });

  it('treats continuation frames as one packet and stops where the listener asks', () => {
    const big = encodeFrames(Buffer.alloc(MAX_FRAME_PAYLOAD + 3, 0xfe), 1);
    const small = encodeFrames(Buffer.from([0x00, 1, 2]), 3);
    const stream = Buffer.concat([big, small, small]);
    const ends: number[] = [];
    const starts: [number, number, number][] = [];
    const scanner = new PacketScanner({
      onPacketStart: (o, l, s) => {
        starts.push([o, l, s]);
        return 0;
      },
      onPayloadPrefix: () => {},
      onPacketEnd: (o) => {
        ends.push(o);
        return ends.length === 2;
      },
    });
    const stop = scanner.scan(stream);
    expect(stop).toBe(big.length + small.length);
    expect(starts).toEqual([
      [0, MAX_FRAME_PAYLOAD, 1],
      [big.length, 3, 3],
    ]);
    expect(scanner.atPacketBoundary).toBe(true);
    expect(scanner.scan(stream, stop)).toBe(stream.length);
    expect(ends).toEqual([big.length, big.length + small.length, stream.length]);
  });
});
