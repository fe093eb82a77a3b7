/**
 * Stacked reads whose answers arrive cut anywhere: a relay between the proxy and a real MariaDB
 * hands the server's bytes on in pieces of 1–40 bytes (seeded, so a failure can be replayed),
 * each written on its own turn of the event loop. Every client must still get exactly its own
 * rows, errors and prepared-statement results, in order.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  buildExecute,
  buildInitDb,
  buildPing,
  buildPrepare,
  buildSendLongData,
  buildStmtClose,
  buildStmtFetch,
  CursorType,
  encodeFrames,
} from '@scalestack/mysql-protocol';
import { prng } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Row, rows } from './support/backends.js';
import { END_MARKER, pipelinedAnswers, queryFrame } from './support/pipelined-commands.js';
import { APP_USER, BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

/**
 * A TCP relay to `port`: the client's bytes go through as they come; the server's are cut into
 * pieces of 1–40 bytes, one piece per event-loop turn, order kept.
 */
async function choppingRelay(port: number, seed: number): Promise<{ port: number; close(): Promise<void> }> {
  const random = prng(seed);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (client) => {
    const upstream = netConnect({ host: '127.0.0.1', port, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const pending: Buffer[] = [];
    let pumping = false;
    const pump = () => {
      const head = pending[0];
      if (head === undefined || client.destroyed) {
        pumping = false;
        return;
      }
      const size = Math.min(head.length, 1 + Math.floor(random() * 40));
      client.write(head.subarray(0, size));
      if (size === head.length) pending.shift();
      else pending[0] = head.subarray(size);
      setImmediate(pump);
    };
    upstream.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      if (!pumping) {
        pumping = true;
        setImmediate(pump);
      }
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const SEED = 20261202;
let fx: ProxyFixture;
let relay: Awaited<ReturnType<typeof choppingRelay>>;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  const base = await startProxyFixture({ pool: 1 });
  const admin = await base.direct();
  await admin.query('CREATE TABLE chopped (id INT PRIMARY KEY, note VARCHAR(40))');
  await admin.query("INSERT INTO chopped VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  await admin.end();
  relay = await choppingRelay(base.mariadb.port, SEED);
  // The proxy under test reaches MariaDB through the relay; `base` only lent its server.
  fx = await startProxyFixture({
    pool: 16,
    mariadb: base.mariadb,
    options: {
      backends: [
        { name: 'chopped', address: `127.0.0.1:${relay.port}`, user: 'proxy', password: 'proxypw', pool: 16 },
      ],
      pipeline_connections: 2,
      pipeline_depth: 16,
      pipeline_stall: '1h',
    },
  });
  // Stop the lending fixture's kernel but keep its MariaDB (ours now, stopped in afterAll).
  await base.kernel.shutdown();
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
  await relay?.close();
  await fx?.mariadb.stop();
});

/** One client's round: four pure reads of different shapes, one of them failing. */
async function round(c: mysql.Connection, i: number, r: number): Promise<void> {
  const v = r * 100 + i;
  const padding = (i * 97 + r * 31) % 3000;
  expect(await rows(c, 'SELECT ? AS v, REPEAT(?, ?) AS pad', [v, 'x', padding])).toEqual([
    { v, pad: 'x'.repeat(padding) },
  ]);
  expect(await rows(c, 'SELECT id, note FROM chopped WHERE id <= ? ORDER BY id', [1 + (i % 3)])).toEqual(
    [
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
      { id: 3, note: 'three' },
    ].slice(0, 1 + (i % 3)),
  );
  const err = await failure(c.query(`SELECT no_such_column_${i} FROM chopped`));
  expect(err.errno).toBe(1054);
  expect(err.message).toContain(`no_such_column_${i}`);
  const [prepared] = await c.execute('SELECT ? + 1 AS next, ? AS who', [v, `client ${i}`]);
  expect(prepared as Row[]).toEqual([{ next: v + 1, who: `client ${i}` }]);
}

describe('stacked reads over a connection that cuts answers anywhere', () => {
  it('every client gets exactly its own answers, errors included', async () => {
    const many = await Promise.all(Array.from({ length: 16 }, () => clients.client()));
    const before = fx.proxy.stats();
    for (let r = 0; r < 12; r++) await Promise.all(many.map((c, i) => round(c, i, r)));
    const after = fx.proxy.stats();
    expect(after.pipeline.stacked - before.pipeline.stacked).toBeGreaterThan(0);
    expect(after.counters.backendLost).toBe(before.counters.backendLost);
  });
});

// The other direction: the client's commands cut anywhere, several in one write, as a
// pipelining client sends them. The same bytes go straight to MariaDB for the reference answers.
describe('commands a client pipelines, its stream cut anywhere', () => {
  /** The statement prepared last (MariaDB's id for it, which pipelining clients use). */
  const LAST = 0xffffffff;
  const command = (payload: Buffer) => encodeFrames(payload, 0);

  /** Small commands of every kind: results, OKs, errors, warnings, session state, a transaction. */
  const everyKind = () =>
    Buffer.concat([
      queryFrame('SELECT 1 AS a'),
      command(buildPrepare('SELECT ? AS a, NULL AS b, 3 AS c')),
      command(buildExecute({ statementId: LAST, params: [77] })),
      command(buildPing()),
      queryFrame('SET @x = 5'),
      queryFrame('SELECT @x AS x'),
      command(buildInitDb('test')),
      queryFrame('SELECT 1/0 AS z'),
      queryFrame('SHOW WARNINGS'),
      queryFrame("UPDATE piped SET v = 'b' WHERE id < 0"),
      queryFrame('SELECT ROW_COUNT() AS rc'),
      queryFrame('SELECT no_such_column FROM piped'),
      queryFrame('BEGIN'),
      queryFrame('SELECT COUNT(*) > 0 AS c FROM piped'),
      queryFrame('COMMIT'),
    ]);

  /** A cursor fetched around a query, long data in two pieces, a statement closed then executed. */
  const statements = () =>
    Buffer.concat([
      command(buildPrepare("SELECT seq, REPEAT('r', seq) AS r FROM seq_1_to_12")),
      command(buildExecute({ statementId: LAST, params: [], flags: CursorType.READ_ONLY })),
      command(buildStmtFetch(LAST, 5)),
      queryFrame('SELECT 99 AS between_fetches'),
      command(buildStmtFetch(LAST, 5)),
      command(buildStmtFetch(LAST, 5)),
      command(buildStmtFetch(LAST, 5)), // the cursor is exhausted
      command(buildPrepare('SELECT LENGTH(?) AS l, ? AS t')),
      command(buildSendLongData(LAST, 0, Buffer.alloc(3000, 0x41))),
      command(buildSendLongData(LAST, 0, Buffer.alloc(5, 0x42))),
      command(
        buildExecute({ statementId: LAST, params: [{ value: null, longData: true }, Buffer.from('abc')] }),
      ),
      command(buildStmtClose(LAST)),
      command(buildExecute({ statementId: LAST, params: [Buffer.from('a'), Buffer.from('b')] })),
    ]);

  beforeAll(async () => {
    await fx.mariadb.query('CREATE TABLE piped (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))');
  });

  async function expectMariaDBsAnswers(bytes: Buffer, seed: number, proxySeeds = [seed]): Promise<void> {
    const reference = await pipelinedAnswers(fx.mariadb.port, BACKEND_USER, bytes, { seed });
    expect(reference.answered).toBe(true);
    const proxied = await Promise.all(
      proxySeeds.map((s) => pipelinedAnswers(fx.port, APP_USER, bytes, { seed: s })),
    );
    for (const p of proxied) {
      expect(p.answered).toBe(true);
      expect(p.answers).toEqual(reference.answers);
    }
  }

  it.each([1, 2, 3])('small commands of every kind are answered as MariaDB answers them (seed %i)', (seed) =>
    expectMariaDBsAnswers(Buffer.concat([everyKind(), END_MARKER]), seed),
  );

  it.each([7, 8, 9])(
    'cursor fetches, long data, and a statement closed then executed are answered as MariaDB answers them (seed %i)',
    (seed) => expectMariaDBsAnswers(Buffer.concat([statements(), END_MARKER]), seed),
  );

  it('eight clients pipelining both at once, each cut its own way: each gets the answers MariaDB gives one', () =>
    expectMariaDBsAnswers(
      Buffer.concat([statements(), everyKind(), END_MARKER]),
      100,
      Array.from({ length: 8 }, (_, i) => 101 + i),
    ));
});
