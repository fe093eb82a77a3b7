/**
 * Builds server responses from the codec's own encoders, for tracker and scanner tests.
 * Column definitions are opaque to the tracker, so a plausible fixed payload stands in for them.
 */
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_PROTOCOL_41,
  CLIENT_SESSION_TRACK,
  encodeEof,
  encodeErr,
  encodeOk,
  PacketEncoder,
  PacketWriter,
  type SessionStateChanges,
} from '../../src/index.js';

export const CAPS_CLASSIC = CLIENT_PROTOCOL_41 | CLIENT_SESSION_TRACK;
export const CAPS_DEPRECATE_EOF = CLIENT_PROTOCOL_41 | CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF;

export function columnDef(name: string): Buffer {
  const w = new PacketWriter();
  w.lenencString('def')
    .lenencString('db')
    .lenencString('t')
    .lenencString('t')
    .lenencString(name)
    .lenencString(name);
  w.lenencInt(0x0c).u16(33).u32(255).u8(0xfd).u16(0).u8(0).u16(0);
  return Buffer.from(w.payload());
}

export function textRow(values: (string | null)[]): Buffer {
  const w = new PacketWriter();
  for (const v of values) v === null ? w.nullMarker() : w.lenencString(v);
  return Buffer.from(w.payload());
}

/** Payloads of one text result set ending with `status`. */
export function resultSet(
  caps: number,
  columns: number,
  rows: (string | null)[][],
  status: number,
): Buffer[] {
  const out: Buffer[] = [Buffer.from(new PacketWriter().lenencInt(columns).payload())];
  for (let i = 0; i < columns; i++) out.push(columnDef(`c${i}`));
  if (!(caps & CLIENT_DEPRECATE_EOF)) out.push(encodeEof({ statusFlags: status }, caps));
  for (const r of rows) out.push(textRow(r));
  out.push(
    caps & CLIENT_DEPRECATE_EOF
      ? encodeOk({ statusFlags: status }, caps, 0xfe)
      : encodeEof({ statusFlags: status }, caps),
  );
  return out;
}

export function ok(
  caps: number,
  fields: {
    status?: number;
    affected?: number;
    insertId?: number;
    session?: SessionStateChanges;
    warnings?: number;
  },
): Buffer {
  return encodeOk(
    {
      statusFlags: fields.status ?? 0,
      affectedRows: fields.affected ?? 0,
      lastInsertId: fields.insertId ?? 0,
      warnings: fields.warnings ?? 0,
      ...(fields.session ? { sessionState: fields.session } : {}),
    },
    caps,
  );
}

export function err(errno: number, message: string): Buffer {
  return encodeErr({ errno, message });
}

/** Frames payloads with sequence ids starting at 1 (the reply to a command). */
export function frame(payloads: Buffer[]): Buffer {
  const enc = new PacketEncoder();
  enc.reset(1);
  return Buffer.concat(payloads.map((p) => enc.encode(p)));
}
