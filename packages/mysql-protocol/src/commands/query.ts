import { ProtocolError } from '../errors.js';
import { COM_QUERY } from '../packets/commands.js';
import {
  type DecodedParam,
  type ParamInput,
  paramTypesOf,
  readParamBlock,
  writeParamBlock,
} from '../statements/param-block.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/** A query attribute to send (a named, typed value; MySQL 8.0.23+). */
export type QueryAttribute = ParamInput & { name: string };

/** A decoded COM_QUERY. */
export interface QueryCommand {
  kind: 'query';
  /** The statement text as sent (a view into the payload). */
  sqlBytes: Buffer;
  /** The statement text decoded as UTF-8. */
  sql: string;
  /** Query attributes (only when CLIENT_QUERY_ATTRIBUTES was negotiated). */
  attributes: DecodedParam[];
}

/**
 * Builds COM_QUERY. With `queryAttributes` (CLIENT_QUERY_ATTRIBUTES negotiated) the attribute
 * block is always present, empty when there are no attributes, as the protocol requires.
 */
export function buildQuery(
  sql: string,
  options: { queryAttributes?: boolean; attributes?: readonly QueryAttribute[] } = {},
): Buffer {
  const w = new PacketWriter(sql.length + 16).u8(COM_QUERY);
  if (options.queryAttributes) {
    const attrs = options.attributes ?? [];
    w.lenencInt(attrs.length).lenencInt(1);
    if (attrs.length > 0) writeParamBlock(w, attrs, paramTypesOf(attrs), true, true);
  } else if (options.attributes !== undefined && options.attributes.length > 0) {
    throw new RangeError('query attributes need CLIENT_QUERY_ATTRIBUTES (queryAttributes: true)');
  }
  return w.string(sql).payload();
}

/** Decodes a COM_QUERY payload; `queryAttributes` = CLIENT_QUERY_ATTRIBUTES was negotiated. */
export function decodeQuery(payload: Buffer, queryAttributes = false): QueryCommand {
  const r = new PacketReader(payload);
  if (r.u8() !== COM_QUERY) throw new ProtocolError('not a COM_QUERY payload');
  let attributes: DecodedParam[] = [];
  if (queryAttributes) {
    const count = r.lenencInt();
    const sets = r.lenencInt();
    if (sets !== 1) throw new ProtocolError(`COM_QUERY: parameter set count ${sets}, only 1 is defined`);
    if (count > 0) {
      const block = readParamBlock(r, count, true, undefined);
      if (!block.newParamsBound) throw new ProtocolError('COM_QUERY: query attributes without their types');
      attributes = block.params;
    }
  }
  const sqlBytes = r.restBytes();
  return { kind: 'query', sqlBytes, sql: sqlBytes.toString('utf8'), attributes };
}
