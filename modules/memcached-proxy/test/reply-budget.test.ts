/**
 * A client that pipelines reads and does not read the replies: pausing it stops new requests,
 * but the up to client_max_pending it already sent come back whatever their size (1024 gets of
 * a 1 MiB value: 1 GiB). What the proxy keeps for one client stays within client_max_reply_bytes;
 * past it a read is answered as memcached answers a get it has no memory for, and nothing else
 * changes.
 */
import { connect } from 'node:net';
import {
  BinaryDecoder,
  type BinaryPacket,
  encodeBinaryRequest,
  Opcode,
  RESPONSE_MAGIC,
} from '@scalestack/memcached-protocol';
import { startRedis, waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, MemcachedProxy, RedisBackend } from '../src/index.js';
import { keysOn, type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

const BUDGET = 4 << 20;
const VALUE = 'v'.repeat(256 * 1024);
const OOM = 'SERVER_ERROR out of memory writing get response\r\n';
/** Binary status Out of memory, as memcached answers it. */
const BINARY_OOM = 0x82;

/** The proxy's own `stats`, as numbers. */
async function proxyStats(observer: TextClient): Promise<Record<string, number>> {
  observer.write('stats\r\n');
  const text = await observer.until('END');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^STAT (\S+) (\S+)\r$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Consumes one of `replies` (or, if something else came, its first line, for the assertion). */
function oneOf(replies: string[]): (text: string) => number {
  return (text) => {
    for (const r of replies) if (text.startsWith(r)) return r.length;
    if (replies.some((r) => text.length < r.length && r.startsWith(text))) return 0;
    const eol = text.indexOf('\r\n');
    return eol === -1 ? 0 : eol + 2;
  };
}

describe('replies held for a client, memcached backend', () => {
  let fx: ProxyFixture;
  let observer: TextClient;
  /** Straight to each memcached, for its get count. */
  let direct: TextClient[];

  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 2, maxReplyBytes: BUDGET });
    observer = await TextClient.connect(fx.port);
    direct = await Promise.all(fx.servers.map((s) => TextClient.connect(s.port)));
  });
  afterAll(async () => {
    observer?.close();
    for (const d of direct ?? []) d.close();
    await fx?.stop();
  });

  async function getsServed(server: number): Promise<number> {
    direct[server]!.write('stats\r\n');
    return Number(/STAT cmd_get (\d+)\r\n/.exec(await direct[server]!.until('END'))![1]);
  }

  /**
   * Returns once `server` has been asked `total` gets and every reply to them has reached the
   * proxy: a get sent behind them, on the proxy's one connection to that server, is answered.
   */
  async function settled(server: number, total: number): Promise<void> {
    await waitFor(async () => (await getsServed(server)) >= total, {
      what: `server ${server} to be asked ${total} gets`,
      timeout: 20_000,
    });
    observer.write(`get ${keysOn(fx, server, 1, 'probe')[0]}\r\n`);
    expect(await observer.until('END')).toBe('END\r\n');
  }

  it('keeps what a client does not read within the budget; the rest is answered out of memory', async () => {
    const key = keysOn(fx, 0, 1, 'window')[0]!;
    const client = await TextClient.connect(fx.port);
    expect(await client.call(`set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`)).toBe('STORED');
    const before = await getsServed(0);
    client.socket.pause();
    // 25 MiB of replies, get and mg alike, well within client_max_pending.
    const n = 100;
    let batch = '';
    for (let i = 0; i < n; i++) batch += i % 2 === 0 ? `get ${key}\r\n` : `mg ${key} v\r\n`;
    client.write(batch);
    await settled(0, before + n);
    // Without the budget: all 25 MiB but what the kernel's socket buffers took.
    expect((await proxyStats(observer)).client_reply_bytes).toBeLessThanOrEqual(BUDGET + n * OOM.length);

    client.socket.resume();
    const hits = [
      `VALUE ${key} 0 ${VALUE.length}\r\n${VALUE}\r\nEND\r\n`,
      `VA ${VALUE.length}\r\n${VALUE}\r\n`,
    ];
    const got: string[] = [];
    for (let i = 0; i < n; i++) {
      const reply = await client.read(oneOf([hits[i % 2]!, OOM]), 20_000);
      got.push(reply === OOM ? 'oom' : reply === hits[i % 2] ? 'hit' : reply);
    }
    expect(got.filter((r) => r !== 'hit' && r !== 'oom')).toEqual([]);
    expect(got[0]).toBe('hit');
    expect(got).toContain('oom');
    // Read now: served in full again, and nothing is left counted against the client.
    client.write(`get ${key}\r\n`);
    expect(await client.read(oneOf([hits[0]!, OOM]))).toBe(hits[0]);
    expect((await proxyStats(observer)).client_reply_bytes).toBe(0);
    client.close();
  });

  it('answers a get whose reply alone is over the budget out of memory, and carries on', async () => {
    const client = await TextClient.connect(fx.port);
    // 20 values of 256 KiB: 5 MiB, on one server (forwarded as sent) and split over both.
    const one = keysOn(fx, 0, 20, 'big');
    const split = [...keysOn(fx, 0, 10, 'half'), ...keysOn(fx, 1, 10, 'half')];
    for (const key of [...one, ...split])
      expect(await client.call(`set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`)).toBe('STORED');
    for (const keys of [one, split]) {
      client.write(`get ${keys.join(' ')}\r\nget ${keys[0]}\r\n`);
      expect(await client.read(oneOf([OOM]), 20_000)).toBe(OOM);
      expect(await client.until('END')).toBe(`VALUE ${keys[0]} 0 ${VALUE.length}\r\n${VALUE}\r\nEND\r\n`);
    }
    // Within the budget: answered in full.
    client.write(`get ${one.slice(0, 8).join(' ')}\r\n`);
    expect((await client.until('END')).length).toBeGreaterThan(8 * VALUE.length);
    client.close();
  });

  it('binary protocol: a get past the budget answers Out of memory', async () => {
    const key = keysOn(fx, 1, 1, 'binwindow')[0]!;
    const setter = await TextClient.connect(fx.port);
    expect(await setter.call(`set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`)).toBe('STORED');
    setter.close();
    const before = await getsServed(1);
    const socket = connect(fx.port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const packets: BinaryPacket[] = [];
    const decoder = new BinaryDecoder(
      (event) => {
        if (event.kind === 'packet') packets.push(event.packet);
      },
      RESPONSE_MAGIC,
      1 << 20,
    );
    socket.pause();
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    const n = 60;
    const get = encodeBinaryRequest({ opcode: Opcode.Get, key: Buffer.from(key) });
    socket.write(Buffer.concat(Array.from({ length: n }, () => get)));
    await settled(1, before + n);
    expect((await proxyStats(observer)).client_reply_bytes).toBeLessThanOrEqual(BUDGET + n * 64);
    socket.resume();
    await waitFor(() => packets.length === n, { what: 'every binary reply', timeout: 20_000 });
    const statuses = packets.map((p) => p.status);
    expect(statuses.filter((s) => s !== 0 && s !== BINARY_OOM)).toEqual([]);
    expect(statuses[0]).toBe(0);
    expect(statuses).toContain(BINARY_OOM);
    expect(packets.find((p) => p.status === BINARY_OOM)!.value.toString()).toBe('Out of memory');
    socket.destroy();
  });

  it('stops decoding a read once the client socket is full, replies answered at once too', async () => {
    const socket = connect(fx.port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.pause();
    // Reads of stats requests, ~64 KiB each asking for megabytes the proxy answers itself: more
    // than the kernel's socket buffers take.
    const n = 50_000;
    socket.write('stats\r\n'.repeat(n));
    await waitFor(async () => (await proxyStats(observer)).clients_paused === 1, {
      what: 'the proxy to stop reading the client',
    });
    // Without the check: a whole read's replies, megabytes, sit in the client's socket.
    expect((await proxyStats(observer)).client_reply_bytes).toBeLessThan(512 * 1024);
    // Then every one of them is answered.
    let ends = 0;
    let tail = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const text = tail + chunk;
      ends += text.split('\r\nEND\r\n').length - 1;
      tail = text.slice(-6);
    });
    socket.resume();
    await waitFor(() => ends === n, { what: `${n} stats replies`, timeout: 30_000 });
    socket.destroy();
  });
});

