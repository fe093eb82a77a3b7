import { constants, createHash, privateDecrypt, publicEncrypt, timingSafeEqual } from 'node:crypto';

export const CACHING_SHA2_PLUGIN = 'caching_sha2_password';
/** Second byte of AuthMoreData (0x01 …): the scramble matched the server's cache. */
export const FAST_AUTH_SUCCESS = 0x03;
/** Second byte of AuthMoreData: the client must send the password (TLS) or encrypt it (RSA). */
export const PERFORM_FULL_AUTHENTICATION = 0x04;
/** Client byte asking the server for its RSA public key. */
export const REQUEST_PUBLIC_KEY = 0x02;

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA256(SHA256(password)): what the fast path verifies against. */
export function cachingSha2Hash(password: string): Buffer {
  return sha256(sha256(Buffer.from(password, 'utf8')));
}

/** The client's auth response: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce). Empty for an empty password. */
export function scrambleCachingSha2(password: string, nonce: Uint8Array): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  const mask = sha256(sha256(stage1), nonce.subarray(0, 20));
  for (let i = 0; i < 32; i++) stage1[i]! ^= mask[i]!;
  return stage1;
}

/** Checks a fast-path scramble against the stored SHA256(SHA256(password)). */
export function verifyCachingSha2(response: Uint8Array, nonce: Uint8Array, storedHash: Uint8Array): boolean {
  if (response.length !== 32 || storedHash.length !== 32) return false;
  const mask = sha256(storedHash, nonce.subarray(0, 20));
  const stage1 = Buffer.allocUnsafe(32);
  for (let i = 0; i < 32; i++) stage1[i] = response[i]! ^ mask[i]!;
  return timingSafeEqual(sha256(stage1), storedHash);
}

/** (password + NUL) XOR the nonce repeated: what goes inside the RSA envelope. */
function xorWithNonce(data: Buffer, nonce: Uint8Array): Buffer {
  const n = nonce.subarray(0, 20);
  for (let i = 0; i < data.length; i++) data[i]! ^= n[i % n.length]!;
  return data;
}

/** Encrypts the password for full authentication without TLS (RSA-OAEP with the server's public key). */
export function encryptPassword(password: string, nonce: Uint8Array, publicKeyPem: string | Buffer): Buffer {
  const plain = xorWithNonce(Buffer.from(`${password}\0`, 'utf8'), nonce);
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, plain);
}

/** Decrypts what {@link encryptPassword} produced; undefined when it does not decrypt. */
export function decryptPassword(
  ciphertext: Uint8Array,
  nonce: Uint8Array,
  privateKeyPem: string | Buffer,
): string | undefined {
  let plain: Buffer;
  try {
    plain = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, ciphertext);
  } catch {
    return undefined;
  }
  xorWithNonce(plain, nonce);
  const nul = plain.indexOf(0);
  return plain.toString('utf8', 0, nul < 0 ? plain.length : nul);
}
