import { ProtocolError } from '../errors.js';
import { PacketReader } from '../wire/reader.js';
import type { PacketWriter } from '../wire/writer.js';
import {
  SESSION_TRACK_GTIDS,
  SESSION_TRACK_SCHEMA,
  SESSION_TRACK_STATE_CHANGE,
  SESSION_TRACK_SYSTEM_VARIABLES,
  SESSION_TRACK_TRANSACTION_CHARACTERISTICS,
  SESSION_TRACK_TRANSACTION_STATE,
} from './headers.js';

/** A tracked system variable's new value. */
export interface SystemVariableChange {
  name: string;
  value: string;
}

/**
 * Session state changes reported in an OK packet (CLIENT_SESSION_TRACK and the status flag
 * SERVER_SESSION_STATE_CHANGED). Absent fields were not reported.
 */
export interface SessionStateChanges {
  /** `session_track_system_variables` changes, in the order the server sent them. */
  systemVariables: SystemVariableChange[];
  /** New default schema (`USE db`, COM_INIT_DB). */
  schema?: string;
  /** `session_track_state_change`: the session state changed in some tracked way. */
  stateChanged?: boolean;
  /**
   * Set by {@link ResponseTracker} when one statement of a multi-statement response reported a
   * state change with no variable or schema beside it (SET ROLE, a user variable): merged with
   * another statement's variables, the change would otherwise look explained by them.
   */
  unexplainedChange?: boolean;
  /** GTID information (encoding byte dropped), e.g. `0-1-42`. */
  gtids?: string;
  /** `session_track_transaction_info=CHARACTERISTICS`: SQL that recreates the transaction's characteristics. */
  transactionCharacteristics?: string;
  /**
   * `session_track_transaction_info`: 8 characters, e.g. `T_______` — [0] T/I explicit/implicit
   * transaction, [1] r unsafe reads, [2] R reads, [3] w unsafe writes, [4] W writes,
   * [5] s unsafe statements, [6] S result set sent, [7] L locked tables.
   */
  transactionState?: string;
}

/** Decodes the session-state-info block (its bytes after the lenenc length). */
export function decodeSessionState(buffer: Buffer, start = 0, end = buffer.length): SessionStateChanges {
  const r = new PacketReader(buffer, start, end);
  const out: SessionStateChanges = { systemVariables: [] };
  while (!r.atEnd) {
    const type = r.u8();
    const dataLength = r.lenencInt();
    if (dataLength > r.remaining) {
      throw new ProtocolError(
        `session state entry of type ${type} claims ${dataLength} bytes, only ${r.remaining} left`,
      );
    }
    const data = new PacketReader(buffer, r.pos, r.pos + dataLength);
    r.skip(dataLength);
    switch (type) {
      case SESSION_TRACK_SYSTEM_VARIABLES: {
        const name = data.lenencString();
        const value = data.lenencString();
        out.systemVariables.push({ name, value });
        break;
      }
      case SESSION_TRACK_SCHEMA:
        out.schema = data.lenencString();
        break;
      case SESSION_TRACK_STATE_CHANGE:
        // Servers send the bare character '1' (not a length-encoded string).
        out.stateChanged = data.remaining === 1 ? data.u8() === 0x31 : data.lenencString() === '1';
        break;
      case SESSION_TRACK_GTIDS:
        data.u8(); // encoding specification (0: the only one defined)
        out.gtids = data.lenencString();
        break;
      case SESSION_TRACK_TRANSACTION_CHARACTERISTICS:
        out.transactionCharacteristics = data.lenencString();
        break;
      case SESSION_TRACK_TRANSACTION_STATE:
        out.transactionState = data.lenencString();
        break;
      default:
        // Types added by newer servers are skipped, as the protocol intends.
        break;
    }
  }
  return out;
}

/** Encodes a session-state-info block (without its outer lenenc length) into `w`. */
export function writeSessionState(w: PacketWriter, s: SessionStateChanges): void {
  const entry = (type: number, parts: (string | number)[]) => {
    const size = parts.reduce<number>(
      (n, p) => n + (typeof p === 'number' ? 1 : lenencSize(Buffer.byteLength(p)) + Buffer.byteLength(p)),
      0,
    );
    w.u8(type).lenencInt(size);
    for (const p of parts) typeof p === 'number' ? w.u8(p) : w.lenencString(p);
  };
  for (const v of s.systemVariables) entry(SESSION_TRACK_SYSTEM_VARIABLES, [v.name, v.value]);
  if (s.schema !== undefined) entry(SESSION_TRACK_SCHEMA, [s.schema]);
  if (s.stateChanged !== undefined) entry(SESSION_TRACK_STATE_CHANGE, [s.stateChanged ? 0x31 : 0x30]);
  if (s.gtids !== undefined) entry(SESSION_TRACK_GTIDS, [0, s.gtids]);
  if (s.transactionCharacteristics !== undefined)
    entry(SESSION_TRACK_TRANSACTION_CHARACTERISTICS, [s.transactionCharacteristics]);
  if (s.transactionState !== undefined) entry(SESSION_TRACK_TRANSACTION_STATE, [s.transactionState]);
}

function lenencSize(n: number): number {
  return n < 0xfb ? 1 : n <= 0xffff ? 3 : n <= 0xffffff ? 4 : 9;
}
