/**
 * KILL QUERY with two backend servers: the backend thread id a running statement has is an id
 * on *its* server; the KILL QUERY the proxy sends for it must go to that server.
 */
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyFixture } from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';
import { startTwoServerProxy, type TwoServerProxy } from './support/two-servers.js';

let both: TwoServerProxy;
let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  // One connection per server: while the victim's statement holds its server's connection, any
  // other statement (the KILL QUERY) runs on the other server.
  both = await startTwoServerProxy();
  fx = both.fx;
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await both?.stop();
});

describe('KILL QUERY with more than one backend server', () => {
  it("goes to the server that runs the victim's statement", async () => {
    const victim = await clients.client({ database: undefined });
    const killer = await clients.client({ database: undefined });
    const sleeping = watch(
      victim.query('SELECT SLEEP(5) AS s').then(([rows]) => Number((rows as { s: number }[])[0]!.s)),
    );
    await waitFor(() => fx.proxy.stats().clients.find((c) => c.id === victim.threadId)?.state === 'active', {
      what: "the victim's SLEEP to run",
    });
    const kill = await killer.query(`KILL QUERY ${victim.threadId}`).then(
      () => 'ok',
      (e: { errno?: number; message?: string }) => `${e.errno}: ${e.message}`,
    );
    // Interrupted: SLEEP returns 1 (or the statement fails 1317), not 0 after 5 s.
    const outcome = await sleeping.promise.catch((e: { errno?: number }) => e.errno);
    expect({ kill, interrupted: outcome === 1 || outcome === 1317 }).toEqual({
      kill: 'ok',
      interrupted: true,
    });
  });
});
