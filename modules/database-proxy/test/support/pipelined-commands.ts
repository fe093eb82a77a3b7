/**
 * Commands written the way a pipelining client writes them — several at once, the stream cut
 * into pieces anywhere — sent to MariaDB and through the proxy, and the answers put in a form
 * the two can be compared in: a statement id or session-state details are each side's own.
 * The stream ends with {@link END_MARKER}, whose answer says every command before it was
 * answered.
 */
import { encodeFrames } from '@scalestack/mysql-protocol';
import { prng } from '@scalestack/test-harness';
import { bytesToBoundary, type Frame, RawMysqlClient } from './raw-mysql-client.js';

type Account = { name: string; password: string };

/** A COM_QUERY of `sql`, framed as a command (sequence id 0). */
export function queryFrame(sql: string): Buffer {
  return encodeFrames(Buffer.from(`\u0003${sql}`, 'utf8'), 0);
}

/** The last command of a stream. */
export const END_MARKER = queryFrame("SELECT 'end-marker' AS e");
/** The row of its answer: the value `end-marker` (a length byte of 10, then the text). */
const END_ROW = Buffer.from('\u000aend-marker', 'latin1');

/**
 * The frames as comparable lines `<sequence id>:<what>`: a PREPARE OK with its statement id
 * zeroed, an OK without the session-state information the proxy leaves out (a documented
 * difference), an ERR as its number and message with any `(<number>)` in it blanked (statement
 * and connection ids), anything over 200 bytes as its length, the rest as hex.
 */
export function comparableAnswers(fs: Frame[]): string[] {
  return fs.map((f) => {
    const p = Buffer.from(f.payload);
    // PREPARE OK: 0x00, id(4), columns(2), params(2), a filler 0x00, warnings(2).
    if (p.length === 12 && p[0] === 0 && p[9] === 0) p.writeUInt32LE(0, 1);
    // An OK (one-byte affected rows and insert id) with SERVER_SESSION_STATE_CHANGED.
    if (
      p[0] === 0 &&
      p.length >= 7 &&
      p.length < 64 &&
      p[1]! < 0xfb &&
      p[2]! < 0xfb &&
      p.readUInt16LE(3) & 0x4000
    ) {
      p.writeUInt16LE(p.readUInt16LE(3) & ~0x4000, 3);
      return `${f.seq}:${p.subarray(0, 7).toString('hex')}`;
    }
    if (p[0] === 0xff)
      return `${f.seq}:ERR ${p.readUInt16LE(1)} ${p.toString('latin1', 9).replace(/\(\d+\)/g, '(<id>)')}`;
    return `${f.seq}:${p.length > 200 ? `${p.length}b` : p.toString('hex')}`;
  });
}

/** Whether the frames hold the answer to {@link END_MARKER}: its row, then its end (EOF or OK). */
function endAnswered(fs: Frame[]): boolean {
  const row = fs.findIndex((f) => f.payload.equals(END_ROW));
  return row >= 0 && fs.slice(row + 1).some((f) => f.payload[0] === 0xfe || f.payload[0] === 0x00);
}

/**
 * Logs in to `port` as `user` (database test), writes `bytes` in pieces and waits for the
 * answer to the {@link END_MARKER} they end with (or the close). `pieces`: the offsets to cut
 * at, or a seed for pieces of 1–23 bytes, some written on a later turn of the event loop.
 *
 * @returns whether the end was answered, and the answers as {@link comparableAnswers}
 */
export async function pipelinedAnswers(
  port: number,
  user: Account,
  bytes: Buffer,
  pieces: number[] | { seed: number },
  timeout = 20_000,
): Promise<{ answered: boolean; answers: string[] }> {
  const c = await RawMysqlClient.open(port);
  const login = await c.login({ user: user.name, password: user.password, database: 'test' });
  if (login.kind !== 'ok') throw new Error(`login to ${port} failed: ${JSON.stringify(login)}`);
  if (Array.isArray(pieces)) {
    let at = 0;
    for (const cut of [...pieces, bytes.length]) {
      await c.write(bytes.subarray(at, cut));
      at = cut;
    }
  } else {
    const random = prng(pieces.seed);
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, 1 + Math.floor(random() * 23));
      await c.write(bytes.subarray(at, at + n));
      at += n;
      if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const answered = await c.until(
    () => bytesToBoundary(c.received.subarray(c.base)) === 0 && endAnswered(c.frames()),
    timeout,
  );
  const answers = comparableAnswers(c.frames());
  await c.end();
  return { answered, answers };
}
