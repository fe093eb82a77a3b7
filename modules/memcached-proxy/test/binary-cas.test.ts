/**
 * The binary protocol's CAS on Delete and Increment/Decrement: a stale CAS changes nothing and
 * answers KeyExists, through the proxy as straight from memcached (the text protocol's `delete`
 * and `incr` have no CAS, so the proxy must not fall back to them).
 */
import { connect, type Socket } from 'node:net';
import {
  BinaryDecoder,
  type BinaryPacket,
  encodeBinaryRequest,
  Opcode,
  RESPONSE_MAGIC,
} from '@scalestack/memcached-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.js';

/** One binary request at a time over a socket. */
class BinaryClient {
  private readonly replies: BinaryPacket[] = [];
  private wake: (() => void) | undefined;
  private constructor(private readonly socket: Socket) {
    const decoder = new BinaryDecoder(
      (event) => {
        if (event.kind === 'packet') this.replies.push(event.packet);
        this.wake?.();
      },
      RESPONSE_MAGIC,
      1 << 20,
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  }

  static async open(port: number): Promise<BinaryClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new BinaryClient(socket);
  }

  async call(fields: Parameters<typeof encodeBinaryRequest>[0]): Promise<BinaryPacket> {
    this.socket.write(encodeBinaryRequest(fields));
    while (this.replies.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.replies.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }
}

const setExtras = () => Buffer.alloc(8); // flags 0, exptime 0
/** Increment extras: delta 1, initial 0, exptime 0xffffffff (do not create). */
const incrExtras = () => {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(1n, 0);
  b.writeUInt32BE(0xffffffff, 16);
  return b;
};

/** The steps, on one connection: the statuses they answered and what the key holds after. */
async function casSteps(c: BinaryClient, key: string): Promise<Record<string, number | string>> {
  const first = await c.call({ opcode: Opcode.Set, key, value: '5', extras: setExtras() });
  const second = await c.call({ opcode: Opcode.Set, key, value: '7', extras: setExtras() });
  const staleDelete = await c.call({ opcode: Opcode.Delete, key, cas: first.cas });
  const staleIncr = await c.call({ opcode: Opcode.Increment, key, cas: first.cas, extras: incrExtras() });
  const value = (await c.call({ opcode: Opcode.Get, key })).value.toString();
  const freshIncr = await c.call({ opcode: Opcode.Increment, key, cas: second.cas, extras: incrExtras() });
  const current = await c.call({ opcode: Opcode.Get, key });
  const freshDelete = await c.call({ opcode: Opcode.Delete, key, cas: current.cas });
  const gone = await c.call({ opcode: Opcode.Get, key });
  return {
    staleDelete: staleDelete.status,
    staleIncr: staleIncr.status,
    valueAfterStale: value,
    freshIncr: freshIncr.status,
    valueAfterFresh: current.value.toString(),
    freshDelete: freshDelete.status,
    afterDelete: gone.status,
  };
}

describe('binary CAS on delete and increment', () => {
  let fx: ProxyFixture;
  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 1 });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('a stale CAS answers KeyExists and changes nothing, through the proxy as from memcached', async () => {
    const direct = await BinaryClient.open(fx.servers[0]!.port);
    const proxied = await BinaryClient.open(fx.port);
    try {
      const server = await casSteps(direct, 'cas-direct');
      const proxy = await casSteps(proxied, 'cas-proxy');
      expect(server).toEqual({
        staleDelete: 0x0002,
        staleIncr: 0x0002,
        valueAfterStale: '7',
        freshIncr: 0,
        valueAfterFresh: '8',
        freshDelete: 0,
        afterDelete: 0x0001,
      });
      expect(proxy).toEqual(server);
    } finally {
      direct.close();
      proxied.close();
    }
  });
});
