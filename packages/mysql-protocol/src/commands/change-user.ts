import { ProtocolError } from '../errors.js';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_PLUGIN_AUTH,
  CLIENT_SECURE_CONNECTION,
} from '../packets/capabilities.js';
import { COM_CHANGE_USER } from '../packets/commands.js';
import { CollationId, collationEncoding } from '../types/collations.js';
import { PacketReader, PacketWriter } from '../wire/index.js';

/** The fields of COM_CHANGE_USER. */
export interface ChangeUser {
  user: string;
  /** The auth response for `plugin` (scrambled password), possibly empty. */
  authData: Buffer;
  schema: string;
  /** Collation id; absent when an old client did not send it. */
  characterSet?: number;
  /** Auth plugin name (with CLIENT_PLUGIN_AUTH). */
  plugin?: string;
  /** Connection attributes (with CLIENT_CONNECT_ATTRS). */
  attributes?: Record<string, string>;
}

/** A decoded COM_CHANGE_USER. */
export interface ChangeUserCommand extends ChangeUser {
  kind: 'change-user';
}

/** Builds COM_CHANGE_USER for a connection with `capabilities` negotiated. */
export function buildChangeUser(req: ChangeUser, capabilities: number): Buffer {
  const characterSet = req.characterSet ?? CollationId.UTF8MB4_GENERAL_CI;
  // The names go in the character set the command names, as the server reads them.
  const names = collationEncoding(characterSet) ?? 'utf8';
  const w = new PacketWriter(64).u8(COM_CHANGE_USER).nulString(req.user, names);
  if ((capabilities & CLIENT_SECURE_CONNECTION) !== 0) {
    if (req.authData.length > 0xff) throw new RangeError('COM_CHANGE_USER: auth data longer than 255 bytes');
    w.u8(req.authData.length).bytes(req.authData);
  } else {
    w.bytes(req.authData).u8(0);
  }
  w.nulString(req.schema, names).u16(characterSet);
  if ((capabilities & CLIENT_PLUGIN_AUTH) !== 0) w.nulString(req.plugin ?? 'mysql_native_password');
  if ((capabilities & CLIENT_CONNECT_ATTRS) !== 0) {
    const attrs = new PacketWriter(64);
    for (const [k, v] of Object.entries(req.attributes ?? {})) attrs.lenencString(k).lenencString(v);
    w.lenencBytes(attrs.payload());
  }
  return w.payload();
}

/**
 * Decodes COM_CHANGE_USER as sent on a connection with `capabilities` negotiated. The user and
 * schema names are read in the character set the command names (MariaDB converts them from
 * it), or in `connectionCollation`'s when an old client sent none.
 */
export function decodeChangeUser(
  payload: Buffer,
  capabilities: number,
  connectionCollation: number = CollationId.UTF8MB4_GENERAL_CI,
): ChangeUserCommand {
  const r = new PacketReader(payload);
  if (r.u8() !== COM_CHANGE_USER) throw new ProtocolError('not a COM_CHANGE_USER payload');
  const user = r.nulBytes();
  const authData =
    (capabilities & CLIENT_SECURE_CONNECTION) !== 0
      ? Buffer.from(r.bytes(r.u8()))
      : Buffer.from(r.nulBytes());
  const schema = r.nulBytes();
  const characterSet = r.remaining >= 2 ? r.u16() : undefined;
  const names = collationEncoding(characterSet ?? connectionCollation) ?? 'utf8';
  const cmd: ChangeUserCommand = {
    kind: 'change-user',
    user: user.toString(names),
    authData,
    schema: schema.toString(names),
  };
  if (characterSet !== undefined) cmd.characterSet = characterSet;
  if ((capabilities & CLIENT_PLUGIN_AUTH) !== 0 && !r.atEnd) cmd.plugin = r.nulString();
  if ((capabilities & CLIENT_CONNECT_ATTRS) !== 0 && !r.atEnd) {
    const attrs = new PacketReader(r.lenencBytes());
    const attributes: Record<string, string> = Object.create(null);
    while (!attrs.atEnd) {
      const key = attrs.lenencString();
      attributes[key] = attrs.lenencString();
    }
    cmd.attributes = attributes;
  }
  return cmd;
}
