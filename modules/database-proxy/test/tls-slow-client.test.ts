/**
 * Backend reads are lent (Connection.lendReads) and written to clients as views: a TLS client
 * that stops reading must still get every byte of its answer as sent, under the tests'
 * poisoning of lent memory.
 */
import type tls from 'node:tls';
import { type SelfSignedCert, selfSignedCert, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;
let cert: SelfSignedCert;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  cert = await selfSignedCert('localhost');
  fx = await startProxyFixture({
    pool: 1,
    options: { tls_key: cert.keyPath, tls_cert: cert.certPath },
  });
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await fx?.stop();
});

const streamOf = (c: mysql.Connection) =>
  (c as unknown as { connection: { stream: tls.TLSSocket } }).connection.stream;

it('a TLS client that stops reading gets every small row as sent', async () => {
  const slow = await clients.client({ ssl: { ca: cert.cert } });
  expect(streamOf(slow).encrypted).toBe(true);
  streamOf(slow).pause();
  const big = slow.query(
    'SELECT seq AS n, REPEAT(CHAR(65 + seq % 26 USING ascii), 100) AS r FROM seq_1_to_200000',
  );
  await waitFor(() => fx.proxy.stats().clients.some((c) => c.slowReader), { what: 'the slow reader' });
  streamOf(slow).resume();
  const [rows] = (await big) as [{ n: number; r: string }[], unknown];
  expect(rows).toHaveLength(200_000);
  const wrong = rows.filter((row) => row.r !== String.fromCharCode(65 + (Number(row.n) % 26)).repeat(100));
  expect(wrong.length).toBe(0);
});
