/**
 * A RawClient logged in to `port` as `user`, in schema test: the same bytes sent straight to
 * MariaDB (as the backend user) and through the proxy (as the app user) compare answers. With
 * it, a COM_CHANGE_USER and a reading of a text result down to its bytes and column collations,
 * for the comparisons a driver would hide (it decodes values by the collation it is given).
 */
import {
  buildChangeUser,
  CLIENT_DEPRECATE_EOF,
  COM_QUERY,
  decodeColumnCount,
  decodeColumnDefinition,
  MARIADB_CLIENT_EXTENDED_METADATA,
  scrambleCachingSha2,
  scrambleNativePassword,
  TextRow,
} from '@scalestack/mysql-protocol';
import { expect } from 'vitest';
import {
  RawClient,
  type RawClientOptions,
  type RawResponse,
} from '../../../../packages/mysql-protocol/test/support/raw-client.js';
import { BACKEND_THREAD_ID } from './backends.js';
import { APP_USER, BACKEND_USER, type ProxyFixture } from './proxy-fixture.js';

type Account = { name: string; password: string };

/** `options`: what else the login sends (charset, capabilities, another database…). */
export function rawLogin(
  port: number,
  user: Account,
  options: Omit<RawClientOptions, 'host' | 'port' | 'user' | 'password'> = {},
): Promise<RawClient> {
  return RawClient.connect({
    host: '127.0.0.1',
    port,
    user: user.name,
    password: user.password,
    database: 'test',
    ...options,
  });
}

/** A raw client of `fx`'s proxy or of its MariaDB straight (as the backend account), in `charset`. */
export function rawSide(
  fx: ProxyFixture,
  side: 'proxy' | 'direct',
  charset: number,
  options: Omit<RawClientOptions, 'host' | 'port' | 'user' | 'password' | 'charset'> = {},
): Promise<RawClient> {
  return side === 'proxy'
    ? rawLogin(fx.port, APP_USER, { charset, ...options })
    : rawLogin(fx.mariadb.port, BACKEND_USER, { charset, ...options });
}

/** The backend connection id that serves the raw client's next statement. */
export async function rawBackendOf(c: RawClient): Promise<string> {
  const r = await rawResult(c, BACKEND_THREAD_ID);
  if (typeof r === 'string') throw new Error(r);
  return r.rows[0]![0]!;
}

/**
 * A proxy client in `charset` (of the same flavour, so of the same connections) holding backend
 * `id` — or, with `other`, the one that is not `id` — in a transaction; of a pool of `pool`.
 */
export async function rawHoldBackend(
  fx: ProxyFixture,
  id: string,
  charset: number,
  pool: number,
  { other = false, capabilities }: { other?: boolean; capabilities?: number } = {},
): Promise<RawClient> {
  const passed: RawClient[] = [];
  try {
    for (let i = 0; i < pool; i++) {
      const h = await rawSide(fx, 'proxy', charset, capabilities === undefined ? {} : { capabilities });
      await h.query('START TRANSACTION');
      if (((await rawBackendOf(h)) === id) !== other) return h;
      passed.push(h);
    }
    throw new Error(`backend ${other ? 'other than ' : ''}${id} was not handed out to ${pool} holders`);
  } finally {
    await Promise.all(passed.map((h) => h.close()));
  }
}

/**
 * COM_CHANGE_USER to `user`, scrambled for mysql_native_password; an auth switch (to either
 * plugin) is answered too. `password` other than the user's makes a refused one.
 */
export function rawChangeUser(
  c: RawClient,
  user: Account,
  {
    schema = 'test',
    charset,
    password = user.password,
  }: { schema?: string; charset?: number; password?: string } = {},
): Promise<RawResponse> {
  const payload = buildChangeUser(
    {
      user: user.name,
      authData: scrambleNativePassword(password, c.session.greeting.nonce),
      schema,
      characterSet: charset,
      plugin: 'mysql_native_password',
    },
    c.session.capabilities,
  );
  return c.command(payload, {
    answer: (p) => {
      const nul = p.payload.indexOf(0, 1);
      const plugin = p.payload.toString('latin1', 1, nul);
      const nonce = p.payload.subarray(nul + 1, nul + 21);
      return plugin === 'mysql_native_password'
        ? scrambleNativePassword(password, nonce)
        : scrambleCachingSha2(password, nonce);
    },
  });
}

/** The first result set of a text-protocol answer, as the bytes say it. */
export interface RawResult {
  /** Each column's collation id (63: binary), what a driver decodes the values by. */
  collations: number[];
  /** Each value's bytes read as latin1 (one character per byte, so no byte is lost), or null. */
  rows: (string | null)[][];
}

/** Runs `sql` as COM_QUERY: its first result set, or `ERR <errno> <message>`, or `OK` for none. */
export async function rawResult(
  c: RawClient,
  sql: string,
  /** How the text goes on the wire: in the client's character set. */
  encoding: BufferEncoding = 'utf8',
): Promise<RawResult | string> {
  const r = await c.command(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql, encoding)]));
  if (r.error) return `ERR ${r.error.errno} ${r.error.message}`;
  if (r.resultSets === 0) return 'OK';
  const extendedMetadata = (c.session.mariadbCapabilities & MARIADB_CLIENT_EXTENDED_METADATA) !== 0;
  const { count } = decodeColumnCount(r.packets[0]!.payload);
  const columns = r.packets
    .slice(1, 1 + count)
    .map((p) => decodeColumnDefinition(p.payload, { extendedMetadata }));
  const rows: (string | null)[][] = [];
  const reader = new TextRow(columns);
  let at = 1 + count + ((c.session.capabilities & CLIENT_DEPRECATE_EOF) !== 0 ? 0 : 1);
  // The result set ends at its EOF (or OK with an EOF header): 0xFE on a short packet.
  for (; at < r.packets.length; at++) {
    const payload = r.packets[at]!.payload;
    if (payload[0] === 0xfe && payload.length < 0xffffff) break;
    reader.wrap(payload);
    rows.push(columns.map((_, i) => reader.raw(i)?.toString('latin1') ?? null));
  }
  return { collations: columns.map((col) => col.characterSet), rows };
}

/**
 * Runs `script` on a raw client straight to MariaDB, then on one through the proxy; what the
 * proxy's script returns must equal MariaDB's (the reference, returned).
 */
export async function expectSameAnswers<T>(
  fx: ProxyFixture,
  script: (c: RawClient) => Promise<T>,
  options: Omit<RawClientOptions, 'host' | 'port' | 'user' | 'password'> = {},
): Promise<T> {
  const outcomes: T[] = [];
  for (const [port, user] of [
    [fx.mariadb.port, BACKEND_USER],
    [fx.port, APP_USER],
  ] as const) {
    const c = await rawLogin(port, user, options);
    try {
      outcomes.push(await script(c));
    } finally {
      await c.close();
    }
  }
  expect(outcomes[1], 'through the proxy').toEqual(outcomes[0]);
  return outcomes[0]!;
}
