/**
 * The database a login names, checked as MariaDB checks it at connect: one that does not exist
 * is refused with ER 1049, one the account may not use with ER 1044 — before, the proxy let
 * both in and the client went on without a schema (ER 1046 for its statements), so tools that
 * create a database when the connect fails (Rails, Prisma, Django's test runner) took it for
 * there. A database seen in use by the flavour's backend account is let in without asking.
 *
 * One backend connection (pool 1) makes every check, sync and eviction land on it.
 */
import net from 'node:net';
import { ClientHandshake, COM_QUERY, encodeFrames, PacketDecoder } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { APP_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const NARROW = { name: 'narrow', password: 'narrow-pw' };
const NARROW_ACCOUNT = { name: 'narrow_svc', password: 'narrow-svc-pw' };

const { fx, direct, clients } = proxyTestFile({
  pool: 1,
  options: {
    users: [
      { name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 100 },
      {
        name: NARROW.name,
        password: NARROW.password,
        tenant: 'default',
        max_connections: 100,
        backend_user: NARROW_ACCOUNT.name,
        backend_password: NARROW_ACCOUNT.password,
      },
    ],
  },
  setup: async (d) => {
    await d.query(`CREATE USER '${NARROW_ACCOUNT.name}'@'%' IDENTIFIED BY '${NARROW_ACCOUNT.password}'`);
    await d.query(`GRANT ALL ON test.* TO '${NARROW_ACCOUNT.name}'@'%'`);
    await d.query('CREATE DATABASE hidden');
  },
});

/** What a refused connect came to: errno, SQL state, message. */
async function refusal(connecting: Promise<unknown>) {
  const e = await failure(connecting);
  return { errno: e.errno, sqlState: e.sqlState, message: e.message };
}

const counters = () => fx().proxy.stats().counters;

it("a login naming a database that does not exist is refused with MariaDB's 1049, and nothing else is touched", async () => {
  const expected = await refusal(fx().direct({ database: 'no_such_db' }));
  expect(expected).toEqual({ errno: 1049, sqlState: '42000', message: "Unknown database 'no_such_db'" });
  const before = { ...counters() };
  const clientsBefore = fx().proxy.stats().clients.length;
  expect(await refusal(fx().connect({ database: 'no_such_db' }))).toEqual(expected);
  expect(counters().authFailures).toBe(before.authFailures + 1);
  // One ERR sent, counted once.
  expect(counters().errors).toBe(before.errors + 1);
  expect(counters().loginSchemaChecks).toBe(before.loginSchemaChecks + 1);
  expect(fx().proxy.stats().clients.length).toBe(clientsBefore);
  // Refused again: a database that does not exist is never taken for known.
  expect(await refusal(fx().connect({ database: 'no_such_db' }))).toEqual(expected);
  const other = await clients.client();
  expect(await one(other, 'SELECT DATABASE() AS db')).toEqual({ db: 'test' });
});

it('a login naming a database its backend account may not use is refused with 1044, worded for the client', async () => {
  const expected = await refusal(
    fx().direct({ user: NARROW_ACCOUNT.name, password: NARROW_ACCOUNT.password, database: 'hidden' }),
  );
  expect(expected).toMatchObject({ errno: 1044, sqlState: '42000' });
  const seen = await refusal(fx().connect({ ...NARROW, user: NARROW.name, database: 'hidden' }));
  expect(seen).toEqual({
    ...expected,
    message: expected.message.replace(NARROW_ACCOUNT.name, NARROW.name),
  });
  // Its own database it may use; the service account of `app` may use `hidden`.
  const narrow = await clients.client({ user: NARROW.name, password: NARROW.password, database: 'test' });
  expect(await one(narrow, 'SELECT DATABASE() AS db')).toEqual({ db: 'test' });
  const app = await clients.client({ database: 'hidden' });
  expect(await one(app, 'SELECT DATABASE() AS db')).toEqual({ db: 'hidden' });
});

it('a database is checked once per backend account: known, it is let in without asking a server', async () => {
  await direct().query('CREATE DATABASE checked_once');
  const before = counters().loginSchemaChecks;
  const first = await clients.client({ database: 'checked_once' });
  expect(counters().loginSchemaChecks).toBe(before + 1);
  const second = await clients.client({ database: 'checked_once' });
  expect(counters().loginSchemaChecks).toBe(before + 1);
  for (const c of [first, second])
    expect(await one(c, 'SELECT DATABASE() AS db')).toEqual({ db: 'checked_once' });
  await direct().query(`GRANT ALL ON checked_once.* TO '${NARROW_ACCOUNT.name}'@'%'`);
  // Another account's grants are its own: checked again.
  const narrow = await clients.client({
    user: NARROW.name,
    password: NARROW.password,
    database: 'checked_once',
  });
  expect(counters().loginSchemaChecks).toBe(before + 2);
  expect(await one(narrow, 'SELECT DATABASE() AS db')).toEqual({ db: 'checked_once' });
});

it('a known database dropped since: the next login goes through and goes on without it, as a session whose schema is dropped; the one after is refused', async () => {
  await direct().query('CREATE DATABASE dropped_later');
  const c1 = await clients.client({ database: 'dropped_later' });
  expect(await one(c1, 'SELECT DATABASE() AS db')).toEqual({ db: 'dropped_later' });
  await direct().query('DROP DATABASE dropped_later');
  // The only backend connection goes to another schema first.
  const elsewhere = await clients.client({ database: 'test' });
  expect(await one(elsewhere, 'SELECT DATABASE() AS db')).toEqual({ db: 'test' });
  const c2 = await clients.client({ database: 'dropped_later' });
  expect(await one(c2, 'SELECT DATABASE() AS db')).toEqual({ db: null });
  expect(await refusal(fx().connect({ database: 'dropped_later' }))).toMatchObject({ errno: 1049 });
});

it('a database a client drops in its own session is not known any more: the next login naming it is refused', async () => {
  await direct().query('CREATE DATABASE dropped_here');
  const c = await clients.client({ database: 'dropped_here' });
  await c.query('DROP DATABASE dropped_here');
  expect(await one(c, 'SELECT DATABASE() AS db')).toEqual({ db: null });
  expect(await refusal(fx().connect({ database: 'dropped_here' }))).toMatchObject({ errno: 1049 });
});

it('a command sent right behind the login, before its answer, waits for the check and is answered after the OK', async () => {
  await direct().query('CREATE DATABASE piped_login');
  const replies = await loginWithQueryBehind('piped_login', 'SELECT DATABASE()');
  // The OK, then the result: column count, its definition, the row, the closing OK.
  expect(replies).toHaveLength(5);
  expect([replies[0]![0], replies[1]![0], replies[4]![0]]).toEqual([0x00, 0x01, 0xfe]);
  // The row: one length-prefixed value.
  expect(replies[3]!.subarray(1).toString()).toBe('piped_login');
  // Refused: the ERR in place of the OK, and the command behind it never runs.
  const refused = await loginWithQueryBehind('piped_nowhere', "DO 'ran anyway'");
  expect(refused[0]![0]).toBe(0xff);
  expect(refused[0]!.readUInt16LE(1)).toBe(1049);
  expect(refused).toHaveLength(1);
});

it('a check the server does not answer is given up after connect_timeout: the login goes in unchecked', async () => {
  await direct().query('CREATE DATABASE held_db');
  const { startRelayedProxy } = await import('./support/backend-relay.js');
  const { fx: rfx, relay } = await startRelayedProxy(fx().mariadb, 1, { connect_timeout: '1s' });
  try {
    // The check's COM_INIT_DB (header, then command 0x02) never reaches the server.
    relay.holdWhen = (chunk) => chunk[4] === 0x02 && chunk.includes('held_db');
    const c = await rfx.connect({ database: 'held_db' });
    expect(relay.heldCount).toBe(1);
    expect(rfx.proxy.stats().counters.loginSchemaChecks).toBe(1);
    expect(await one(c, 'SELECT DATABASE() AS db')).toEqual({ db: 'held_db' });
    await c.end();
  } finally {
    relay.release();
    await rfx.stop();
    await relay.stop();
  }
});

it('a refusal answered while a statement waits for the connection is still a refusal (the wait does not clear it)', async () => {
  // The check's connection goes back to the pool, which hands it at once to the statement
  // waiting for it; that statement's start cleared the answer before the check read it, and
  // the login went in without its database (found with go-sql-driver under load).
  const { startRelayedProxy } = await import('./support/backend-relay.js');
  const { fx: rfx, relay } = await startRelayedProxy(fx().mariadb, 1);
  try {
    const other = await rfx.connect();
    expect(await one(other, 'SELECT 1 AS ok')).toEqual({ ok: 1 });
    relay.holdWhen = (chunk) => chunk[4] === 0x02 && chunk.includes('no_such_db');
    const login = refusal(rfx.connect({ database: 'no_such_db' }));
    await waitFor(() => relay.heldCount === 1, { what: 'the check to be on the connection' });
    const read = one(other, 'SELECT 2 AS ok');
    await waitFor(() => rfx.proxy.stats().waiting === 1, { what: 'a statement to wait for the connection' });
    relay.release();
    expect(await login).toEqual({ errno: 1049, sqlState: '42000', message: "Unknown database 'no_such_db'" });
    expect(await read).toEqual({ ok: 2 });
    // Not taken for known either.
    expect(await refusal(rfx.connect({ database: 'no_such_db' }))).toMatchObject({ errno: 1049 });
    await other.end();
  } finally {
    relay.release();
    await rfx.stop();
    await relay.stop();
  }
});

/**
 * Logs in to the proxy as `app` naming `database`, writing a COM_QUERY with the login's last
 * packet in one write; returns every packet payload the proxy sends after the greeting until it
 * closes the connection (the query is followed by COM_QUIT).
 */
async function loginWithQueryBehind(database: string, sql: string): Promise<Buffer[]> {
  const socket = net.connect(fx().port, '127.0.0.1');
  const decoder = new PacketDecoder();
  const hs = new ClientHandshake({ user: APP_USER.name, password: APP_USER.password, database });
  const replies: Buffer[] = [];
  let loggedIn = false;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.on('data', (chunk) => {
      for (const p of decoder.push(chunk)) {
        if (loggedIn) {
          replies.push(p.payload);
          continue;
        }
        const step = hs.receive(p.payload, p.sequenceId);
        if (step.kind !== 'send') throw new Error(`unexpected handshake step ${step.kind}`);
        loggedIn = true;
        const query = encodeFrames(Buffer.concat([Buffer.of(COM_QUERY), Buffer.from(sql)]), 0);
        const quit = encodeFrames(Buffer.of(0x01), 0);
        socket.write(Buffer.concat([step.bytes, query, quit]));
      }
    });
  });
  return replies;
}