describe('a reply that takes longer than timeout to arrive', () => {
  it('does not fail the connection it shares with other clients', async () => {
    const fx = await startProxyFixture({ servers: 1, timeout: 300 });
    try {
      const client = await TextClient.connect(fx.port);
      const other = await TextClient.connect(fx.port);
      const value = 'x'.repeat((1 << 20) - 100);
      expect(await client.call(`set k 0 0 ${value.length}\r\n${value}\r\n`)).toBe('STORED');
      expect(await other.call('set small 0 0 2\r\nok\r\n')).toBe('STORED');
      // 200 MB from memcached: seconds of streaming, each value well within timeout. The other
      // client's get waits behind it on the one connection to the server.
      client.write(`get ${'k '.repeat(200)}\r\n`);
      other.write('get small\r\n');
      expect(await other.read(oneOf(['VALUE small 0 2\r\nok\r\nEND\r\n']), 30_000)).toBe(
        'VALUE small 0 2\r\nok\r\nEND\r\n',
      );
      expect(await client.read(oneOf([OOM]), 30_000)).toBe(OOM);
      expect(fx.events).toEqual([]);
      client.close();
      other.close();
    } finally {
      await fx.stop();
    }
  });
});

describe('replies held for a client, Redis backend', () => {
  it('answers a get whose reply alone is over the budget out of memory, and carries on', async () => {
    const redis = await startRedis();
    const backend = RedisBackend.create({
      nodes: [`redis://127.0.0.1:${redis.port}`],
      cluster: false,
      timeout: 5000,
      connectTimeout: 2000,
    });
    const proxy = new MemcachedProxy({ backend, maxReplyBytes: BUDGET });
    try {
      const client = await TextClient.connect(await proxy.listen(0));
      const keys = Array.from({ length: 20 }, (_, i) => `rbig${i}`);
      for (const key of keys)
        expect(await client.call(`set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`)).toBe('STORED');
      client.write(`get ${keys.join(' ')}\r\nget ${keys[0]}\r\n`);
      expect(await client.read(oneOf([OOM]), 20_000)).toBe(OOM);
      expect(await client.until('END')).toBe(`VALUE ${keys[0]} 0 ${VALUE.length}\r\n${VALUE}\r\nEND\r\n`);
      client.close();
    } finally {
      await proxy.close();
      await redis.stop();
    }
  });
});

it('refuses a budget without room for one value', () => {
  expect(() => new MemcachedProxy({ backend: {} as Backend, maxReplyBytes: 1 << 20 })).toThrow(
    /client_max_reply_bytes \(1048576\) must hold one value of max_value_size \(1048576\)/,
  );
});
