import { describe, expect, it } from 'vitest';
import { PacketReader, PacketWriter, ProtocolError } from '../src/index.js';

describe('PacketWriter / PacketReader', () => {
  it('round-trips every wire type', () => {
    const w = new PacketWriter(4);
    w.u8(0xab)
      .u16(0xbeef)
      .u24(0x123456)
      .u32(0xdeadbeef)
      .u64(2n ** 63n + 5n);
    for (const n of [0, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000, 2 ** 40]) w.lenencInt(n);
    w.lenencString('héllo').nulString('nul').string('rest');
    const r = new PacketReader(w.payload());
    expect(r.u8()).toBe(0xab);
    expect(r.u16()).toBe(0xbeef);
    expect(r.u24()).toBe(0x123456);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.u64Big()).toBe(2n ** 63n + 5n);
    for (const n of [0, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000, 2 ** 40])
      expect(r.lenencInt()).toBe(n);
    expect(r.lenencString()).toBe('héllo');
    expect(r.nulString()).toBe('nul');
    expect(r.restString()).toBe('rest');
    expect(r.atEnd).toBe(true);
  });

  it('refuses reads past the end with a ProtocolError', () => {
    const r = new PacketReader(Buffer.from([0x01, 0x02]));
    expect(() => r.u32()).toThrow(ProtocolError);
    expect(r.pos).toBe(0);
    expect(() => new PacketReader(Buffer.from('abc')).nulString()).toThrow(/no NUL/);
  });

  it('checks a forged string length before allocating', () => {
    // lenenc 0xFE + 8 bytes claiming 2^50 bytes follow
    const forged = Buffer.from([0xfe, 0, 0, 0, 0, 0, 0, 4, 0, 0x41]);
    expect(() => new PacketReader(forged).lenencBytes()).toThrow(/truncated packet/);
    expect(() => new PacketReader(Buffer.from([0xff])).lenencInt()).toThrow(/bad length-encoded integer/);
  });

  it('never reads beyond the window end even if the buffer continues', () => {
    const buf = Buffer.from([3, 0x61, 0x62, 0x63, 0x64]);
    expect(() => new PacketReader(buf, 0, 3).lenencString()).toThrow(ProtocolError);
    expect(() => new PacketReader(Buffer.from([0x61, 0x62, 0, 0]), 0, 2).nulString()).toThrow(ProtocolError);
  });

  it('frames small payloads in place with the sequence id', () => {
    const w = new PacketWriter();
    w.string('abc');
    expect([...w.toPacket(7)]).toEqual([3, 0, 0, 7, 0x61, 0x62, 0x63]);
  });
});
