import { ProtocolError } from '../errors.js';
import { lenencHeaderSize } from '../resultset/lenenc-scan.js';
import { PacketReader } from '../wire/reader.js';
import { PacketWriter } from '../wire/writer.js';
import { CLIENT_PROTOCOL_41, CLIENT_SESSION_TRACK, CLIENT_TRANSACTIONS } from './capabilities.js';
import { EOF_HEADER, OK_HEADER } from './headers.js';
import { decodeSessionState, type SessionStateChanges, writeSessionState } from './session-state.js';
import { SERVER_SESSION_STATE_CHANGED } from './status.js';

/** An OK packet (also the 0xFE-headed OK that ends a result set under CLIENT_DEPRECATE_EOF). */
export interface OkPacket {
  /** Exact up to 2^53. */
  affectedRows: number;
  /** Exact up to 2^53. */
  lastInsertId: number;
  statusFlags: number;
  warnings: number;
  /** Human-readable info (`Rows matched: 1  Changed: 1  Warnings: 0`), often empty. */
  info: string;
  /** Present when the server reported session state changes. */
  sessionState?: SessionStateChanges;
}

/** True for an OK packet: 0x00, or 0xFE with a payload too short to be a row (DEPRECATE_EOF). */
export function isOkPacket(payload: Buffer): boolean {
  return (
    payload.length >= 7 &&
    (payload[0] === OK_HEADER || (payload[0] === EOF_HEADER && payload.length < 0xffffff))
  );
}

/**
 * Decodes an OK packet from `buffer[start..end)` as sent to a client with `capabilities`.
 * Throws a {@link ProtocolError} when it is not one or is malformed.
 */
export function decodeOk(buffer: Buffer, capabilities: number, start = 0, end = buffer.length): OkPacket {
  const r = new PacketReader(buffer, start, end);
  const header = r.u8();
  if (header !== OK_HEADER && header !== EOF_HEADER) {
    throw new ProtocolError(`expected an OK packet, got header 0x${header.toString(16)}`);
  }
  const affectedRows = r.lenencInt();
  const lastInsertId = r.lenencInt();
  let statusFlags = 0;
  let warnings = 0;
  if (capabilities & CLIENT_PROTOCOL_41) {
    statusFlags = r.u16();
    warnings = r.u16();
  } else if (capabilities & CLIENT_TRANSACTIONS) {
    statusFlags = r.u16();
  }
  let info = '';
  let sessionState: SessionStateChanges | undefined;
  if (!r.atEnd) {
    if (capabilities & CLIENT_SESSION_TRACK) {
      info = r.lenencString();
      if (statusFlags & SERVER_SESSION_STATE_CHANGED && !r.atEnd) {
        const block = r.lenencBytes();
        sessionState = decodeSessionState(block);
      }
    } else {
      info = infoWithoutTracking(r);
    }
  }
  const ok: OkPacket = { affectedRows, lastInsertId, statusFlags, warnings, info };
  if (sessionState) ok.sessionState = sessionState;
  return ok;
}

/**
 * The OK packet `payload` (written to a client with CLIENT_SESSION_TRACK and CLIENT_PROTOCOL_41)
 * as the server writes it to a client without session tracking: SERVER_SESSION_STATE_CHANGED
 * cleared, the changes left out, and the info kept, length-encoded as servers write it, only
 * when it is not empty. A payload that reports no change is returned as it is (the two forms
 * are then the same bytes); otherwise a new Buffer. Throws a {@link ProtocolError} when it is
 * not an OK packet or is cut short.
 */
export function okWithoutSessionState(payload: Buffer): Buffer {
  const r = new PacketReader(payload);
  const header = r.u8();
  if (header !== OK_HEADER && header !== EOF_HEADER) {
    throw new ProtocolError(`expected an OK packet, got header 0x${header.toString(16)}`);
  }
  r.lenencInt();
  r.lenencInt();
  const statusAt = r.pos;
  const status = r.u16();
  r.u16();
  if (!(status & SERVER_SESSION_STATE_CHANGED)) return payload;
  const infoAt = r.pos;
  const info = r.atEnd ? 0 : r.lenencBytes().length;
  const out = Buffer.from(payload.subarray(0, info === 0 ? infoAt : r.pos));
  out.writeUInt16LE(status & ~SERVER_SESSION_STATE_CHANGED, statusAt);
  return out;
}

/** Writes an OK packet's payload (header 0x00, or 0xFE to end a result set under DEPRECATE_EOF). */
export function writeOk(
  w: PacketWriter,
  ok: Partial<OkPacket>,
  capabilities: number,
  header: typeof OK_HEADER | typeof EOF_HEADER = OK_HEADER,
): PacketWriter {
  let status = ok.statusFlags ?? 0;
  const track = (capabilities & CLIENT_SESSION_TRACK) !== 0;
  if (track && ok.sessionState) status |= SERVER_SESSION_STATE_CHANGED;
  else status &= ~SERVER_SESSION_STATE_CHANGED;
  w.u8(header)
    .lenencInt(ok.affectedRows ?? 0)
    .lenencInt(ok.lastInsertId ?? 0);
  if (capabilities & CLIENT_PROTOCOL_41) w.u16(status).u16(ok.warnings ?? 0);
  else if (capabilities & CLIENT_TRANSACTIONS) w.u16(status);
  const info = ok.info ?? '';
  if (track) {
    if (info !== '' || ok.sessionState) w.lenencString(info);
    if (ok.sessionState) {
      const block = new PacketWriter(64);
      writeSessionState(block, ok.sessionState);
      w.lenencBytes(block.payload());
    }
  } else if (info !== '') {
    // Length-encoded without session tracking too: MariaDB and MySQL write it so (the protocol
    // documentation's string<EOF> notwithstanding), and libmariadb — the `mariadb` CLI — reads
    // it so, refusing anything else as a malformed packet (2027).
    w.lenencString(info);
  }
  return w;
}

/**
 * The info of an OK to a client without session tracking: length-encoded as servers write it;
 * the rest of the packet from a writer that leaves the length out (its length byte would not
 * match what follows). Such an info whose first byte happens to equal the count of bytes after
 * it is read as length-encoded, one character short: servers do not write one.
 */
function infoWithoutTracking(r: PacketReader): string {
  const at = r.pos;
  const size = lenencHeaderSize(r.peek());
  if (size !== 0 && r.remaining >= size) {
    const length = r.lenencInt();
    if (r.remaining === length) return r.string(length);
  }
  r.pos = at;
  return r.restString();
}

/** An OK packet's payload as a new Buffer. */
export function encodeOk(
  ok: Partial<OkPacket>,
  capabilities: number,
  header: typeof OK_HEADER | typeof EOF_HEADER = OK_HEADER,
): Buffer {
  return Buffer.from(writeOk(new PacketWriter(32), ok, capabilities, header).payload());
}
