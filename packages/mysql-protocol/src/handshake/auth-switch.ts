import { ProtocolError } from '../errors.js';
import { AUTH_MORE_DATA_HEADER, AUTH_SWITCH_HEADER } from '../packets/headers.js';
import { PacketReader } from '../wire/reader.js';
import type { PacketWriter } from '../wire/writer.js';

/** AuthSwitchRequest: the server asks the client to authenticate with another plugin. */
export interface AuthSwitchRequest {
  plugin: string;
  /** Plugin data, usually the 20-byte nonce (trailing NUL removed). */
  data: Buffer;
}

export function writeAuthSwitchRequest(w: PacketWriter, req: AuthSwitchRequest): PacketWriter {
  return w.u8(AUTH_SWITCH_HEADER).nulString(req.plugin, 'latin1').bytes(req.data).u8(0);
}

export function decodeAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new PacketReader(payload);
  if (r.u8() !== AUTH_SWITCH_HEADER) throw new ProtocolError('expected an AuthSwitchRequest (0xFE)');
  // Pre-4.1 servers send a bare 0xFE meaning "use the old password scramble": unsupported here.
  if (r.atEnd) return { plugin: 'mysql_old_password', data: Buffer.alloc(0) };
  const plugin = r.nulString('latin1');
  let data = r.restBytes();
  if (data.length > 0 && data[data.length - 1] === 0) data = data.subarray(0, data.length - 1);
  return { plugin, data };
}

/** AuthMoreData (0x01 + plugin-specific bytes). */
export function writeAuthMoreData(w: PacketWriter, data: Uint8Array): PacketWriter {
  return w.u8(AUTH_MORE_DATA_HEADER).bytes(data);
}
