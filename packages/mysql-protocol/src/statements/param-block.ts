import { ProtocolError } from '../errors.js';
import { writeBinaryValue } from '../resultset/binary-row.js';
import { binaryValueEnd, binaryValueStart, decodeBinaryValue } from '../resultset/binary-value.js';
import type { RowValue } from '../resultset/row-value.js';
import { CollationId } from '../types/collations.js';
import { ColumnFlag, UNSIGNED_PARAM_FLAG } from '../types/column-flags.js';
import { ColumnType, columnTypeName } from '../types/column-type.js';
import { NOT_FIXED_DECIMALS } from '../types/temporal.js';
import { type ParamType, paramTypeOf, type SqlValue } from '../types/value-mapping.js';
import type { PacketReader, PacketWriter } from '../wire/index.js';

/** A parameter to send: a value, optionally with the type to send it as (else inferred). */
export interface ParamInput {
  value: SqlValue;
  type?: ParamType;
  /** Only for query attributes (and MySQL's named execute parameters). */
  name?: string;
  /**
   * The value was sent with COM_STMT_SEND_LONG_DATA: it is neither NULL nor in the execute
   * packet (`value` is ignored; the type defaults to BLOB).
   */
  longData?: boolean;
}

/** A parameter as a server decodes it. */
export interface DecodedParam {
  type: number;
  unsigned: boolean;
  /** Present when the client sent names (query attributes). */
  name?: string;
  /** The value mapped as {@link RowValue}; long data arrives as a Buffer. */
  value: RowValue;
}

/** Normalises `SqlValue | ParamInput` to a ParamInput. */
export function toParamInput(p: SqlValue | ParamInput): ParamInput {
  if (
    p !== null &&
    typeof p === 'object' &&
    'value' in p &&
    !(p instanceof Uint8Array) &&
    !(p instanceof Date)
  ) {
    return p as ParamInput;
  }
  return { value: p as SqlValue };
}

/**
 * Appends the parameter block shared by COM_STMT_EXECUTE and COM_QUERY attributes: NULL bitmap
 * (offset 0), new-params-bound flag, the types (and names when `withNames`) if bound, the values.
 * `types` are the types to encode values with; when `sendTypes` is false they are the ones the
 * server already has from an earlier execute.
 */
export function writeParamBlock(
  w: PacketWriter,
  params: readonly ParamInput[],
  types: readonly ParamType[],
  sendTypes: boolean,
  withNames: boolean,
): void {
  const bitmapSize = (params.length + 7) >>> 3;
  for (let byte = 0; byte < bitmapSize; byte++) {
    let bits = 0;
    for (let bit = 0; bit < 8; bit++) {
      const i = byte * 8 + bit;
      if (i < params.length && (params[i]!.value === null || params[i]!.value === undefined))
        bits |= 1 << bit;
    }
    w.u8(bits);
  }
  w.u8(sendTypes ? 1 : 0);
  if (sendTypes) {
    for (let i = 0; i < params.length; i++) {
      const t = types[i]!;
      w.u8(t.type).u8(t.unsigned ? UNSIGNED_PARAM_FLAG : 0);
      if (withNames) w.lenencString(params[i]!.name ?? '');
    }
  }
  const scratch = Buffer.allocUnsafe(16);
  for (let i = 0; i < params.length; i++) {
    const value = params[i]!.value;
    if (value === null || value === undefined || params[i]!.longData) continue;
    try {
      writeBinaryValue(w, types[i]!.type, value, scratch);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) {
        throw new TypeError(`parameter ${i}: ${err.message}`);
      }
      throw err;
    }
  }
}

/** The types to send for `params`: each one's own type if given, else inferred from its value. */
export function paramTypesOf(params: readonly ParamInput[]): ParamType[] {
  return params.map(
    (p) => p.type ?? (p.longData ? { type: ColumnType.BLOB, unsigned: false } : paramTypeOf(p.value)),
  );
}

function isBlobType(type: number): boolean {
  return (
    type === ColumnType.TINY_BLOB ||
    type === ColumnType.MEDIUM_BLOB ||
    type === ColumnType.LONG_BLOB ||
    type === ColumnType.BLOB ||
    type === ColumnType.GEOMETRY ||
    type === ColumnType.BIT
  );
}

const knownParamTypes = new Set<number>(Object.values(ColumnType));

/**
 * Reads a parameter block of `count` parameters (see {@link writeParamBlock}). `boundTypes` are
 * the types from an earlier execute, used when the block does not resend them; `longData` holds
 * parameters whose values came by COM_STMT_SEND_LONG_DATA (absent from the block).
 * Returns the parameters and the types in effect.
 */
export function readParamBlock(
  r: PacketReader,
  count: number,
  withNames: boolean,
  boundTypes: readonly ParamType[] | undefined,
  longData?: ReadonlyMap<number, Buffer>,
): { params: DecodedParam[]; types: ParamType[]; newParamsBound: boolean } {
  const bitmap = r.bytes((count + 7) >>> 3);
  const newParamsBound = r.u8() === 1;
  let types: ParamType[];
  const names: string[] = [];
  if (newParamsBound) {
    // Each type takes 2 bytes: refuse a count the packet cannot hold before allocating for it.
    if (count * 2 > r.remaining)
      throw new ProtocolError(`parameter types: ${count} declared, packet too short`);
    types = [];
    for (let i = 0; i < count; i++) {
      const type = r.u8();
      const flag = r.u8();
      if (!knownParamTypes.has(type)) {
        throw new ProtocolError(`parameter ${i} has unknown type ${columnTypeName(type)}`);
      }
      types.push({ type, unsigned: (flag & UNSIGNED_PARAM_FLAG) !== 0 });
      if (withNames) names.push(r.lenencString());
    }
  } else {
    if (boundTypes === undefined || boundTypes.length !== count) {
      throw new ProtocolError('COM_STMT_EXECUTE without parameter types, and none were bound before');
    }
    types = boundTypes.slice();
  }
  const params: DecodedParam[] = [];
  const buf = r.buffer;
  for (let i = 0; i < count; i++) {
    const t = types[i]!;
    const param: DecodedParam = { type: t.type, unsigned: t.unsigned, value: null };
    if (withNames && newParamsBound) param.name = names[i]!;
    const isNull = (bitmap[i >>> 3]! & (1 << (i & 7))) !== 0;
    const long = longData?.get(i);
    if (long !== undefined) {
      param.value = long;
    } else if (!isNull && t.type !== ColumnType.NULL) {
      const end = binaryValueEnd(buf, r.pos, r.end, t.type, `parameter ${i}`);
      const start = binaryValueStart(buf, r.pos, t.type);
      param.value = decodeBinaryValue(buf, start, end, {
        type: t.type,
        flags: t.unsigned ? ColumnFlag.UNSIGNED : 0,
        decimals: NOT_FIXED_DECIMALS,
        characterSet: isBlobType(t.type) ? CollationId.BINARY : CollationId.UTF8MB4_GENERAL_CI,
      });
      r.pos = end;
    }
    params.push(param);
  }
  return { params, types, newParamsBound };
}
