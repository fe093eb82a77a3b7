/**
 * A fault of the proxy's own while it handles one client's input (a bug: here one injected into
 * the statement dispatch) ends that client's connection with ERR 1105 and is logged; one while it
 * forwards a server's answer (injected into the client's response sink) drops that backend
 * connection, whose client gets an error. Every other client carries on and the proxy keeps
 * serving. Uncaught, either ended the process and everyone.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClientSession } from '../src/frontend/client-session.js';
import { failure, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
type Dispatch = (this: ClientSession, payload: Buffer, ...rest: unknown[]) => void;
type OnResponseData = (this: ClientSession, chunk: Buffer, start: number, end: number) => boolean;
const proto = ClientSession.prototype as unknown as { dispatch: Dispatch; onResponseData: OnResponseData };
const dispatch = proto.dispatch;
const onResponseData = proto.onResponseData;

beforeAll(async () => {
  proto.dispatch = function (this: ClientSession, payload: Buffer, ...rest: unknown[]) {
    if (payload.includes('trip the proxy')) throw new Error('injected fault');
    return dispatch.call(this, payload, ...rest);
  };
  proto.onResponseData = function (this: ClientSession, chunk: Buffer, start: number, end: number) {
    if (chunk.subarray(start, end).includes('trip the answer')) throw new Error('injected fault');
    return onResponseData.call(this, chunk, start, end);
  };
  fx = await startProxyFixture({ pool: 2 });
});

afterAll(async () => {
  proto.dispatch = dispatch;
  proto.onResponseData = onResponseData;
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
    expect([err.errno, err.message]).toEqual([
      1105,
      'Internal error in the proxy (logged there); the connection is closed',
    ]);
    expect(fx.proxy.stats().counters.errors).toBe(errorsBefore + 1);
  }));

it('drops only the backend connection whose answer met it: its client gets the lost-backend error, the others carry on', () =>
  afterFault(async (victim) => {
    const err = await failure(victim.query("SELECT 'trip the answer' AS t"));
    expect([err.errno, err.message]).toEqual([
      9005,
      'Proxy: lost the backend connection during the query; it was not retried (injected fault)',
    ]);
  }));
