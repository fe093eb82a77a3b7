import {
  COM_DEBUG,
  COM_FIELD_LIST,
  COM_INIT_DB,
  COM_PING,
  COM_PROCESS_KILL,
  COM_QUIT,
  COM_RESET_CONNECTION,
  COM_SET_OPTION,
  COM_STATISTICS,
} from '../packets/commands.js';
import { PacketWriter } from '../wire/index.js';

/** COM_SET_OPTION values. */
export const SetOption = {
  MULTI_STATEMENTS_ON: 0,
  MULTI_STATEMENTS_OFF: 1,
} as const;

function single(command: number): Buffer {
  return Buffer.from([command]);
}

/** COM_PING (answered by OK). */
export function buildPing(): Buffer {
  return single(COM_PING);
}

/** COM_QUIT (the server closes the connection, or answers ERR). */
export function buildQuit(): Buffer {
  return single(COM_QUIT);
}

/** COM_STATISTICS (answered by one packet of human-readable text, not an OK). */
export function buildStatistics(): Buffer {
  return single(COM_STATISTICS);
}

/** COM_RESET_CONNECTION (answered by OK). */
export function buildResetConnection(): Buffer {
  return single(COM_RESET_CONNECTION);
}

/** COM_DEBUG (answered by OK or ERR; needs the SUPER privilege). */
export function buildDebug(): Buffer {
  return single(COM_DEBUG);
}

/** COM_INIT_DB: switch the default schema (like `USE`). */
export function buildInitDb(schema: string, encoding: BufferEncoding = 'utf8'): Buffer {
  return new PacketWriter(schema.length + 8).u8(COM_INIT_DB).string(schema, encoding).payload();
}

/** COM_SET_OPTION: multi-statements on or off (answered by EOF or ERR). */
export function buildSetOption(multiStatements: boolean): Buffer {
  return new PacketWriter(4)
    .u8(COM_SET_OPTION)
    .u16(multiStatements ? SetOption.MULTI_STATEMENTS_ON : SetOption.MULTI_STATEMENTS_OFF)
    .payload();
}

/** COM_FIELD_LIST: column definitions of `table` (deprecated, still answered by servers). */
export function buildFieldList(table: string, wildcard = ''): Buffer {
  return new PacketWriter(table.length + wildcard.length + 8)
    .u8(COM_FIELD_LIST)
    .nulString(table)
    .string(wildcard)
    .payload();
}

/** COM_PROCESS_KILL: kill connection `connectionId` (deprecated: `KILL n` is preferred). */
export function buildProcessKill(connectionId: number): Buffer {
  return new PacketWriter(8).u8(COM_PROCESS_KILL).u32(connectionId).payload();
}
