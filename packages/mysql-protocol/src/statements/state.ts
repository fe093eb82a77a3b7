import type { ParamType } from '../types/value-mapping.js';

/**
 * What a server must remember about one prepared statement to decode its COM_STMT_EXECUTE
 * packets: the parameter count, the types bound by the last execute that sent them (later ones
 * may omit them), and data sent by COM_STMT_SEND_LONG_DATA since the last execute/reset.
 * The caller owns one per statement; the codec only reads and updates it.
 */
export interface PreparedStatementState {
  readonly statementId: number;
  readonly paramCount: number;
  readonly columnCount: number;
  boundTypes?: ParamType[];
  /** Parameter index → chunks received by COM_STMT_SEND_LONG_DATA. */
  longData: Map<number, Buffer[]>;
}

/** A fresh state for a statement just prepared. */
export function preparedStatementState(
  statementId: number,
  paramCount: number,
  columnCount = 0,
): PreparedStatementState {
  return { statementId, paramCount, columnCount, longData: new Map() };
}

/** Adds one COM_STMT_SEND_LONG_DATA chunk (copied: the packet buffer gets reused). */
export function appendLongData(state: PreparedStatementState, paramId: number, data: Buffer): void {
  if (paramId >= state.paramCount) {
    throw new RangeError(
      `statement ${state.statementId}: long data for parameter ${paramId}, it has ${state.paramCount}`,
    );
  }
  const chunks = state.longData.get(paramId);
  const copy = Buffer.from(data);
  if (chunks === undefined) state.longData.set(paramId, [copy]);
  else chunks.push(copy);
}

/** What COM_STMT_RESET does to the state: forget long data (bound types stay). */
export function resetStatementState(state: PreparedStatementState): void {
  state.longData.clear();
}
