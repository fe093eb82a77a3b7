import { ER_HANDSHAKE_ERROR, ER_NOT_SUPPORTED_AUTH_MODE, ProtocolError } from '../errors.js';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
} from '../packets/capabilities.js';
import { collationEncoding } from '../types/collations.js';
import { PacketReader } from '../wire/reader.js';
import { PacketWriter } from '../wire/writer.js';

/** Length of an SSLRequest payload (the common prefix of HandshakeResponse41). */
export const SSL_REQUEST_LENGTH = 32;

/** The client's reply to the greeting (Protocol::HandshakeResponse41). */
export interface HandshakeResponse {
  capabilities: number;
  /** MariaDB extended capabilities (sent when the client clears CLIENT_MYSQL). */
  mariadbCapabilities: number;
  maxPacketSize: number;
  charset: number;
  user: string;
  authResponse: Buffer;
  /** Empty when CONNECT_WITH_DB is not set. */
  database: string;
  /** Empty when the client did not name one. */
  authPlugin: string;
  attributes: Record<string, string>;
}

/** Writes the 32-byte prefix shared by SSLRequest and HandshakeResponse41. */
function writePrefix(
  w: PacketWriter,
  r: Pick<HandshakeResponse, 'capabilities' | 'mariadbCapabilities' | 'maxPacketSize' | 'charset'>,
): void {
  w.u32(r.capabilities).u32(r.maxPacketSize).u8(r.charset).zeros(19);
  w.u32(r.capabilities & CLIENT_MYSQL ? 0 : r.mariadbCapabilities);
}

export function writeSslRequest(
  w: PacketWriter,
  r: Pick<HandshakeResponse, 'capabilities' | 'mariadbCapabilities' | 'maxPacketSize' | 'charset'>,
): PacketWriter {
  writePrefix(w, { ...r, capabilities: (r.capabilities | CLIENT_SSL) >>> 0 });
  return w;
}

export function writeHandshakeResponse(w: PacketWriter, r: HandshakeResponse): PacketWriter {
  writePrefix(w, r);
  const names = collationEncoding(r.charset) ?? 'utf8';
  w.nulString(r.user, names);
  if (r.capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) w.lenencBytes(r.authResponse);
  else if (r.capabilities & CLIENT_SECURE_CONNECTION) {
    if (r.authResponse.length > 255)
      throw new RangeError('auth response longer than 255 bytes needs PLUGIN_AUTH_LENENC_CLIENT_DATA');
    w.u8(r.authResponse.length).bytes(r.authResponse);
  } else w.bytes(r.authResponse).u8(0);
  if (r.capabilities & CLIENT_CONNECT_WITH_DB) w.nulString(r.database, names);
  if (r.capabilities & CLIENT_PLUGIN_AUTH) w.nulString(r.authPlugin);
  if (r.capabilities & CLIENT_CONNECT_ATTRS) {
    const attrs = new PacketWriter(128);
    for (const [k, v] of Object.entries(r.attributes)) attrs.lenencString(k).lenencString(v);
    w.lenencBytes(attrs.payload());
  }
  return w;
}

/** True when the payload is an SSLRequest rather than a full HandshakeResponse41. */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === SSL_REQUEST_LENGTH && (payload.readUInt32LE(0) & CLIENT_SSL) !== 0;
}

/**
 * Parses HandshakeResponse41 (also an SSLRequest, whose fields after the prefix are empty).
 * Trailing optional fields that a client left out read as empty.
 */
export function decodeHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new PacketReader(payload);
  if (payload.length < 4)
    throw new ProtocolError('handshake response shorter than 4 bytes', ER_HANDSHAKE_ERROR);
  const capabilities = r.u32();
  if (!(capabilities & CLIENT_PROTOCOL_41)) {
    throw new ProtocolError(
      'Client does not support authentication protocol requested by server; consider upgrading MySQL client',
      ER_NOT_SUPPORTED_AUTH_MODE,
    );
  }
  const maxPacketSize = r.u32();
  const charset = r.u8();
  r.skip(19);
  const ext = r.u32();
  const out: HandshakeResponse = {
    capabilities,
    mariadbCapabilities: capabilities & CLIENT_MYSQL ? 0 : ext,
    maxPacketSize,
    charset,
    user: '',
    authResponse: Buffer.alloc(0),
    database: '',
    authPlugin: '',
    // No prototype: an attribute named like an Object member must not read as set.
    attributes: Object.create(null) as Record<string, string>,
  };
  if (r.atEnd) return out;
  // The user and database names come in the client's character set (MariaDB converts them
  // from it): a latin1 client's 'ü' is one byte, 0xFC.
  const names = collationEncoding(charset) ?? 'utf8';
  out.user = r.nulString(names);
  if (capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) out.authResponse = r.lenencBytes();
  else if (capabilities & CLIENT_SECURE_CONNECTION) out.authResponse = r.bytes(r.u8());
  else out.authResponse = r.nulBytes();
  if (capabilities & CLIENT_CONNECT_WITH_DB && !r.atEnd) out.database = r.nulString(names);
  if (capabilities & CLIENT_PLUGIN_AUTH && !r.atEnd) out.authPlugin = r.nulString('latin1');
  if (capabilities & CLIENT_CONNECT_ATTRS && !r.atEnd) {
    const block = r.lenencBytes();
    const a = new PacketReader(block);
    while (!a.atEnd) {
      const key = a.lenencString();
      out.attributes[key] = a.lenencString();
    }
  }
  return out;
}
