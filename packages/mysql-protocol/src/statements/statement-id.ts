import { ProtocolError } from '../errors.js';
import {
  COM_STMT_BULK_EXECUTE,
  COM_STMT_CLOSE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_RESET,
  COM_STMT_SEND_LONG_DATA,
  commandName,
} from '../packets/commands.js';

/** True for the commands whose payload starts with a 4-byte statement id after the command byte. */
export function carriesStatementId(command: number): boolean {
  return (
    command === COM_STMT_EXECUTE ||
    command === COM_STMT_SEND_LONG_DATA ||
    command === COM_STMT_CLOSE ||
    command === COM_STMT_RESET ||
    command === COM_STMT_FETCH ||
    command === COM_STMT_BULK_EXECUTE
  );
}

function check(buf: Buffer, offset: number): void {
  if (offset < 0 || buf.length < offset + 5) {
    throw new ProtocolError(`statement command too short: ${buf.length - offset} byte(s), need 5`);
  }
  const command = buf[offset]!;
  if (!carriesStatementId(command)) {
    throw new ProtocolError(`${commandName(command)} carries no statement id`);
  }
}

/**
 * The statement id of an execute/long-data/close/reset/fetch payload starting at `offset`
 * (4 for a framed packet whose header is still in front).
 */
export function statementIdOf(buf: Buffer, offset = 0): number {
  check(buf, offset);
  return buf.readUInt32LE(offset + 1);
}

/**
 * Replaces the statement id of an execute/long-data/close/reset/fetch payload starting at
 * `offset` — in place by default (the proxy maps client ids to backend ids without copying), or
 * in a copy with `inPlace: false`. Returns the buffer holding the result.
 */
export function rewriteStatementId(buf: Buffer, statementId: number, offset = 0, inPlace = true): Buffer {
  check(buf, offset);
  const out = inPlace ? buf : Buffer.from(buf);
  out.writeUInt32LE(statementId >>> 0, offset + 1);
  return out;
}
