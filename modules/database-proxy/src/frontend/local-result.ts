/**
 * Result sets the proxy answers itself (SHOW PROCESSLIST, SELECT CONNECTION_ID()), framed as a
 * server frames them for this client: column definitions with or without MariaDB's extended
 * metadata, a classic EOF after them or none (DEPRECATE_EOF), text rows, and the end packet.
 */
import {
  CLIENT_DEPRECATE_EOF,
  type ColumnDefinition,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeResultEnd,
  PacketEncoder,
  PacketWriter,
  type SqlValue,
  writeTextRow,
} from '@scalestack/mysql-protocol';

/** How the client's connection frames a result set. */
export interface ResultFraming {
  capabilities: number;
  /** MARIADB_CLIENT_EXTENDED_METADATA was negotiated: column definitions carry its block. */
  extendedMetadata: boolean;
  /** Server status of the final EOF / OK (autocommit, in transaction…). */
  statusFlags: number;
  /** Sequence id of the first packet (the column count). */
  sequenceId: number;
}

/** The whole text-protocol result set of `rows` under `columns`, framed for the client. */
export function encodeTextResult(
  columns: readonly ColumnDefinition[],
  rows: readonly (readonly SqlValue[])[],
  framing: ResultFraming,
): Buffer {
  const { capabilities, statusFlags } = framing;
  const payloads: Buffer[] = [encodeColumnCount(columns.length)];
  for (const c of columns)
    payloads.push(encodeColumnDefinition(c, { extendedMetadata: framing.extendedMetadata }));
  if (!(capabilities & CLIENT_DEPRECATE_EOF)) payloads.push(encodeEof({ statusFlags }, capabilities));
  for (const values of rows) {
    const w = new PacketWriter(64);
    writeTextRow(w, values, columns);
    payloads.push(w.payload());
  }
  payloads.push(encodeResultEnd({ statusFlags }, capabilities));
  // The encoder numbers frames, not payloads: a row of 16 MiB or more takes several.
  const encoder = new PacketEncoder();
  encoder.reset(framing.sequenceId);
  return Buffer.concat(payloads.map((p) => encoder.encode(p)));
}
