/**
 * MD5 (RFC 1321) of a short input, in plain JS. Ketama hashes every key with MD5; for keys of a
 * few dozen bytes, calling into OpenSSL (allocating a Hash object and a digest Buffer per key)
 * costs several times more than these 64 rounds.
 */

/** Per-round left rotations. */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** K[i] = floor(|sin(i + 1)| * 2^32). */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const block = new Int32Array(16);
const state = new Int32Array(4);

/** The input byte at `i` of the padded message of `length` bytes (`bitsLow/High` = length in bits). */
function paddedByte(read: (i: number) => number, length: number, total: number, i: number): number {
  if (i < length) return read(i);
  if (i === length) return 0x80;
  const fromEnd = total - i; // 8..1 for the length field
  if (fromEnd > 8) return 0;
  const bitLength = length * 8;
  const shift = (8 - fromEnd) * 8;
  return shift < 32
    ? (bitLength >>> shift) & 0xff
    : shift < 53
      ? Math.floor(bitLength / 2 ** shift) & 0xff
      : 0;
}

function digest(read: (i: number) => number, length: number): Int32Array {
  const total = (((length + 8) >> 6) + 1) << 6;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let base = 0; base < total; base += 64) {
    for (let w = 0; w < 16; w++) {
      const j = base + w * 4;
      block[w] =
        paddedByte(read, length, total, j) |
        (paddedByte(read, length, total, j + 1) << 8) |
        (paddedByte(read, length, total, j + 2) << 16) |
        (paddedByte(read, length, total, j + 3) << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      f = (f + a + K[i]! + block[g]!) | 0;
      a = d;
      d = c;
      c = b;
      const s = SHIFTS[((i >> 4) << 2) | (i & 3)]!;
      b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  state[0] = a0;
  state[1] = b0;
  state[2] = c0;
  state[3] = d0;
  return state;
}

/**
 * The MD5 digest of a latin1 string (one char per byte) or a Buffer, as its four little-endian
 * 32-bit words (unsigned). The returned array is reused by the next call.
 */
export function md5Words(input: string | Buffer): Uint32Array {
  const words =
    typeof input === 'string'
      ? digest((i) => input.charCodeAt(i) & 0xff, input.length)
      : digest((i) => input[i]!, input.length);
  return new Uint32Array(words.buffer, words.byteOffset, 4);
}
