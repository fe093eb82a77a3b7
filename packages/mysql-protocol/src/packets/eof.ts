import { ProtocolError } from '../errors.js';
import { PacketReader } from '../wire/reader.js';
import { PacketWriter } from '../wire/writer.js';
import { CLIENT_DEPRECATE_EOF, CLIENT_PROTOCOL_41 } from './capabilities.js';
import { EOF_HEADER } from './headers.js';
import { writeOk } from './ok.js';

/** A classic EOF packet (ends column definitions and rows unless CLIENT_DEPRECATE_EOF). */
export interface EofPacket {
  warnings: number;
  statusFlags: number;
}

/** True for a classic EOF packet: 0xFE with a payload shorter than 9 bytes. */
export function isEofPacket(payload: Buffer): boolean {
  return payload.length > 0 && payload.length < 9 && payload[0] === EOF_HEADER;
}

export function decodeEof(buffer: Buffer, capabilities: number, start = 0, end = buffer.length): EofPacket {
  const r = new PacketReader(buffer, start, end);
  const header = r.u8();
  if (header !== EOF_HEADER || end - start >= 9) {
    throw new ProtocolError(
      `expected an EOF packet, got header 0x${header.toString(16)} length ${end - start}`,
    );
  }
  if (!(capabilities & CLIENT_PROTOCOL_41)) return { warnings: 0, statusFlags: 0 };
  const warnings = r.u16();
  const statusFlags = r.u16();
  return { warnings, statusFlags };
}

export function writeEof(w: PacketWriter, eof: Partial<EofPacket>, capabilities: number): PacketWriter {
  w.u8(EOF_HEADER);
  if (capabilities & CLIENT_PROTOCOL_41) w.u16(eof.warnings ?? 0).u16(eof.statusFlags ?? 0);
  return w;
}

export function encodeEof(eof: Partial<EofPacket>, capabilities: number): Buffer {
  return Buffer.from(writeEof(new PacketWriter(8), eof, capabilities).payload());
}

/**
 * The packet that ends a result's rows (and answers COM_SET_OPTION): a classic EOF, or under
 * CLIENT_DEPRECATE_EOF an OK with the EOF header, which is how such a client tells it from a row.
 */
export function writeResultEnd(w: PacketWriter, eof: Partial<EofPacket>, capabilities: number): PacketWriter {
  if (!(capabilities & CLIENT_DEPRECATE_EOF)) return writeEof(w, eof, capabilities);
  return writeOk(
    w,
    { statusFlags: eof.statusFlags ?? 0, warnings: eof.warnings ?? 0 },
    capabilities,
    EOF_HEADER,
  );
}

/** {@link writeResultEnd} into a buffer of its own. */
export function encodeResultEnd(eof: Partial<EofPacket>, capabilities: number): Buffer {
  return Buffer.from(writeResultEnd(new PacketWriter(16), eof, capabilities).payload());
}
