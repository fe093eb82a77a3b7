/**
 * A fault of the proxy's own while it handles one client's input (a bug: here one injected into
 * the statement dispatch) ends that client's connection with ERR 1105 and is logged; so does one
 * while it hands a server's answer to that client (injected into the client's response sink,
 * mid-answer or at its end), and one while it writes the process list it gathered for the
 * client (asynchronously, so outside the input handler). The client lets its connection go as a leaving client does (a
 * read still running is interrupted); the connection carries on for the clients sharing it; one
 * the client held alone is retired, not given to the next client with what the fault left on it,
 * and one it had given back is left alone.
 * Every other client carries on — with one backend connection in the pool, no other could be
 * served otherwise. Uncaught, a fault ended the process; caught for the whole connection, one at
 * a response's end left its client holding its QoS slot and waiting for good.
 */

import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClientSession } from '../src/frontend/client-session.js';
import { backendOf, failure, one, rows } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
type Dispatch = (this: ClientSession, payload: Buffer, ...rest: unknown[]) => void;
type OnResponseData = (this: ClientSession, chunk: Buffer, start: number, end: number) => boolean;
type OnResponseEnd = (this: ClientSession, conn: unknown) => void;
const proto = ClientSession.prototype as unknown as {
  dispatch: Dispatch;
  onResponseData: OnResponseData;
  onResponseEnd: OnResponseEnd;
  resultsCollation: (this: ClientSession) => number;
  statementText(): string;
};
const dispatch = proto.dispatch;
const onResponseData = proto.onResponseData;
const onResponseEnd = proto.onResponseEnd;
const resultsCollation = proto.resultsCollation;
/** The asker whose process list meets a fault as it is written (see its test). */
let processlistVictim: ClientSession | undefined;
const INTERNAL = [1105, 'Internal error in the proxy (logged there); the connection is closed'];

beforeAll(async () => {
  proto.dispatch = function (this: ClientSession, payload: Buffer, ...rest: unknown[]) {
    if (payload.includes('trip the proxy')) throw new Error('injected fault');
    return dispatch.call(this, payload, ...rest);
  };
  proto.onResponseData = function (this: ClientSession, chunk: Buffer, start: number, end: number) {
    if (chunk.subarray(start, end).includes('trip the answer')) throw new Error('injected fault');
    return onResponseData.call(this, chunk, start, end);
  };
  proto.onResponseEnd = function (this: ClientSession, conn: unknown) {
    const text = (this as unknown as typeof proto).statementText();
    if (text.includes('trip the end')) throw new Error('injected fault');
    onResponseEnd.call(this, conn);
    // After the client's bookkeeping: it has given its connection back (and the pool handed it on).
    if (text.includes('trip after')) throw new Error('injected fault');
  };
  // Read while the gathered rows are encoded for the asker: in the promise's continuation.
  proto.resultsCollation = function (this: ClientSession) {
    if (this === processlistVictim) throw new Error('injected fault');
    return resultsCollation.call(this);
  };
  fx = await startProxyFixture({ pool: 1 });
  const setup = await fx.direct();
  await setup.query('CREATE TABLE IF NOT EXISTS test.fault_keys (k INT PRIMARY KEY)');
  await setup.end();
});

afterAll(async () => {
  proto.dispatch = dispatch;
  proto.onResponseData = onResponseData;
  proto.onResponseEnd = onResponseEnd;
  proto.resultsCollation = resultsCollation;
  await fx?.stop();
});

/** A victim and a bystander through the proxy; after `fault`, the bystander and a new client are served. */
async function afterFault(fault: (victim: mysql.Connection) => Promise<void>): Promise<void> {
  const victim = await fx.connect();
  victim.on('error', () => {});
  const other = await fx.connect();
  try {
    await fault(victim);
    expect((await one(other, 'SELECT 7 AS ok')).ok).toBe(7);
    const again = await fx.connect();
    expect((await one(again, 'SELECT 8 AS ok')).ok).toBe(8);
    await again.end();
  } finally {
    victim.destroy();
    await other.end();
  }
}

it('ends only the client whose input met it, with ERR 1105, and counts it', () =>
  afterFault(async (victim) => {
    const errorsBefore = fx.proxy.stats().counters.errors;
    const err = await failure(victim.query("SELECT 'trip the proxy'"));
    expect([err.errno, err.message]).toEqual(INTERNAL);
    expect(fx.proxy.stats().counters.errors).toBe(errorsBefore + 1);
  }));

/** The error event a client connection gets when the proxy ends it unasked. */
function closedWith(conn: mysql.Connection): Promise<Error> {
  return new Promise((resolve) => conn.once('error', resolve));
}

it('ends only the client whose answer met it mid-way, with ERR 1105; the connection it shared serves the others', () =>
  afterFault(async (victim) => {
    const before = await fx.connect();
    const id = await backendOf(before);
    await before.end();
    const err = await failure(victim.query("SELECT 'trip the answer' AS t"));
    expect([err.errno, err.message]).toEqual(INTERNAL);
    const after = await fx.connect();
    expect(await backendOf(after)).toBe(id);
    await after.end();
  }));

