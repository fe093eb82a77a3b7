import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { MysqlFunction } from './definition.js';
import { bytes, int, text } from './values.js';

const SHA2_BITS: ReadonlyMap<number, string> = new Map([
  [0, 'sha256'],
  [224, 'sha224'],
  [256, 'sha256'],
  [384, 'sha384'],
  [512, 'sha512'],
]);

/** Digests and encodings, as lower-case hex strings the way MySQL answers them. */
export function hashFunctions(): MysqlFunction[] {
  return [
    { names: ['MD5'], fn: (v) => (v === null ? null : createHash('md5').update(bytes(v)).digest('hex')) },
    {
      names: ['SHA1', 'SHA'],
      fn: (v) => (v === null ? null : createHash('sha1').update(bytes(v)).digest('hex')),
    },
    {
      names: ['SHA2'],
      fn: (v, bits) => {
        if (v === null) return null;
        // NULL bits read as 0, which means 256.
        const algorithm = SHA2_BITS.get(bits === null ? 0 : int(bits));
        return algorithm === undefined ? null : createHash(algorithm).update(bytes(v)).digest('hex');
      },
    },
    { names: ['CRC32'], fn: (v) => (v === null ? null : BigInt(crc32(bytes(v)))) },
    {
      // Lines of 76 characters, as MariaDB writes them.
      names: ['TO_BASE64'],
      fn: (v) =>
        v === null
          ? null
          : bytes(v)
              .toString('base64')
              .replace(/.{76}(?=.)/g, '$&\n'),
    },
    {
      names: ['FROM_BASE64'],
      fn: (v) => {
        if (v === null) return null;
        const s = text(v).replace(/\s+/g, '');
        return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? Buffer.from(s, 'base64') : null;
      },
    },
  ];
}
