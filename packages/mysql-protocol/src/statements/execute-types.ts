import { ProtocolError } from '../errors.js';
import { COM_STMT_EXECUTE } from '../packets/commands.js';
import { UNSIGNED_PARAM_FLAG } from '../types/column-flags.js';
import type { ParamType } from '../types/value-mapping.js';

/**
 * Byte-level helpers for a proxy that moves prepared statements between backends: a client may
 * leave the parameter types out of an execute (new-params-bound = 0) because *its* server already
 * has them, but a backend that just re-prepared the statement does not. These read the types off
 * an execute that has them, and put them back into one that does not — without decoding values.
 * (For connections without CLIENT_QUERY_ATTRIBUTES, the layout MariaDB and most clients use.)
 */

/** Command, statement id, flags, iteration count. */
const FIXED = 10;

function bitmapEnd(payload: Buffer, paramCount: number): number {
  if (payload.length < 1 || payload[0] !== COM_STMT_EXECUTE)
    throw new ProtocolError('not a COM_STMT_EXECUTE payload');
  const end = FIXED + ((paramCount + 7) >>> 3);
  if (paramCount > 0 && payload.length < end + 1) {
    throw new ProtocolError(
      `COM_STMT_EXECUTE: ${payload.length} byte(s), too short for ${paramCount} parameter(s)`,
    );
  }
  return end;
}

/**
 * The parameter types an execute carries, or undefined when it leaves them out (or the
 * statement has no parameters).
 */
export function executeParamTypes(payload: Buffer, paramCount: number): ParamType[] | undefined {
  const flagAt = bitmapEnd(payload, paramCount);
  if (paramCount === 0 || payload[flagAt] !== 1) return undefined;
  if (payload.length < flagAt + 1 + 2 * paramCount) {
    throw new ProtocolError(`COM_STMT_EXECUTE: parameter types truncated`);
  }
  const types: ParamType[] = [];
  for (let i = 0; i < paramCount; i++) {
    const at = flagAt + 1 + 2 * i;
    types.push({ type: payload[at]!, unsigned: (payload[at + 1]! & UNSIGNED_PARAM_FLAG) !== 0 });
  }
  return types;
}

/**
 * The execute with its parameter types present: `payload` itself when it already has them,
 * else a new buffer with new-params-bound = 1 and `types` inserted before the values.
 */
export function withParamTypes(payload: Buffer, paramCount: number, types: readonly ParamType[]): Buffer {
  const flagAt = bitmapEnd(payload, paramCount);
  if (paramCount === 0 || payload[flagAt] === 1) return payload;
  if (types.length !== paramCount) {
    throw new RangeError(`withParamTypes: ${types.length} types for ${paramCount} parameters`);
  }
  const out = Buffer.allocUnsafe(payload.length + 2 * paramCount);
  payload.copy(out, 0, 0, flagAt);
  out[flagAt] = 1;
  for (let i = 0; i < paramCount; i++) {
    out[flagAt + 1 + 2 * i] = types[i]!.type;
    out[flagAt + 2 + 2 * i] = types[i]!.unsigned ? UNSIGNED_PARAM_FLAG : 0;
  }
  payload.copy(out, flagAt + 1 + 2 * paramCount, flagAt + 1);
  return out;
}