it('interrupts the read a client faulted in the middle of, on the connection it shared, and serves the others', () =>
  afterFault(async (victim) => {
    const kills = fx.proxy.stats().counters.killQueriesSent;
    // Megabytes of rows: the fault meets the first of many reads; the rest are the server's to stop.
    const err = await failure(victim.query("SELECT 'trip the answer' AS t, seq FROM seq_1_to_2000000"));
    expect([err.errno, err.message]).toEqual(INTERNAL);
    // Told it ran for nobody, the server stops it (KILL QUERY), as for a client that leaves.
    await waitFor(() => fx.proxy.stats().counters.killQueriesSent === kills + 1, { what: 'the KILL QUERY' });
  }));

it('ends only the client whose answer met it at the end, after the answer; the others are served', () =>
  afterFault(async (victim) => {
    const closed = closedWith(victim);
    expect((await one(victim, "SELECT 'trip the end' AS t")).t).toBe('trip the end');
    // Unasked for, the ERR reaches mysql2 as a fatal error carrying the server's message only.
    expect((await closed).message).toBe(INTERNAL[1]);
  }));

it('ends only the client whose process list met it as it was written, with ERR 1105; the others list theirs', () =>
  afterFault(async (victim) => {
    const sessions = (fx.proxy as unknown as { clients: Map<number, ClientSession> }).clients;
    processlistVictim = sessions.get(victim.threadId);
    expect(processlistVictim).toBeDefined();
    const errorsBefore = fx.proxy.stats().counters.errors;
    const err = await failure(victim.query('SHOW PROCESSLIST')).finally(() => {
      processlistVictim = undefined;
    });
    expect([err.errno, err.message]).toEqual(INTERNAL);
    expect(fx.proxy.stats().counters.errors).toBe(errorsBefore + 1);
    const other = await fx.connect();
    const [list] = await other.query<mysql.RowDataPacket[]>('SHOW PROCESSLIST');
    expect(list.map((r) => r.Id)).toContain(other.threadId);
    expect(list.map((r) => r.Id)).not.toContain(victim.threadId);
    await other.end();
  }));

it('retires a connection the faulted client held alone: its transaction is rolled back, not handed on', async () => {
  const victim = await fx.connect();
  const closed = closedWith(victim);
  await victim.query('BEGIN');
  await victim.query('INSERT INTO fault_keys VALUES (1)');
  const held = await backendOf(victim);
  expect((await one(victim, "SELECT 'trip the end' AS t")).t).toBe('trip the end');
  expect((await closed).message).toBe(INTERNAL[1]);
  const other = await fx.connect();
  try {
    // On the victim's connection, still in its transaction, this would find key 1 taken.
    await other.query('INSERT INTO fault_keys VALUES (1)');
    expect((await one(other, 'SELECT COUNT(*) AS n FROM fault_keys')).n).toBe(1);
    expect(await backendOf(other)).not.toBe(held);
    await other.query('DELETE FROM fault_keys');
  } finally {
    victim.destroy();
    await other.end();
  }
});

it('leaves alone the connection a faulted client had given back: the client it went to is served', async () => {
  // A row lock held straight at MariaDB keeps the victim's statement running until it is let go.
  const blocker = await fx.direct();
  await blocker.query('BEGIN');
  await blocker.query('INSERT INTO test.fault_keys VALUES (5)');
  const victim = await fx.connect();
  const closed = closedWith(victim);
  const other = await fx.connect();
  try {
    const connection = await backendOf(victim);
    // A locking read: it waits for the lock, and leaves nothing that keeps the connection
    // (an INSERT's affected rows would, for result_hold).
    const tripped = victim
      .query('SELECT /* trip after */ k FROM fault_keys WHERE k = 5 FOR UPDATE')
      .catch(() => {});
    await waitFor(() => fx.proxy.stats().pools[0]!.busy === 1, { what: "the victim's statement running" });
    // The one connection is the victim's: this waits for it, and gets it as the victim's ends.
    const served = other.query('INSERT INTO fault_keys VALUES (6)');
    await waitFor(() => fx.proxy.stats().waiting === 1, { what: "the other client's INSERT waiting" });
    await blocker.query('ROLLBACK');
    await served;
    expect((await closed).message).toBe(INTERNAL[1]);
    await tripped;
    expect(await rows(other, 'SELECT k FROM fault_keys ORDER BY k')).toEqual([{ k: 6 }]);
    // The same connection: nothing the fault left undone was on it (the victim had given it back).
    expect(await backendOf(other)).toBe(connection);
    await other.query('DELETE FROM fault_keys');
  } finally {
    victim.destroy();
    await other.end();
    await blocker.end();
  }
});
