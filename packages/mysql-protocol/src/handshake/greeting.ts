import { randomFillSync } from 'node:crypto';
import { ER_HANDSHAKE_ERROR, ProtocolError } from '../errors.js';
import { CLIENT_MYSQL, CLIENT_PLUGIN_AUTH, CLIENT_SECURE_CONNECTION } from '../packets/capabilities.js';
import { PacketReader } from '../wire/reader.js';
import type { PacketWriter } from '../wire/writer.js';

/** The server's first packet (Protocol::HandshakeV10). */
export interface Greeting {
  protocolVersion: number;
  /** As sent (MariaDB prefixes `5.5.5-`). */
  serverVersion: string;
  connectionId: number;
  /** 20-byte scramble (auth-plugin-data parts 1 and 2, without the trailing NUL). */
  nonce: Buffer;
  capabilities: number;
  /** MariaDB extended capabilities (only when the server clears CLIENT_MYSQL). */
  mariadbCapabilities: number;
  charset: number;
  statusFlags: number;
  authPlugin: string;
}

/**
 * Random bytes drawn for many nonces at once: one call into the system's CSPRNG costs ~5 µs
 * here whatever its size, a sixteenth of a proxy's whole login (test/bench/RESULTS.md). Each
 * byte is handed out once, and a nonce is public (sent in the greeting), so drawing ahead
 * exposes nothing that sending it would not.
 */
const NONCES_PER_DRAW = 128;
const randomPool = Buffer.allocUnsafe(20 * NONCES_PER_DRAW);
let randomTaken = randomPool.length;

/** A 20-byte scramble of printable ASCII (no NUL, which some clients treat as a terminator). */
export function generateNonce(): Buffer {
  if (randomTaken === randomPool.length) {
    randomFillSync(randomPool);
    randomTaken = 0;
  }
  const b = Buffer.allocUnsafe(20);
  for (let i = 0; i < 20; i++) b[i] = 0x21 + (randomPool[randomTaken + i]! % 94);
  randomTaken += 20;
  return b;
}

/** Writes HandshakeV10. */
export function writeGreeting(w: PacketWriter, g: Greeting): PacketWriter {
  if (g.nonce.length !== 20)
    throw new RangeError(`the handshake nonce must be 20 bytes, got ${g.nonce.length}`);
  const caps = g.capabilities >>> 0;
  w.u8(10).nulString(g.serverVersion).u32(g.connectionId);
  w.bytes(g.nonce.subarray(0, 8)).u8(0);
  w.u16(caps & 0xffff)
    .u8(g.charset)
    .u16(g.statusFlags)
    .u16(caps >>> 16);
  w.u8(caps & CLIENT_PLUGIN_AUTH ? 21 : 0);
  w.zeros(6);
  w.u32(caps & CLIENT_MYSQL ? 0 : g.mariadbCapabilities);
  w.bytes(g.nonce.subarray(8)).u8(0);
  if (caps & CLIENT_PLUGIN_AUTH) w.nulString(g.authPlugin);
  return w;
}

/** Parses HandshakeV10; an ERR payload (e.g. "Too many connections") must be checked for first. */
export function decodeGreeting(payload: Buffer): Greeting {
  const r = new PacketReader(payload);
  const protocolVersion = r.u8();
  if (protocolVersion !== 10) {
    throw new ProtocolError(
      `unsupported handshake protocol version ${protocolVersion} (expected 10)`,
      ER_HANDSHAKE_ERROR,
    );
  }
  const serverVersion = r.nulString('latin1');
  const connectionId = r.u32();
  const part1 = r.bytes(8);
  r.skip(1);
  let capabilities = r.u16();
  let charset = 0;
  let statusFlags = 0;
  let authDataLength = 0;
  let mariadbCapabilities = 0;
  let part2: Buffer = Buffer.alloc(0);
  let authPlugin = '';
  if (!r.atEnd) {
    charset = r.u8();
    statusFlags = r.u16();
    capabilities = (capabilities | (r.u16() << 16)) >>> 0;
    authDataLength = r.u8();
    r.skip(6);
    const ext = r.u32();
    if (!(capabilities & CLIENT_MYSQL)) mariadbCapabilities = ext;
    if (capabilities & CLIENT_SECURE_CONNECTION) {
      const n = Math.max(13, authDataLength - 8);
      part2 = r.bytes(Math.min(n, r.remaining));
      // The part is NUL-terminated: keep the 12 scramble bytes.
      if (part2.length > 0 && part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
    }
    if (capabilities & CLIENT_PLUGIN_AUTH && !r.atEnd) {
      // Some servers omit the final NUL.
      const rest = r.restBytes();
      const nul = rest.indexOf(0);
      authPlugin = rest.toString('latin1', 0, nul < 0 ? rest.length : nul);
    }
  }
  return {
    protocolVersion,
    serverVersion,
    connectionId,
    nonce: Buffer.concat([part1, part2]),
    capabilities,
    mariadbCapabilities,
    charset,
    statusFlags,
    authPlugin,
  };
}
