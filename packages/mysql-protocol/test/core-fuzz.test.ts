import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CACHING_SHA2_PLUGIN,
  ClientHandshake,
  credentialsFor,
  decodeGreeting,
  decodeHandshakeResponse,
  encodeFrames,
  PacketDecoder,
  PacketWriter,
  ProtocolError,
  ServerHandshake,
  writeAuthSwitchRequest,
  writeHandshakeResponse,
} from '../src/index.js';

/** Applies byte mutations and an optional truncation. */
const mutated = (base: Buffer) =>
  fc
    .tuple(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }), fc.option(fc.nat()))
    .map(([muts, cut]) => {
      const b = Buffer.from(base.subarray(0, cut === null ? base.length : cut % (base.length + 1)));
      for (const [at, v] of muts) if (b.length) b[at % b.length] = v;
      return b;
    });

function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
  }
}

const greeting = (() => {
  const hs = new ServerHandshake({ connectionId: 7, lookup: () => undefined, tls: true });
  return hs.start().subarray(4);
})();

const response = Buffer.from(
  writeHandshakeResponse(new PacketWriter(), {
    capabilities: 0x00ffa68d,
    mariadbCapabilities: 0,
    maxPacketSize: 1 << 24,
    charset: 45,
    user: 'alice',
    authResponse: Buffer.alloc(32, 7),
    database: 'shop',
    authPlugin: CACHING_SHA2_PLUGIN,
    attributes: { _client_name: 'x', program: 'y' },
  }).payload(),
);

describe('handshake decoders on mutated input', () => {
  it('greeting: decodes or throws ProtocolError; the client handshake too', () => {
    fc.assert(
      fc.property(mutated(greeting), (b) => {
        onlyProtocolErrors(() => decodeGreeting(b));
        onlyProtocolErrors(() => new ClientHandshake({ user: 'u', password: 'p' }).receive(b, 0));
      }),
      { numRuns: 3000 },
    );
  });

  it('handshake response: decodes or throws ProtocolError; the server answers with ERR, never throws', () => {
    fc.assert(
      fc.property(mutated(response), (b) => {
        onlyProtocolErrors(() => decodeHandshakeResponse(b));
        const hs = new ServerHandshake({ connectionId: 1, lookup: () => credentialsFor('pw'), tls: true });
        hs.start();
        const step = hs.receive(b, 1);
        expect(['send', 'failed', 'upgrade-tls', 'authenticated']).toContain(step.kind);
        if (step.kind === 'authenticated') expect(b.equals(response)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('client handshake: mutated auth packets after the greeting end in ProtocolError or a clean step', () => {
    const authSwitch = Buffer.from(
      writeAuthSwitchRequest(new PacketWriter(), {
        plugin: 'mysql_native_password',
        data: Buffer.alloc(20, 0x41),
      }).payload(),
    );
    const bases = [
      authSwitch,
      Buffer.from([1, 4]),
      Buffer.from([1, 3]),
      Buffer.from('0000000240000000', 'hex'),
    ];
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }).chain((i) => mutated(bases[i]!)),
        (b) => {
          const c = new ClientHandshake({ user: 'u', password: 'p', allowPublicKeyRetrieval: true });
          c.receive(greeting, 0);
          onlyProtocolErrors(() => c.receive(b, 2));
          // A bogus "public key" must not escape as a crypto error either.
          onlyProtocolErrors(() => c.receive(Buffer.concat([Buffer.from([1]), b]), 4));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('PacketDecoder on hostile streams', () => {
  it('never allocates from a forged length: a 16 MiB header with 3 bytes behind it holds 3 bytes', () => {
    const d = new PacketDecoder({ maxPacketSize: 1 << 30 });
    expect(d.push(Buffer.from([0xfe, 0xff, 0xff, 0, 1, 2, 3]))).toEqual([]);
    expect(d.takeBuffered().length).toBe(7);
  });

  it('mutated streams decode or throw ProtocolError', () => {
    const stream = Buffer.concat([
      encodeFrames(Buffer.alloc(100, 1), 0),
      encodeFrames(Buffer.alloc(3000, 2), 1),
    ]);
    fc.assert(
      fc.property(mutated(stream), fc.nat({ max: 64 }), (b, step) => {
        const d = new PacketDecoder({ maxPacketSize: 4096 });
        onlyProtocolErrors(() => {
          for (let i = 0; i < b.length; i += step + 1) d.push(b.subarray(i, i + step + 1));
        });
      }),
      { numRuns: 2000 },
    );
  });
});
