import {
  CACHING_SHA2_PLUGIN,
  type ChangeUserCommand,
  type CredentialLookup,
  FAST_AUTH_SUCCESS,
  isEmptyAuthResponse,
  isEmptyPassword,
  nativeHashOf,
  sha2HashOf,
  verifyCachingSha2,
  verifyNativePassword,
} from '@scalestack/mysql-protocol';
import type { Engine } from '../engine/engine.js';
import { statusFlags } from '../engine/engine.js';
import type { Session } from '../session/session.js';
import type { ResponseWriter } from './response-writer.js';

/**
 * COM_CHANGE_USER: the client scrambles the new password with the nonce of the original
 * greeting, using mysql_native_password or caching_sha2_password (fast path). On success the
 * session starts afresh (open transaction rolled back, variables and statements dropped) as the
 * new user, in the schema it names; on failure the client gets 1045 and the connection closes,
 * as MySQL does. Returns false when the credentials were refused (the caller closes).
 */
export function changeUser(
  nonce: Buffer,
  lookup: CredentialLookup,
  session: Session,
  cmd: ChangeUserCommand,
  out: ResponseWriter,
  engine: Engine,
): boolean {
  const credentials = lookup(cmd.user);
  const plugin = cmd.plugin || 'mysql_native_password';
  let verified = false;
  if (credentials !== undefined) {
    if (isEmptyAuthResponse(cmd.authData, plugin)) verified = isEmptyPassword(credentials);
    else if (plugin === CACHING_SHA2_PLUGIN) {
      const hash = sha2HashOf(credentials);
      verified = hash !== undefined && verifyCachingSha2(cmd.authData, nonce, hash);
    } else {
      const hash = nativeHashOf(credentials);
      verified = hash !== undefined && verifyNativePassword(cmd.authData, nonce, hash);
    }
  }
  if (!verified) {
    out.err(
      1045,
      '28000',
      `Access denied for user '${cmd.user}'@'${session.host}' (using password: ${isEmptyAuthResponse(cmd.authData, plugin) ? 'NO' : 'YES'})`,
    );
    return false;
  }
  let schema = session.schema;
  if (cmd.schema !== '') {
    const found = engine.database.findSchema(cmd.schema);
    if (found === undefined) {
      out.err(1049, '42000', `Unknown database '${cmd.schema}'`);
      return true;
    }
    schema = found;
  }
  engine.database.abandon(session);
  session.reset();
  engine.database.startSession(session);
  session.user = cmd.user;
  session.schema = schema;
  if (plugin === CACHING_SHA2_PLUGIN && cmd.authData.length > 0)
    out.packet(Buffer.from([0x01, FAST_AUTH_SUCCESS]));
  out.ok({ statusFlags: statusFlags(session) });
  return true;
}
