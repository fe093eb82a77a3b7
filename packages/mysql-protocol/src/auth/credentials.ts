import { timingSafeEqual } from 'node:crypto';
import { CACHING_SHA2_PLUGIN, cachingSha2Hash } from './caching-sha2.js';
import { nativePasswordHash, parseNativePasswordHash } from './native-password.js';

/**
 * What a server knows about one user's password. Any one form is enough for some path:
 * `nativeHash` for mysql_native_password, `sha2Hash` for the caching_sha2 fast path, and any of
 * them for caching_sha2 full authentication (where the client reveals the password).
 */
export interface Credentials {
  /** SHA1(SHA1(password)), 20 bytes; or MySQL's `*HEX` text form. */
  nativeHash?: Buffer | string;
  /** SHA256(SHA256(password)), 32 bytes. */
  sha2Hash?: Buffer;
  /** The password itself (lets every path work). */
  plaintext?: string;
}

/** Looks a user up; `undefined` for an unknown user. */
export type CredentialLookup = (user: string) => Credentials | undefined;

/** Computes every stored form of `password` (for configuration files and tests). */
export function credentialsFor(password: string): Required<Pick<Credentials, 'nativeHash' | 'sha2Hash'>> {
  return { nativeHash: nativePasswordHash(password), sha2Hash: cachingSha2Hash(password) };
}

/** The native hash as bytes, accepting the `*HEX` form. */
export function nativeHashOf(c: Credentials): Buffer | undefined {
  if (c.nativeHash !== undefined) {
    return typeof c.nativeHash === 'string' ? parseNativePasswordHash(c.nativeHash) : c.nativeHash;
  }
  return c.plaintext !== undefined ? nativePasswordHash(c.plaintext) : undefined;
}

export function sha2HashOf(c: Credentials): Buffer | undefined {
  if (c.sha2Hash !== undefined) return c.sha2Hash;
  return c.plaintext !== undefined ? cachingSha2Hash(c.plaintext) : undefined;
}

/** True when the credentials describe the empty password (a client then sends no auth data). */
export function isEmptyPassword(c: Credentials): boolean {
  if (c.plaintext !== undefined) return c.plaintext === '';
  if (typeof c.nativeHash === 'string') return c.nativeHash === '';
  if (c.nativeHash !== undefined) return c.nativeHash.length === 0;
  return c.sha2Hash !== undefined && c.sha2Hash.length === 0;
}

/**
 * True when an auth response stands for the empty password: no bytes, or — from
 * libmysqlclient's caching_sha2_password, in a handshake or a COM_CHANGE_USER — a lone NUL,
 * which MySQL's server reads the same way.
 */
export function isEmptyAuthResponse(authResponse: Uint8Array, plugin: string): boolean {
  return (
    authResponse.length === 0 ||
    (authResponse.length === 1 && authResponse[0] === 0 && plugin === CACHING_SHA2_PLUGIN)
  );
}

/** Checks a password revealed during full authentication against whatever form is stored. */
export function verifyPlaintextPassword(c: Credentials, password: string): boolean {
  if (c.plaintext !== undefined) {
    const a = Buffer.from(c.plaintext, 'utf8');
    const b = Buffer.from(password, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }
  if (password === '') return isEmptyPassword(c);
  if (c.sha2Hash !== undefined && c.sha2Hash.length === 32)
    return timingSafeEqual(cachingSha2Hash(password), c.sha2Hash);
  const native = nativeHashOf(c);
  if (native !== undefined && native.length === 20)
    return timingSafeEqual(nativePasswordHash(password), native);
  return false;
}
