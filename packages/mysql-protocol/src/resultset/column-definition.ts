import { ProtocolError } from '../errors.js';
import { CollationId } from '../types/collations.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/**
 * One column of a result set (ColumnDefinition41), or one parameter of a prepared statement.
 * Names are decoded as UTF-8 (servers send them in `character_set_results`, which is UTF-8 for
 * every client we talk to).
 */
export interface ColumnDefinition {
  /** Always `def`. */
  catalog: string;
  schema: string;
  /** The table alias (`AS t`) or name. */
  table: string;
  /** The table's real name. */
  orgTable: string;
  /** The column alias (`AS c`) or name. */
  name: string;
  /** The column's real name. */
  orgName: string;
  /** Collation id of the column's values (63 = binary: the values are bytes, not text). */
  characterSet: number;
  /** Maximum display length in bytes. */
  columnLength: number;
  /** A {@link ColumnType} code. */
  type: number;
  /** {@link ColumnFlag} bits. */
  flags: number;
  /** Fractional digits (0-6 for temporals, 0-38 for decimals, 0x1f = not fixed). */
  decimals: number;
  /**
   * MariaDB extended metadata (only with MARIADB_CLIENT_EXTENDED_METADATA): the real data type
   * behind a BLOB/STRING column, such as `json` or a geometry type like `point`.
   */
  extendedTypeName?: string;
  /** MariaDB extended metadata: the format name, such as `json` for JSON columns. */
  extendedFormat?: string;
  /** Only in COM_FIELD_LIST responses: the column's default value, when it has one. */
  defaultValue?: Buffer;
}

/** Which optional parts a column definition carries on this connection. */
export interface ColumnDefinitionOptions {
  /** MARIADB_CLIENT_EXTENDED_METADATA was negotiated. */
  extendedMetadata?: boolean;
  /** The definition answers COM_FIELD_LIST (it ends with the default value). */
  fieldList?: boolean;
}

const EXT_TYPE_NAME = 0;
const EXT_FORMAT = 1;
const FIXED_FIELDS_LENGTH = 0x0c;

/** A column definition with sensible defaults; pass what differs. */
export function columnDefinition(
  init: Partial<ColumnDefinition> & Pick<ColumnDefinition, 'name' | 'type'>,
): ColumnDefinition {
  return {
    catalog: 'def',
    schema: '',
    table: '',
    orgTable: '',
    orgName: init.name,
    characterSet: CollationId.UTF8MB4_GENERAL_CI,
    columnLength: 0,
    flags: 0,
    decimals: 0,
    ...init,
  };
}

function readExtendedMetadata(r: PacketReader, def: ColumnDefinition): void {
  const data = r.lenencBytes();
  const ext = new PacketReader(data);
  while (!ext.atEnd) {
    const key = ext.u8();
    const value = ext.lenencString();
    if (key === EXT_TYPE_NAME) def.extendedTypeName = value;
    else if (key === EXT_FORMAT) def.extendedFormat = value;
  }
}

/** Decodes one ColumnDefinition41 payload. Throws {@link ProtocolError} when it is malformed. */
export function decodeColumnDefinition(
  payload: Buffer,
  options: ColumnDefinitionOptions = {},
): ColumnDefinition {
  const r = new PacketReader(payload);
  const def = {
    catalog: r.lenencString(),
    schema: r.lenencString(),
    table: r.lenencString(),
    orgTable: r.lenencString(),
    name: r.lenencString(),
    orgName: r.lenencString(),
  } as ColumnDefinition;
  if (options.extendedMetadata) readExtendedMetadata(r, def);
  const fixed = r.lenencInt();
  if (fixed < FIXED_FIELDS_LENGTH - 2) {
    throw new ProtocolError(`column definition: fixed-fields length ${fixed} is shorter than 10`);
  }
  const fixedEnd = r.pos + fixed;
  def.characterSet = r.u16();
  def.columnLength = r.u32();
  def.type = r.u8();
  def.flags = r.u16();
  def.decimals = r.u8();
  r.skip(fixedEnd - r.pos);
  if (options.fieldList && !r.atEnd) {
    const n = r.lenencIntOrNull();
    if (n >= 0) def.defaultValue = r.bytes(n);
  }
  return def;
}

/** Appends a ColumnDefinition41 payload to `w`. */
export function writeColumnDefinition(
  w: PacketWriter,
  def: ColumnDefinition,
  options: ColumnDefinitionOptions = {},
): PacketWriter {
  w.lenencString(def.catalog)
    .lenencString(def.schema)
    .lenencString(def.table)
    .lenencString(def.orgTable)
    .lenencString(def.name)
    .lenencString(def.orgName);
  if (options.extendedMetadata) {
    const ext = new PacketWriter(32);
    if (def.extendedTypeName !== undefined) ext.u8(EXT_TYPE_NAME).lenencString(def.extendedTypeName);
    if (def.extendedFormat !== undefined) ext.u8(EXT_FORMAT).lenencString(def.extendedFormat);
    w.lenencBytes(ext.payload());
  }
  w.u8(FIXED_FIELDS_LENGTH)
    .u16(def.characterSet)
    .u32(def.columnLength)
    .u8(def.type)
    .u16(def.flags)
    .u8(def.decimals)
    .zeros(2);
  if (options.fieldList && def.defaultValue !== undefined) w.lenencBytes(def.defaultValue);
  return w;
}

/** A ColumnDefinition41 payload as a new Buffer. */
export function encodeColumnDefinition(def: ColumnDefinition, options: ColumnDefinitionOptions = {}): Buffer {
  return writeColumnDefinition(new PacketWriter(64), def, options).payload();
}
