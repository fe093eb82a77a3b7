/**
 * KILL QUERY of a statement in each state it can be in: stacked behind another read (with its
 * re-prepare), running (the KILL goes out at once and hits nobody else), a read run again for
 * the statement after it, a command without a response. Against real MariaDB, through proxies
 * whose reads stack on one connection, or that have two slots.
 */
import { buildPing, buildPrepare, buildSendLongData } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { failure, hold, one, type Row } from './support/backends.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

const BLOCKED = 'SELECT COUNT(*) AS n FROM kr_locked';

let stacked: ProxyFixture;
let small: ProxyFixture;
let admin: mysql.Connection;
const stackedClients = trackedClients(() => stacked);
const smallClients = trackedClients(() => small);

/** Uncaught errors in this process (a proxy callback that throws kills a real proxy). */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  // Reads stack on one shared connection, which never counts as stalled.
  stacked = await startProxyFixture({
    pool: 10,
    options: { pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '1h' },
  });
  // Two backends, two slots: a third statement waits in the tenant's queue.
  small = await startProxyFixture({ pool: 2, mariadb: stacked.mariadb });
  admin = await stacked.direct();
  await admin.query('CREATE TABLE kr_locked (id INT PRIMARY KEY)');
  await admin.query('INSERT INTO kr_locked VALUES (1), (2), (3)');
  process.prependListener('uncaughtException', onUncaught);
});

afterEach(async () => {
  await stackedClients.closeAll();
  await smallClients.closeAll();
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await admin?.end();
  await small?.stop();
  await stacked?.stop();
});

async function waitingForLock(): Promise<number[]> {
  const [r] = await admin.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO = ? AND STATE LIKE '%lock%'",
    [BLOCKED],
  );
  return (r as Row[]).map((x) => Number(x.id));
}

describe('KILL QUERY of a statement not on the server yet', () => {
  it('an execute stacked while its statement is prepared there: the late prepare does not run the next statement', async () => {
    const locker = await stackedClients.client();
    await locker.query('LOCK TABLES kr_locked WRITE');
    const reader = await stackedClients.client();
    const read = watch(one(reader, BLOCKED));
    await waitFor(async () => (await waitingForLock()).length === 1, {
      what: 'the read to wait for the lock',
    });

    const victim = await stackedClients.client();
    const killer = await stackedClients.client();
    // Prepared on a connection of its own (the shared one is busy); executed on the shared one,
    // where the statement is missing: its prepare is stacked behind the waiting read.
    const before = stacked.proxy.stats();
    const exec = watch(victim.execute('SELECT ? * 3 AS v /* kill review */', [1]));
    await waitFor(() => stacked.proxy.stats().pipeline.stacked > before.pipeline.stacked, {
      what: 'the execute to stack behind the waiting read',
    });
    await killer.query(`KILL QUERY ${victim.threadId}`);
    expect((await failure(exec.promise)).errno).toBe(1317);

    // The victim goes on: its next read stacks on the same shared connection, behind the
    // interrupted execute's prepare.
    const next = watch(one(victim, 'SELECT 8 AS v'));
    await waitFor(() => stacked.proxy.stats().pipeline.stacked > before.pipeline.stacked + 1, {
      what: 'the next read to stack on the same connection',
    });
    await locker.query('UNLOCK TABLES');
    expect(await read.promise).toEqual({ n: 3 });
    await waitFor(() => next.state !== 'pending' || uncaught.length > 0, { what: 'the next read to end' });
    expect(uncaught.map((e) => String(e))).toEqual([]);
    expect(next.error?.message).toBeUndefined();
    expect(next.value).toEqual({ v: 8 });
    expect(await one(victim, 'SELECT 9 AS v')).toEqual({ v: 9 });
  });
});

describe('KILL QUERY of a running statement', () => {
  it('is sent at once, outside the queue, and the backend thread goes to nobody else before it is answered', async () => {
    const holder = await hold(small); // one of the two backends, and its slot
    const victim = await smallClients.client();
    const bystander = await smallClients.client();
    const killer = await smallClients.client();
    const stateOf = (c: mysql.Connection) =>
      small.proxy.stats().clients.find((s) => s.id === c.threadId)?.state;
    const sleep = (c: mysql.Connection, s: number) =>
      watch(c.query(`SELECT SLEEP(${s}) AS s`).then(([rows]) => Number((rows as { s: number }[])[0]!.s)));
    try {
      const victimSleep = sleep(victim, 60);
      await waitFor(() => stateOf(victim) === 'active', { what: "the victim's SLEEP to run" });
      // The bystander waits for the victim's slot, then runs on the victim's backend thread.
      const bystanderSleep = sleep(bystander, 1);
      await waitFor(() => stateOf(bystander) === 'waiting', { what: 'the bystander to wait for a slot' });
      // Every slot is taken: a KILL QUERY that queued like a statement would wait 60 s.
      await killer.query(`KILL QUERY ${victim.threadId}`);
      expect([1, 1317]).toContain(await victimSleep.promise.catch((e: { errno?: number }) => e.errno));
      // The bystander was never named by any KILL: its SLEEP runs its course (0), not 1 / 1317.
      expect(await bystanderSleep.promise.catch((e: { errno?: number }) => e.errno)).toBe(0);
    } finally {
      await holder.release();
    }
  });
});

