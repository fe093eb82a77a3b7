import { ProtocolError } from '../errors.js';
import {
  COM_STMT_CLOSE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  COM_STMT_RESET,
  COM_STMT_SEND_LONG_DATA,
} from '../packets/commands.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/** COM_STMT_PREPARE with the statement text. */
export function buildPrepare(sql: string): Buffer {
  return new PacketWriter(sql.length + 8).u8(COM_STMT_PREPARE).string(sql).payload();
}

/** COM_STMT_SEND_LONG_DATA: a chunk of parameter `paramId`'s value (no response follows). */
export function buildSendLongData(statementId: number, paramId: number, data: Uint8Array): Buffer {
  return new PacketWriter(data.length + 8)
    .u8(COM_STMT_SEND_LONG_DATA)
    .u32(statementId)
    .u16(paramId)
    .bytes(data)
    .payload();
}

/** COM_STMT_CLOSE (no response follows). */
export function buildStmtClose(statementId: number): Buffer {
  return new PacketWriter(8).u8(COM_STMT_CLOSE).u32(statementId).payload();
}

/** COM_STMT_RESET (answered by OK or ERR). */
export function buildStmtReset(statementId: number): Buffer {
  return new PacketWriter(8).u8(COM_STMT_RESET).u32(statementId).payload();
}

/** COM_STMT_FETCH: `rows` more rows from the statement's open cursor. */
export function buildStmtFetch(statementId: number, rows: number): Buffer {
  return new PacketWriter(12).u8(COM_STMT_FETCH).u32(statementId).u32(rows).payload();
}

/** The long-data chunk of a COM_STMT_SEND_LONG_DATA payload (`data` is a view). */
export function decodeSendLongData(payload: Buffer): { statementId: number; paramId: number; data: Buffer } {
  const r = new PacketReader(payload);
  if (r.u8() !== COM_STMT_SEND_LONG_DATA) throw new ProtocolError('not a COM_STMT_SEND_LONG_DATA payload');
  return { statementId: r.u32(), paramId: r.u16(), data: r.restBytes() };
}
