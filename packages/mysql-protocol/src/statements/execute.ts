import { ProtocolError } from '../errors.js';
import { COM_STMT_EXECUTE } from '../packets/commands.js';
import type { ParamType, SqlValue } from '../types/value-mapping.js';
import { PacketReader, PacketWriter } from '../wire/index.js';
import {
  type DecodedParam,
  type ParamInput,
  paramTypesOf,
  readParamBlock,
  toParamInput,
  writeParamBlock,
} from './param-block.js';
import type { PreparedStatementState } from './state.js';

/** COM_STMT_EXECUTE flags (the cursor type, plus MySQL's parameter-count flag). */
export const CursorType = {
  NO_CURSOR: 0x00,
  READ_ONLY: 0x01,
  FOR_UPDATE: 0x02,
  SCROLLABLE: 0x04,
  /** MySQL 8 (with CLIENT_QUERY_ATTRIBUTES): a parameter count precedes the parameters. */
  PARAMETER_COUNT_AVAILABLE: 0x08,
} as const;

/** What a client sends to execute a prepared statement. */
export interface ExecuteRequest {
  statementId: number;
  params: readonly (SqlValue | ParamInput)[];
  /** {@link CursorType} bits; READ_ONLY opens a cursor read by COM_STMT_FETCH. */
  flags?: number;
  /**
   * Send the parameter types (default true). Servers keep the types of the last execute that
   * sent them, so repeated executes with the same types may leave them out.
   */
  sendTypes?: boolean;
  /** Types to encode the values with; default: each param's own type, else inferred. */
  types?: readonly ParamType[];
  /** CLIENT_QUERY_ATTRIBUTES was negotiated (names follow the types, count is explicit). */
  queryAttributes?: boolean;
}

/** A decoded COM_STMT_EXECUTE. */
export interface ExecuteCommand {
  statementId: number;
  flags: number;
  iterationCount: number;
  /** The client sent types with this execute (otherwise the bound ones were used). */
  newParamsBound: boolean;
  params: DecodedParam[];
}

/** Builds a COM_STMT_EXECUTE payload. */
export function buildExecute(req: ExecuteRequest): Buffer {
  const params = req.params.map(toParamInput);
  const types = req.types ?? paramTypesOf(params);
  if (types.length !== params.length) {
    throw new RangeError(`COM_STMT_EXECUTE: ${types.length} types for ${params.length} parameters`);
  }
  let flags = req.flags ?? CursorType.NO_CURSOR;
  if (req.queryAttributes) flags |= CursorType.PARAMETER_COUNT_AVAILABLE;
  const w = new PacketWriter(64).u8(COM_STMT_EXECUTE).u32(req.statementId).u8(flags).u32(1);
  if (req.queryAttributes) w.lenencInt(params.length);
  if (params.length > 0)
    writeParamBlock(w, params, types, req.sendTypes ?? true, req.queryAttributes ?? false);
  return w.payload();
}

/**
 * Decodes a COM_STMT_EXECUTE payload for the statement `state` describes, updating its bound
 * types and consuming its long data. Throws {@link ProtocolError} on malformed input.
 */
export function decodeExecute(
  payload: Buffer,
  state: PreparedStatementState,
  options: { queryAttributes?: boolean } = {},
): ExecuteCommand {
  const r = new PacketReader(payload);
  if (r.u8() !== COM_STMT_EXECUTE) throw new ProtocolError('not a COM_STMT_EXECUTE payload');
  const statementId = r.u32();
  const flags = r.u8();
  const iterationCount = r.u32();
  let count = state.paramCount;
  if (options.queryAttributes && (flags & CursorType.PARAMETER_COUNT_AVAILABLE) !== 0) {
    count = r.lenencInt();
    if (count < state.paramCount) {
      throw new ProtocolError(
        `COM_STMT_EXECUTE: ${count} parameters sent, the statement has ${state.paramCount}`,
      );
    }
  }
  const cmd: ExecuteCommand = { statementId, flags, iterationCount, newParamsBound: false, params: [] };
  if (count === 0) return cmd;
  let longData: Map<number, Buffer> | undefined;
  if (state.longData.size > 0) {
    longData = new Map();
    for (const [i, chunks] of state.longData) longData.set(i, Buffer.concat(chunks));
    state.longData.clear();
  }
  const bound = state.boundTypes?.length === count ? state.boundTypes : undefined;
  const block = readParamBlock(r, count, options.queryAttributes ?? false, bound, longData);
  if (!r.atEnd) throw new ProtocolError(`COM_STMT_EXECUTE: ${r.remaining} byte(s) after the parameters`);
  state.boundTypes = block.types;
  cmd.newParamsBound = block.newParamsBound;
  cmd.params = block.params;
  return cmd;
}
