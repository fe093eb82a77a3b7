import { ER_UNKNOWN_COM_ERROR, ProtocolError, sqlStateFor } from '../errors.js';
import { CLIENT_QUERY_ATTRIBUTES } from '../packets/capabilities.js';
import {
  COM_CHANGE_USER,
  COM_DEBUG,
  COM_FIELD_LIST,
  COM_INIT_DB,
  COM_PING,
  COM_PROCESS_KILL,
  COM_QUERY,
  COM_QUIT,
  COM_RESET_CONNECTION,
  COM_SET_OPTION,
  COM_STATISTICS,
  COM_STMT_CLOSE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  COM_STMT_RESET,
  COM_STMT_SEND_LONG_DATA,
  commandName,
} from '../packets/commands.js';
import { decodeSendLongData } from '../statements/simple-commands.js';
import { PacketReader } from '../wire/index.js';
import { type ChangeUserCommand, decodeChangeUser } from './change-user.js';
import { decodeQuery, type QueryCommand } from './query.js';
import { SetOption } from './simple-commands.js';

/**
 * A client command as a server sees it. COM_STMT_EXECUTE is only identified here (its
 * parameters need the statement's state: see `decodeExecute`); everything else is decoded.
 */
export type Command =
  | QueryCommand
  | ChangeUserCommand
  | { kind: 'quit' }
  | { kind: 'ping' }
  | { kind: 'statistics' }
  | { kind: 'debug' }
  | { kind: 'reset-connection' }
  | { kind: 'init-db'; schema: string }
  | { kind: 'set-option'; option: number; multiStatements: boolean }
  | { kind: 'field-list'; table: string; wildcard: string }
  | { kind: 'process-kill'; connectionId: number }
  | { kind: 'stmt-prepare'; sql: string }
  | { kind: 'stmt-execute'; statementId: number; payload: Buffer }
  | { kind: 'stmt-send-long-data'; statementId: number; paramId: number; data: Buffer }
  | { kind: 'stmt-close'; statementId: number }
  | { kind: 'stmt-reset'; statementId: number }
  | { kind: 'stmt-fetch'; statementId: number; rows: number }
  | UnknownCommand;

/**
 * A command this codec does not implement (or a server does not support): everything a server
 * needs to answer with ER_UNKNOWN_COM_ERROR.
 */
export interface UnknownCommand {
  kind: 'unknown';
  command: number;
  name: string;
  errno: number;
  sqlState: string;
  message: string;
}

/** What parsing needs to know about the connection. */
export interface ParseCommandOptions {
  /** Capability flags negotiated in the handshake (for COM_QUERY attributes, COM_CHANGE_USER). */
  capabilities?: number;
}

function unknown(command: number): UnknownCommand {
  return {
    kind: 'unknown',
    command,
    name: commandName(command),
    errno: ER_UNKNOWN_COM_ERROR,
    sqlState: sqlStateFor(ER_UNKNOWN_COM_ERROR),
    message: 'Unknown command',
  };
}

function noArguments(payload: Buffer, kind: string): void {
  if (payload.length !== 1)
    throw new ProtocolError(`${kind}: ${payload.length - 1} unexpected byte(s) after the command`);
}

/**
 * Parses one command payload (the whole logical packet, command byte first). Throws
 * {@link ProtocolError} when a known command is malformed; unknown commands are returned as
 * `{ kind: 'unknown' }` so the server can answer ER_UNKNOWN_COM_ERROR (1047, 08S01) and carry on.
 */
export function parseCommand(payload: Buffer, options: ParseCommandOptions = {}): Command {
  if (payload.length === 0) throw new ProtocolError('empty command packet');
  const capabilities = options.capabilities ?? 0;
  const command = payload[0]!;
  const r = new PacketReader(payload, 1);
  switch (command) {
    case COM_QUERY:
      return decodeQuery(payload, (capabilities & CLIENT_QUERY_ATTRIBUTES) !== 0);
    case COM_QUIT:
      return { kind: 'quit' };
    case COM_PING:
      noArguments(payload, 'COM_PING');
      return { kind: 'ping' };
    case COM_STATISTICS:
      return { kind: 'statistics' };
    case COM_DEBUG:
      return { kind: 'debug' };
    case COM_RESET_CONNECTION:
      noArguments(payload, 'COM_RESET_CONNECTION');
      return { kind: 'reset-connection' };
    case COM_INIT_DB:
      return { kind: 'init-db', schema: r.restString() };
    case COM_SET_OPTION: {
      const option = r.u16();
      if (option !== SetOption.MULTI_STATEMENTS_ON && option !== SetOption.MULTI_STATEMENTS_OFF) {
        throw new ProtocolError(`COM_SET_OPTION: unknown option ${option}`);
      }
      return { kind: 'set-option', option, multiStatements: option === SetOption.MULTI_STATEMENTS_ON };
    }
    case COM_FIELD_LIST:
      return { kind: 'field-list', table: r.nulString(), wildcard: r.restString() };
    case COM_PROCESS_KILL:
      return { kind: 'process-kill', connectionId: r.u32() };
    case COM_CHANGE_USER:
      return decodeChangeUser(payload, capabilities);
    case COM_STMT_PREPARE:
      return { kind: 'stmt-prepare', sql: r.restString() };
    case COM_STMT_EXECUTE: {
      const statementId = r.u32();
      r.skip(5); // flags + iteration count must be there even without parameters
      return { kind: 'stmt-execute', statementId, payload };
    }
    case COM_STMT_SEND_LONG_DATA:
      return { kind: 'stmt-send-long-data', ...decodeSendLongData(payload) };
    case COM_STMT_CLOSE:
      return { kind: 'stmt-close', statementId: r.u32() };
    case COM_STMT_RESET:
      return { kind: 'stmt-reset', statementId: r.u32() };
    case COM_STMT_FETCH:
      return { kind: 'stmt-fetch', statementId: r.u32(), rows: r.u32() };
    default:
      return unknown(command);
  }
}
