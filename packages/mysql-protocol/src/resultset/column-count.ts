import { ProtocolError } from '../errors.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/** The first packet of a result set: how many columns follow, and whether their metadata does. */
export interface ColumnCount {
  count: number;
  /**
   * False when the client negotiated CLIENT_OPTIONAL_RESULTSET_METADATA and the server skipped
   * the column definitions (the client reuses the ones it has).
   */
  metadataFollows: boolean;
}

/**
 * Decodes the column-count packet. `optionalMetadata` = CLIENT_OPTIONAL_RESULTSET_METADATA was
 * negotiated (the count is then followed by a metadata-follows byte).
 */
export function decodeColumnCount(payload: Buffer, optionalMetadata = false): ColumnCount {
  const r = new PacketReader(payload);
  const count = r.lenencInt();
  if (count === 0) throw new ProtocolError('column count packet: a result set has at least one column');
  const metadataFollows = optionalMetadata ? r.u8() === 1 : true;
  return { count, metadataFollows };
}

/** The column-count packet payload. */
export function encodeColumnCount(count: number, optionalMetadata = false, metadataFollows = true): Buffer {
  const w = new PacketWriter(16).lenencInt(count);
  if (optionalMetadata) w.u8(metadataFollows ? 1 : 0);
  return w.payload();
}
