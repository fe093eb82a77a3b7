import { ProtocolError } from '../errors.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/** The first packet of a successful COM_STMT_PREPARE response. */
export interface PrepareOk {
  statementId: number;
  columnCount: number;
  paramCount: number;
  warningCount: number;
  /**
   * Only with CLIENT_OPTIONAL_RESULTSET_METADATA: whether the parameter and column definitions
   * follow. Absent otherwise (they always follow).
   */
  metadataFollows?: boolean;
}

const PREPARE_OK_HEADER = 0x00;

/** Decodes STMT_PREPARE_OK. Throws {@link ProtocolError} if the payload is not one. */
export function decodePrepareOk(payload: Buffer): PrepareOk {
  const r = new PacketReader(payload);
  const header = r.u8();
  if (header !== PREPARE_OK_HEADER) {
    throw new ProtocolError(`STMT_PREPARE_OK: expected header 0x00, got 0x${header.toString(16)}`);
  }
  const ok: PrepareOk = { statementId: r.u32(), columnCount: r.u16(), paramCount: r.u16(), warningCount: 0 };
  r.skip(1);
  if (r.remaining >= 2) ok.warningCount = r.u16();
  if (r.remaining >= 1) ok.metadataFollows = r.u8() === 1;
  return ok;
}

/** Encodes STMT_PREPARE_OK (with the metadata-follows byte only when the field is set). */
export function encodePrepareOk(ok: PrepareOk): Buffer {
  const w = new PacketWriter(16)
    .u8(PREPARE_OK_HEADER)
    .u32(ok.statementId)
    .u16(ok.columnCount)
    .u16(ok.paramCount)
    .u8(0)
    .u16(ok.warningCount);
  if (ok.metadataFollows !== undefined) w.u8(ok.metadataFollows ? 1 : 0);
  return w.payload();
}
