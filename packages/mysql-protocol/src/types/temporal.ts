/**
 * DATE / DATETIME / TIMESTAMP / TIME values and their two encodings: the text form the server
 * prints (`2024-02-29 13:05:09.250000`, `-838:59:59.000`) and the binary-protocol form (a length
 * byte of 0/4/7/11 for dates, 0/8/12 for times, then the fields little-endian).
 *
 * We deliberately do not map temporals to JS `Date`: MySQL values have no time zone, allow
 * zero dates (`0000-00-00`) and microseconds, and TIME spans ±838 hours. Decoders return the
 * same text the server would print in the text protocol, so text and binary rows agree.
 */

/** A calendar date and wall-clock time with microseconds, as MySQL stores it (no time zone). */
export interface MysqlDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

/** A TIME value: a signed duration of days + hours:minutes:seconds.micro. */
export interface MysqlTime {
  negative: boolean;
  days: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

/** `decimals` value servers send for columns whose fractional digits are not fixed. */
export const NOT_FIXED_DECIMALS = 0x1f;

function pad(n: number, width: number): string {
  // Two-digit fields dominate: skip padStart's generic path for them.
  if (width === 2 && n >= 0 && n < 100) return n < 10 ? `0${n}` : String(n);
  return String(n).padStart(width, '0');
}

function fraction(microsecond: number, decimals: number): string {
  if (decimals === NOT_FIXED_DECIMALS) {
    return microsecond === 0 ? '' : `.${pad(microsecond, 6)}`;
  }
  const digits = Math.min(decimals, 6);
  return digits === 0 ? '' : `.${pad(microsecond, 6).slice(0, digits)}`;
}

/** `YYYY-MM-DD`. */
export function formatDate(v: Pick<MysqlDateTime, 'year' | 'month' | 'day'>): string {
  return `${pad(v.year, 4)}-${pad(v.month, 2)}-${pad(v.day, 2)}`;
}

/** `YYYY-MM-DD hh:mm:ss[.f…]` with as many fractional digits as the column's `decimals`. */
export function formatDateTime(v: MysqlDateTime, decimals = 0): string {
  return (
    `${formatDate(v)} ${pad(v.hour, 2)}:${pad(v.minute, 2)}:${pad(v.second, 2)}` +
    fraction(v.microsecond, decimals)
  );
}

/** `[-]hh:mm:ss[.f…]`, hours including the days (TIME's text form), fraction per `decimals`. */
export function formatTime(v: MysqlTime, decimals = 0): string {
  const hours = v.days * 24 + v.hour;
  return (
    `${v.negative ? '-' : ''}${pad(hours, 2)}:${pad(v.minute, 2)}:${pad(v.second, 2)}` +
    fraction(v.microsecond, decimals)
  );
}

const dateTimePattern = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?)?$/;
const timePattern = /^(-)?(\d{1,3}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/;

function micros(text: string | undefined): number {
  return text === undefined ? 0 : Number(text.padEnd(6, '0'));
}

/** Parses `YYYY-MM-DD[ hh:mm:ss[.ffffff]]`; undefined when the text has another shape. */
export function parseDateTime(text: string): MysqlDateTime | undefined {
  const m = dateTimePattern.exec(text);
  if (m === null) return undefined;
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    microsecond: micros(m[7]),
  };
}

/** Parses `[-]hhh:mm:ss[.ffffff]`; undefined when the text has another shape. */
export function parseTime(text: string): MysqlTime | undefined {
  const m = timePattern.exec(text);
  if (m === null) return undefined;
  const hours = Number(m[2]);
  return {
    negative: m[1] === '-',
    days: Math.floor(hours / 24),
    hour: hours % 24,
    minute: Number(m[3]),
    second: Number(m[4]),
    microsecond: micros(m[5]),
  };
}

/** Bytes {@link writeBinaryDateTime} needs, including its length byte: 1, 5, 8 or 12. */
export function binaryDateTimeSize(v: MysqlDateTime): number {
  if (v.microsecond !== 0) return 12;
  if (v.hour !== 0 || v.minute !== 0 || v.second !== 0) return 8;
  if (v.year !== 0 || v.month !== 0 || v.day !== 0) return 5;
  return 1;
}

