import { ProtocolError, sqlStateFor } from '../errors.js';
import { PacketReader } from '../wire/reader.js';
import { PacketWriter } from '../wire/writer.js';
import { CLIENT_PROTOCOL_41 } from './capabilities.js';
import { ERR_HEADER } from './headers.js';

/** Error code MariaDB uses for progress reports carried in ERR-headed packets. */
export const PROGRESS_REPORT_CODE = 0xffff;

/** An ERR packet. */
export interface ErrPacket {
  errno: number;
  /** Five characters, e.g. `28000`; empty in the pre-4.1 form. */
  sqlState: string;
  message: string;
}

/** MariaDB's progress report (0xFF 0xFFFF …): not an error, the command is still running. */
export interface ProgressReport {
  stage: number;
  maxStage: number;
  /** Progress of the current stage in thousandths of a percent (0..100000). */
  progress: number;
  info: string;
}

/** True when `buffer[start]` starts a progress report rather than an error. */
export function isProgressReport(buffer: Buffer, start = 0, end = buffer.length): boolean {
  return (
    end - start >= 3 &&
    buffer[start] === ERR_HEADER &&
    buffer.readUInt16LE(start + 1) === PROGRESS_REPORT_CODE
  );
}

/** Decodes an ERR packet (4.1 form with `#` + SQL state, or the old form without). */
export function decodeErr(buffer: Buffer, start = 0, end = buffer.length): ErrPacket {
  const r = new PacketReader(buffer, start, end);
  const header = r.u8();
  if (header !== ERR_HEADER)
    throw new ProtocolError(`expected an ERR packet, got header 0x${header.toString(16)}`);
  const errno = r.u16();
  if (errno === PROGRESS_REPORT_CODE)
    throw new ProtocolError('expected an ERR packet, got a progress report');
  let sqlState = '';
  if (r.peek() === 0x23 /* # */ && r.remaining >= 6) {
    r.skip(1);
    sqlState = r.string(5, 'latin1');
  }
  return { errno, sqlState, message: r.restString() };
}

/** Decodes a MariaDB progress report. */
export function decodeProgressReport(buffer: Buffer, start = 0, end = buffer.length): ProgressReport {
  const r = new PacketReader(buffer, start, end);
  if (r.u8() !== ERR_HEADER || r.u16() !== PROGRESS_REPORT_CODE) {
    throw new ProtocolError('expected a progress report (0xFF 0xFFFF)');
  }
  const stage = r.u8();
  const maxStage = r.u8();
  const progress = r.u24();
  return { stage, maxStage, progress, info: r.atEnd ? '' : r.lenencString() };
}

/**
 * Writes an ERR payload. `sqlState` defaults to the one matching `errno`; the `#state` part is
 * left out for clients without CLIENT_PROTOCOL_41 (pass 0 to use the old form before the handshake).
 */
export function writeErr(
  w: PacketWriter,
  err: { errno: number; message: string; sqlState?: string },
  capabilities = CLIENT_PROTOCOL_41,
  /** The message's encoding: the client's character_set_results, as MariaDB writes it. */
  encoding: BufferEncoding = 'utf8',
): PacketWriter {
  w.u8(ERR_HEADER).u16(err.errno);
  if (capabilities & CLIENT_PROTOCOL_41) {
    const state = err.sqlState ?? sqlStateFor(err.errno);
    if (!/^[0-9A-Z]{5}$/.test(state))
      throw new RangeError(`SQL state must be 5 characters [0-9A-Z], got '${state}'`);
    w.u8(0x23).string(state, 'latin1');
  }
  return w.string(err.message, encoding);
}

/** An ERR packet's payload as a new Buffer. */
export function encodeErr(
  err: { errno: number; message: string; sqlState?: string },
  capabilities = CLIENT_PROTOCOL_41,
  encoding: BufferEncoding = 'utf8',
): Buffer {
  return Buffer.from(writeErr(new PacketWriter(64), err, capabilities, encoding).payload());
}

/** Writes a progress report payload. */
export function writeProgressReport(w: PacketWriter, p: ProgressReport): PacketWriter {
  return w
    .u8(ERR_HEADER)
    .u16(PROGRESS_REPORT_CODE)
    .u8(p.stage)
    .u8(p.maxStage)
    .u24(p.progress)
    .lenencString(p.info);
}
