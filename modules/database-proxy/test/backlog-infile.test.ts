/**
 * Commands that wait for a client to read its answers (ClientOutput.reading) must not
 * change how its next packets are read: a LOAD DATA LOCAL file sent right behind its statement
 * (numbered 2, 3, …) is taken as the file, as MariaDB takes it — not refused as out of sequence
 * because the proxy is not busy while the commands wait.
 */
import { encodeFrames } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { END_MARKER, queryFrame } from './support/pipelined-commands.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { errnos, frames, RawMysqlClient } from './support/raw-mysql-client.js';

let fx: ProxyFixture;
const raws: RawMysqlClient[] = [];

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
});
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy();
});
afterAll(async () => {
  await fx?.stop();
});

async function rawClient(port: number, user = 'app', password = 'secret'): Promise<RawMysqlClient> {
  const c = await RawMysqlClient.open(port);
  raws.push(c);
  expect((await c.login({ user, password, database: 'test' })).kind).toBe('ok');
  return c;
}

/** The end marker's row arrived. */
const endSeen = (c: RawMysqlClient) => c.received.includes(Buffer.from('\u000aend-marker', 'latin1'));

/**
 * A client that has not read a big answer yet (its socket above the high-water mark, the
 * command done) sends a LOAD DATA LOCAL with its file right behind it, as the proxy accepts
 * behind a running command (load-data-local.test.ts) and MariaDB always does.
 */
async function loadBehindUnreadAnswer(port: number, user: string, password: string, table: string) {
  const c = await rawClient(port, user, password);
  c.socket.pause();
  // Answers of 12 KB, none read, in batches of 30 (below the proxy's queue limit, which would
  // pause its reading of the client): the proxy's socket to the client fills, and the commands
  // behind wait for it to drain (MariaDB's thread blocks in its write).
  const batch = () =>
    Buffer.concat(
      Array.from({ length: 30 }, () => queryFrame("SELECT REPEAT('x', 1200) AS r FROM seq_1_to_10")),
    );
  if (port !== fx.port) {
    for (let i = 0; i < 20; i++) await c.write(batch());
  } else {
    const before = fx.proxy.stats().counters.queries;
    let sent = 0;
    const me = () => fx.proxy.stats().clients.find((x) => x.user === 'app');
    for (let i = 0; ; i++) {
      expect(i).toBeLessThan(400);
      await c.write(batch());
      sent += 30;
      await waitFor(
        () =>
          (me()?.state === 'idle' && me()?.slowReader) ||
          (fx.proxy.stats().counters.queries - before === sent && me()?.state === 'idle'),
        { what: 'the batch to run or to wait for the client', timeout: 20_000 },
      );
      if (me()?.slowReader) break;
    }
  }
  const parts = [queryFrame(`LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE ${table} FIELDS TERMINATED BY ','`)];
  for (let k = 0; k < 3; k++) parts.push(encodeFrames(Buffer.from(`${k},v${k}\n`), 2 + k));
  parts.push(encodeFrames(Buffer.alloc(0), 5));
  parts.push(END_MARKER);
  await c.write(Buffer.concat(parts));
  c.socket.resume();
  const ended = await c.until(() => endSeen(c) || c.closed, 30_000);
  const fs = frames(c.received, c.base).filter((f) => f.payload.length < 1000);
  return { ended, endSeen: endSeen(c), errs: errnos(fs), closed: c.closed };
}

it('LOAD DATA LOCAL with its file sent early, while the answer before it waits for the client to read: loaded as at MariaDB', async () => {
  await fx.mariadb.query('CREATE TABLE IF NOT EXISTS rq_li (id INT PRIMARY KEY, v VARCHAR(20))');
  await fx.mariadb.query('TRUNCATE TABLE rq_li');
  const reference = await loadBehindUnreadAnswer(fx.mariadb.port, 'proxy', 'proxypw', 'rq_li');
  const [{ n: atMariadb }] = (await fx.mariadb.query('SELECT COUNT(*) AS n FROM rq_li')) as { n: number }[];
  expect(reference.endSeen).toBe(true);
  expect(Number(atMariadb)).toBe(3);
  await fx.mariadb.query('TRUNCATE TABLE rq_li');

  const proxied = await loadBehindUnreadAnswer(fx.port, 'app', 'secret', 'rq_li');
  const [{ n }] = (await fx.mariadb.query('SELECT COUNT(*) AS n FROM rq_li')) as { n: number }[];
  expect({ errs: proxied.errs, endSeen: proxied.endSeen, rows: Number(n) }).toEqual({
    errs: reference.errs,
    endSeen: true,
    rows: 3,
  });
});
