import { hash, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '../errors.js';

export const NATIVE_PASSWORD_PLUGIN = 'mysql_native_password';

/** One-shot SHA-1 (no Hash object: half the cost of createHash for 20–40 bytes). */
function sha1(data: Uint8Array): Buffer {
  return hash('sha1', data, 'buffer');
}

/** SHA1(SHA1(password)): what a server stores for `mysql_native_password`. */
export function nativePasswordHash(password: string): Buffer {
  return sha1(sha1(Buffer.from(password, 'utf8')));
}

/**
 * Parses MySQL's stored form `*` + 40 hex digits (as in `mysql.user.authentication_string`)
 * into the 20-byte SHA1(SHA1(password)).
 */
export function parseNativePasswordHash(text: string): Buffer {
  if (!/^\*[0-9a-fA-F]{40}$/.test(text)) {
    throw new ProtocolError(
      `a mysql_native_password hash must be '*' followed by 40 hex digits, got '${text}'`,
    );
  }
  return Buffer.from(text.slice(1), 'hex');
}

/** Formats SHA1(SHA1(password)) the way MySQL prints it (`*` + upper-case hex). */
export function formatNativePasswordHash(hash: Uint8Array): string {
  return `*${Buffer.from(hash).toString('hex').toUpperCase()}`;
}

/** The client's auth response: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw))). Empty for an empty password. */
export function scrambleNativePassword(password: string, nonce: Uint8Array): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const mask = sha1(Buffer.concat([nonce.subarray(0, 20), sha1(stage1)]));
  for (let i = 0; i < 20; i++) stage1[i]! ^= mask[i]!;
  return stage1;
}

/** Checks a native-password auth response against the stored SHA1(SHA1(password)). */
export function verifyNativePassword(
  response: Uint8Array,
  nonce: Uint8Array,
  storedHash: Uint8Array,
): boolean {
  if (response.length !== 20 || storedHash.length !== 20) return false;
  const mask = sha1(Buffer.concat([nonce.subarray(0, 20), storedHash]));
  const stage1 = Buffer.allocUnsafe(20);
  for (let i = 0; i < 20; i++) stage1[i] = response[i]! ^ mask[i]!;
  return timingSafeEqual(sha1(stage1), storedHash);
}
