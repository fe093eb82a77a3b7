/**
 * A client's character set as the proxy meets it: the sets a server cannot read statements in,
 * and how names (a schema's) are bytes in the others.
 *
 * Character sets a server cannot read statements in: every character takes two or four bytes,
 * so ASCII SQL is not valid in them. MariaDB refuses them as a client's at login (ER 1231); the
 * proxy, which logs clients in itself, refuses them the same way rather than accept a login
 * whose every statement would then fail at the backend.
 */

function idsOf(...ranges: [number, number][]): number[] {
  const ids: number[] = [];
  for (const [from, to] of ranges) for (let id = from; id <= to; id++) ids.push(id);
  return ids;
}

/** Collation ids (as a handshake names them, below 256) of ucs2, utf16, utf16le and utf32. */
const UNUSABLE = new Map<number, string>([
  ...idsOf([35, 35], [90, 90], [128, 151], [159, 159]).map((id) => [id, 'ucs2'] as const),
  ...idsOf([54, 55], [101, 124]).map((id) => [id, 'utf16'] as const),
  ...idsOf([56, 56], [62, 62]).map((id) => [id, 'utf16le'] as const),
  ...idsOf([60, 61], [160, 183]).map((id) => [id, 'utf32'] as const),
]);

/** Character sets in which every character takes two or four bytes, ASCII ones too. */
const WIDE = new Set(UNUSABLE.values());

/**
 * Whether text sent in `charset` (a session's character_set_results) is not ASCII even where
 * it is ASCII in UTF-8: a column name the proxy writes itself would read wrong there.
 */
export function isWideCharset(charset: string | undefined): boolean {
  return charset !== undefined && WIDE.has(charset.toLowerCase());
}

/** The character set's name when collation `id` cannot be a client's, else undefined. */
export function unusableClientCharset(id: number): string | undefined {
  return UNUSABLE.get(id);
}

/**
 * How names (a schema's, for COM_INIT_DB and USE) go to and come from bytes in a MariaDB
 * character set: latin1 and ascii as themselves, every other set as UTF-8. The proxy has no
 * encoder for the multi-byte Asian sets, so a non-ASCII name in one of those is read and written
 * as UTF-8 (a known limit); ASCII names read the same in all of them.
 */
export function charsetEncoding(charset: string | undefined): BufferEncoding {
  return charset === 'latin1' || charset === 'ascii' ? charset : 'utf8';
}

/**
 * The encoding that writes `name` exactly as character set `charset` reads it, or undefined
 * when there is none here: ASCII reads the same in every client character set; UTF-8 sets hold
 * any name; latin1 (MariaDB's, cp1252) holds what Node's latin1 writes the same way, the
 * characters U+00A0–U+00FF.
 */
export function exactNameEncoding(charset: string | undefined, name: string): BufferEncoding | undefined {
  if (charset === undefined || /^utf8(?:mb[34])?$/.test(charset)) return 'utf8';
  if (/^[\u0000-\u007f]*$/.test(name)) return 'utf8';
  if (charset === 'latin1' && /^[\u0000-\u007f\u00a0-\u00ff]*$/.test(name)) return 'latin1';
  return undefined;
}

/** The WHATWG encoding a MariaDB character set's bytes decode with (MariaDB's latin1 is cp1252). */
const DECODER_LABEL: Record<string, string> = {
  latin1: 'windows-1252',
  latin2: 'iso-8859-2',
  latin5: 'iso-8859-9',
  latin7: 'iso-8859-13',
  cp1250: 'windows-1250',
  cp1251: 'windows-1251',
  cp1256: 'windows-1256',
  cp1257: 'windows-1257',
  cp866: 'ibm866',
  koi8r: 'koi8-r',
  koi8u: 'koi8-u',
  greek: 'iso-8859-7',
  hebrew: 'iso-8859-8',
  sjis: 'shift_jis',
  cp932: 'shift_jis',
  ujis: 'euc-jp',
  eucjpms: 'euc-jp',
  gbk: 'gbk',
  gb2312: 'gbk',
  big5: 'big5',
  euckr: 'euc-kr',
};
const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/**
 * Handshake collation ids (below 256, as MariaDB 10.11 numbers them) of the character sets that
 * are neither UTF-8 nor binary: those whose bytes {@link charsetEncoding} and {@link asUtf8Text}
 * read otherwise than as UTF-8.
 */
const CHARSET_OF_COLLATION = new Map<number, string>(
  Object.entries({
    ascii: [11, 65],
    big5: [1, 84],
    cp1250: [26, 34, 44, 66, 99],
    cp1251: [14, 23, 50, 51, 52],
    cp1256: [57, 67],
    cp1257: [29, 58, 59],
    cp866: [36, 68],
    cp932: [95, 96],
    eucjpms: [97, 98],
    euckr: [19, 85],
    gb2312: [24, 86],
    gbk: [28, 87],
    greek: [25, 70],
    hebrew: [16, 71],
    koi8r: [7, 74],
    koi8u: [22, 75],
    latin1: [5, 8, 15, 31, 47, 48, 49, 94],
    latin2: [2, 9, 21, 27, 77],
    latin5: [30, 78],
    latin7: [20, 41, 42, 79],
    sjis: [13, 88],
    ujis: [12, 91],
  }).flatMap(([charset, ids]) => ids.map((id) => [id, charset] as const)),
);

/** The character set of a handshake's collation id; undefined for UTF-8, binary and unknown ones. */
export function charsetOfCollation(id: number): string | undefined {
  return CHARSET_OF_COLLATION.get(id);
}

/**
 * A client's text (a byte a character, as sessions read it) as the UTF-8 bytes of what it says,
 * read the same way: how the server's catalog, which is UTF-8, spells the names in it. Undefined
 * for UTF-8 and ASCII clients (nothing to convert) and sets this runtime cannot decode.
 */
export function asUtf8Text(latin1Text: string, charset: string | undefined): string | undefined {
  const label = charset === undefined ? undefined : DECODER_LABEL[charset];
  if (label === undefined) return undefined;
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      return undefined; // a Node built without that encoding (small-icu)
    }
    decoders.set(label, decoder);
  }
  return Buffer.from(decoder.decode(Buffer.from(latin1Text, 'latin1')), 'utf8').toString('latin1');
}
