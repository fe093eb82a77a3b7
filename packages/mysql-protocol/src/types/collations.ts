/** A collation as a server announces it: its id, its name and the character set it belongs to. */
export interface Collation {
  readonly id: number;
  readonly name: string;
  readonly charset: string;
  /** Longest encoding of one character in bytes (what column lengths are measured in). */
  readonly maxBytesPerChar: number;
}

/** Collation ids that come up in handshakes and column definitions. */
export const CollationId = {
  BIG5_CHINESE_CI: 1,
  LATIN1_GERMAN1_CI: 5,
  LATIN1_SWEDISH_CI: 8,
  ASCII_GENERAL_CI: 11,
  SJIS_JAPANESE_CI: 13,
  GBK_CHINESE_CI: 28,
  UTF8MB3_GENERAL_CI: 33,
  UTF8MB4_GENERAL_CI: 45,
  UTF8MB4_BIN: 46,
  LATIN1_BIN: 47,
  LATIN1_GENERAL_CI: 48,
  BINARY: 63,
  ASCII_BIN: 65,
  UTF8MB3_BIN: 83,
  CP932_JAPANESE_CI: 95,
  UTF8MB3_UNICODE_CI: 192,
  UTF8MB4_UNICODE_CI: 224,
  UTF8MB4_UNICODE_520_CI: 246,
  UTF8MB4_0900_AI_CI: 255,
} as const;

const table: readonly Collation[] = [
  { id: 1, name: 'big5_chinese_ci', charset: 'big5', maxBytesPerChar: 2 },
  { id: 5, name: 'latin1_german1_ci', charset: 'latin1', maxBytesPerChar: 1 },
  { id: 8, name: 'latin1_swedish_ci', charset: 'latin1', maxBytesPerChar: 1 },
  { id: 11, name: 'ascii_general_ci', charset: 'ascii', maxBytesPerChar: 1 },
  { id: 13, name: 'sjis_japanese_ci', charset: 'sjis', maxBytesPerChar: 2 },
  { id: 28, name: 'gbk_chinese_ci', charset: 'gbk', maxBytesPerChar: 2 },
  { id: 33, name: 'utf8mb3_general_ci', charset: 'utf8mb3', maxBytesPerChar: 3 },
  { id: 45, name: 'utf8mb4_general_ci', charset: 'utf8mb4', maxBytesPerChar: 4 },
  { id: 46, name: 'utf8mb4_bin', charset: 'utf8mb4', maxBytesPerChar: 4 },
  { id: 47, name: 'latin1_bin', charset: 'latin1', maxBytesPerChar: 1 },
  { id: 48, name: 'latin1_general_ci', charset: 'latin1', maxBytesPerChar: 1 },
  { id: 63, name: 'binary', charset: 'binary', maxBytesPerChar: 1 },
  { id: 65, name: 'ascii_bin', charset: 'ascii', maxBytesPerChar: 1 },
  { id: 83, name: 'utf8mb3_bin', charset: 'utf8mb3', maxBytesPerChar: 3 },
  { id: 95, name: 'cp932_japanese_ci', charset: 'cp932', maxBytesPerChar: 2 },
  { id: 192, name: 'utf8mb3_unicode_ci', charset: 'utf8mb3', maxBytesPerChar: 3 },
  { id: 224, name: 'utf8mb4_unicode_ci', charset: 'utf8mb4', maxBytesPerChar: 4 },
  { id: 246, name: 'utf8mb4_unicode_520_ci', charset: 'utf8mb4', maxBytesPerChar: 4 },
  { id: 255, name: 'utf8mb4_0900_ai_ci', charset: 'utf8mb4', maxBytesPerChar: 4 },
];

const byId = new Map(table.map((c) => [c.id, c]));
const byName = new Map(table.map((c) => [c.name, c]));

/** The collation with this id, or undefined when it is not one of the common ones we list. */
export function collationById(id: number): Collation | undefined {
  return byId.get(id);
}

/** The collation with this name (`utf8mb4_general_ci`; `utf8_*` is accepted as `utf8mb3_*`). */
export function collationByName(name: string): Collation | undefined {
  const lower = name.toLowerCase();
  return byName.get(lower) ?? byName.get(lower.replace(/^utf8_/, 'utf8mb3_'));
}

/**
 * How to turn column bytes of this collation into a JS string: a Node encoding, or `null` for
 * the binary collation (the bytes are not text and stay a Buffer). Unknown collations decode as
 * UTF-8 because that is what `character_set_results` almost always is. MySQL's "latin1" is
 * really cp1252; Node's `latin1` is ISO-8859-1, which differs only in 0x80-0x9F.
 */
export function collationEncoding(id: number): BufferEncoding | null {
  if (id === CollationId.BINARY) return null;
  const charset = byId.get(id)?.charset;
  if (charset === 'latin1') return 'latin1';
  if (charset === 'ascii') return 'ascii';
  return 'utf8';
}