describe('KILL QUERY while a read is run again for the statement that asks about it', () => {
  it('interrupts the statement (SHOW WARNINGS) whose replayed read waits for a slot', async () => {
    const victim = await smallClients.client();
    const killer = await smallClients.client();
    // A pure read with a warning, on a shared connection: SHOW WARNINGS must run it again.
    await victim.query("SELECT CAST('12abc' AS SIGNED) AS v");
    const holders = [await hold(small), await hold(small)];
    try {
      const warnings = watch(victim.query('SHOW WARNINGS'));
      await waitFor(
        () => small.proxy.stats().clients.find((c) => c.id === victim.threadId)?.state === 'waiting',
        { what: 'the replayed read to wait for a slot' },
      );
      await killer.query(`KILL QUERY ${victim.threadId}`);
      // As for any statement waiting for a slot: answered 1317 at once.
      await waitFor(() => warnings.state !== 'pending', {
        what: 'SHOW WARNINGS to be answered',
        timeout: 2000,
      });
      expect(warnings.error?.errno).toBe(1317);
    } finally {
      await Promise.all(holders.map((h) => h.release()));
    }
    // The interrupted client goes on, in step.
    expect(await one(victim, 'SELECT 2 AS v')).toEqual({ v: 2 });
  });

  it('interrupts the statement (SHOW WARNINGS) whose replayed read is running on the server', async () => {
    const victim = await stackedClients.client();
    const killer = await stackedClients.client();
    const locker = await stackedClients.client();
    // A pure read of a table, on a shared connection: SHOW WARNINGS runs it again first.
    expect(await one(victim, 'SELECT COUNT(*) AS n FROM kr_locked')).toEqual({ n: 3 });
    await locker.query('LOCK TABLES kr_locked WRITE');
    try {
      const warnings = watch(victim.query('SHOW WARNINGS'));
      // The read run again waits for the lock on the server (the client sees SHOW WARNINGS running).
      await waitFor(async () => (await waitingForLock()).length === 1, { what: 'the replayed read to wait' });
      await killer.query(`KILL QUERY ${victim.threadId}`);
      await locker.query('UNLOCK TABLES');
      await waitFor(() => warnings.state !== 'pending', { what: 'SHOW WARNINGS to be answered' });
      expect(warnings.error?.errno).toBe(1317);
    } finally {
      await locker.query('UNLOCK TABLES');
    }
    expect(await one(victim, 'SELECT 1 AS v')).toEqual({ v: 1 });
  });
});

describe('KILL QUERY of a command that has no response', () => {
  it('COM_STMT_SEND_LONG_DATA waiting for a slot: no ERR is written for it (the next answer stays in step)', async () => {
    const c = await RawClient.connect({
      host: '127.0.0.1',
      port: small.port,
      user: APP_USER.name,
      password: APP_USER.password,
      database: 'test',
    });
    const killer = await smallClients.client();
    const holders: Awaited<ReturnType<typeof hold>>[] = [];
    try {
      const prepared = await c.command(buildPrepare('SELECT LENGTH(?) AS n'));
      expect(prepared.error).toBeUndefined();
      const statementId = prepared.prepared!.statementId;
      holders.push(await hold(small), await hold(small));
      // Long data has no reply: the raw client does not wait; the proxy queues it for a slot.
      await c.command(buildSendLongData(statementId, 0, Buffer.from('abc')));
      await waitFor(
        () => small.proxy.stats().clients.find((s) => s.id === c.session.connectionId)?.state === 'waiting',
        { what: 'the long data to wait for a slot' },
      );
      await killer.query(`KILL QUERY ${c.session.connectionId}`);
      await Promise.all(holders.splice(0).map((h) => h.release()));
      // The server never answers COM_STMT_SEND_LONG_DATA, killed or not: the ping's answer is the
      // ping's OK, not an ERR 1317 left over from the long data.
      const ping = await c.command(buildPing());
      expect(ping.error?.errno).toBeUndefined();
    } finally {
      await Promise.all(holders.map((h) => h.release()));
      await c.close();
    }
  });
});
