import { createHash } from 'node:crypto';
import { type RunningServer, startMemcached } from '@scalestack/test-harness';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing, ketamaServerName } from '../src/ketama.js';
import { md5Words } from '../src/md5.js';
import { type Nutcracker, startNutcracker } from './nutcracker.js';
import { TextClient } from './text-client.js';

describe('ketama ring', () => {
  it('names servers as twemproxy does', () => {
    expect(ketamaServerName('10.0.0.1', 11211)).toBe('10.0.0.1');
    expect(ketamaServerName('10.0.0.1', 11212)).toBe('10.0.0.1:11212');
  });

  it('puts 160 points per server on the ring and spreads keys over all servers', () => {
    const ring = new KetamaRing(['a:1', 'b:2', 'c:3']);
    expect(ring.size).toBe(480);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[ring.pick(`key-${i}`)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(500);
  });

  it('returns -1 on an empty ring', () => {
    expect(new KetamaRing([]).pick('k')).toBe(-1);
  });
});

describe('ketama matches twemproxy (nutcracker) key placement', () => {
  const servers: RunningServer[] = [];
  let nutcracker: Nutcracker;

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) servers.push(await startMemcached());
    nutcracker = await startNutcracker(servers);
  });
  afterAll(async () => {
    await nutcracker?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('places 400 keys on the same servers as nutcracker does', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `user:${i}:${(i * 7919) % 1000}`);
    const via = await TextClient.connect(nutcracker.port);
    for (const key of keys) expect(await via.call(`set ${key} 0 0 1\r\nx\r\n`)).toBe('STORED');
    via.close();

    const direct = await Promise.all(servers.map((s) => TextClient.connect(s.port)));
    const landed: number[] = [];
    for (const key of keys) {
      const holders: number[] = [];
      for (let i = 0; i < direct.length; i++) {
        direct[i]!.write(`get ${key}\r\n`);
        if ((await direct[i]!.until('END')).startsWith('VALUE')) holders.push(i);
      }
      expect(holders).toHaveLength(1);
      landed.push(holders[0]!);
    }
    for (const c of direct) c.close();

    const ring = new KetamaRing(servers.map((s) => ketamaServerName('127.0.0.1', s.port)));
    expect(keys.map((k) => ring.pick(k))).toEqual(landed);
    // every server got some keys, so the comparison covered all of them
    expect(new Set(landed).size).toBe(4);
  });
});

describe('md5 (used by the ring)', () => {
  it('matches node:crypto for any input up to 300 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asString) => {
        const buf = Buffer.from(bytes);
        const expected = createHash('md5').update(buf).digest();
        const words = md5Words(asString ? buf.toString('latin1') : buf);
        expect([0, 1, 2, 3].map((i) => words[i])).toEqual(
          [0, 1, 2, 3].map((i) => expected.readUInt32LE(i * 4)),
        );
      }),
      { numRuns: 500 },
    );
  });
});