/** Writes the shortest binary form of a date/datetime at `offset`; returns the offset after it. */
export function writeBinaryDateTime(buf: Buffer, offset: number, v: MysqlDateTime): number {
  const length = binaryDateTimeSize(v) - 1;
  buf[offset] = length;
  if (length === 0) return offset + 1;
  buf.writeUInt16LE(v.year, offset + 1);
  buf[offset + 3] = v.month;
  buf[offset + 4] = v.day;
  if (length === 4) return offset + 5;
  buf[offset + 5] = v.hour;
  buf[offset + 6] = v.minute;
  buf[offset + 7] = v.second;
  if (length === 7) return offset + 8;
  buf.writeUInt32LE(v.microsecond, offset + 8);
  return offset + 12;
}

/** Bytes {@link writeBinaryTime} needs, including its length byte: 1, 9 or 13. */
export function binaryTimeSize(v: MysqlTime): number {
  if (v.microsecond !== 0) return 13;
  if (v.days !== 0 || v.hour !== 0 || v.minute !== 0 || v.second !== 0) return 9;
  return 1;
}

/** Writes the shortest binary form of a TIME at `offset`; returns the offset after it. */
export function writeBinaryTime(buf: Buffer, offset: number, v: MysqlTime): number {
  const length = binaryTimeSize(v) - 1;
  buf[offset] = length;
  if (length === 0) return offset + 1;
  buf[offset + 1] = v.negative ? 1 : 0;
  buf.writeUInt32LE(v.days, offset + 2);
  buf[offset + 6] = v.hour;
  buf[offset + 7] = v.minute;
  buf[offset + 8] = v.second;
  if (length === 8) return offset + 9;
  buf.writeUInt32LE(v.microsecond, offset + 9);
  return offset + 13;
}

/**
 * Reads a binary date/datetime whose length byte (0, 4, 7 or 11) is at `offset`. The caller has
 * checked that `1 + buf[offset]` bytes are available and that the length is one of those four.
 */
export function readBinaryDateTime(buf: Buffer, offset: number): MysqlDateTime {
  const length = buf[offset]!;
  const v: MysqlDateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0 };
  if (length >= 4) {
    v.year = buf.readUInt16LE(offset + 1);
    v.month = buf[offset + 3]!;
    v.day = buf[offset + 4]!;
  }
  if (length >= 7) {
    v.hour = buf[offset + 5]!;
    v.minute = buf[offset + 6]!;
    v.second = buf[offset + 7]!;
  }
  if (length >= 11) v.microsecond = buf.readUInt32LE(offset + 8);
  return v;
}

/** Reads a binary TIME whose length byte (0, 8 or 12) is at `offset`; the caller checked bounds. */
export function readBinaryTime(buf: Buffer, offset: number): MysqlTime {
  const length = buf[offset]!;
  const v: MysqlTime = { negative: false, days: 0, hour: 0, minute: 0, second: 0, microsecond: 0 };
  if (length >= 8) {
    v.negative = buf[offset + 1] === 1;
    v.days = buf.readUInt32LE(offset + 2);
    v.hour = buf[offset + 6]!;
    v.minute = buf[offset + 7]!;
    v.second = buf[offset + 8]!;
  }
  if (length >= 12) v.microsecond = buf.readUInt32LE(offset + 9);
  return v;
}

/** True when `length` is a legal binary date/datetime length byte. */
export function isDateTimeLength(length: number): boolean {
  return length === 0 || length === 4 || length === 7 || length === 11;
}

/** True when `length` is a legal binary TIME length byte. */
export function isTimeLength(length: number): boolean {
  return length === 0 || length === 8 || length === 12;
}

/**
 * Formats the binary date/datetime at `offset` straight from the buffer (no intermediate
 * object): the hot path of binary row decoding. `withTime` = DATETIME/TIMESTAMP, else DATE.
 */
export function formatBinaryDateTime(
  buf: Buffer,
  offset: number,
  withTime: boolean,
  decimals: number,
): string {
  const length = buf[offset]!;
  const year = length >= 4 ? buf[offset + 1]! | (buf[offset + 2]! << 8) : 0;
  const date = `${pad(year, 4)}-${pad(length >= 4 ? buf[offset + 3]! : 0, 2)}-${pad(length >= 4 ? buf[offset + 4]! : 0, 2)}`;
  if (!withTime) return date;
  const time =
    length >= 7
      ? `${pad(buf[offset + 5]!, 2)}:${pad(buf[offset + 6]!, 2)}:${pad(buf[offset + 7]!, 2)}`
      : '00:00:00';
  return `${date} ${time}${fraction(length >= 11 ? buf.readUInt32LE(offset + 8) : 0, decimals)}`;
}
