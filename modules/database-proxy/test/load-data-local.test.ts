/**
 * LOAD DATA LOCAL INFILE through the proxy, compared with MariaDB's answers to the same client:
 * an empty file, an error the server meets in the middle of a file (answered once the whole
 * file is read), a LOAD inside a multi-statement text, a client that leaves in the middle of its
 * file (nothing of the file may be kept: the proxy must not end the file for it), and a LOAD
 * whose file comes, in the same write, behind a slow statement. protocol.test.ts streams files
 * through the proxy; packet-limits.test.ts sends files early or cut short by a packet over
 * max_packet_size.
 */
import { Readable } from 'node:stream';
import { encodeFrames } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { rows } from './support/backends.js';
import { END_MARKER, pipelinedAnswers, queryFrame } from './support/pipelined-commands.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

type Side = 'mariadb' | 'proxy';
/** A mysql2 client straight to MariaDB (the reference) or through the proxy (tracked). */
const open = (side: Side, options: mysql.ConnectionOptions = {}) =>
  side === 'mariadb' ? connectAsBackendUser(fx, options) : clients.client(options);

/** `test.<name>_<side>`, created afresh: each side loads into its own table. */
async function table(name: string, side: Side): Promise<string> {
  const full = `${name}_${side}`;
  await fx.mariadb.query(`DROP TABLE IF EXISTS ${full}`);
  await fx.mariadb.query(`CREATE TABLE ${full} (id INT PRIMARY KEY, v VARCHAR(50))`);
  return full;
}

async function rowsIn(name: string): Promise<number> {
  const [{ n }] = await fx.mariadb.query(`SELECT COUNT(*) AS n FROM ${name}`);
  return Number(n);
}

/** The LOAD's outcome as the client sees it: the OK's counts and info, or the error. */
async function outcome(load: Promise<unknown>) {
  try {
    const [header] = (await load) as [mysql.ResultSetHeader];
    return { affectedRows: header.affectedRows, warnings: header.warningStatus, info: header.info };
  } catch (err) {
    const e = err as { errno?: number; message: string };
    return { errno: e.errno, message: e.message };
  }
}

const loadInto = (t: string) => `LOAD DATA LOCAL INFILE 'f.csv' INTO TABLE ${t} FIELDS TERMINATED BY ','`;

/** Runs `each` for MariaDB, then for the proxy: what MariaDB did is the reference. */
async function onBothSides<T>(each: (side: Side) => Promise<T>): Promise<{ mariadb: T; proxy: T }> {
  const reference = await each('mariadb');
  return { mariadb: reference, proxy: await each('proxy') };
}

it('an empty file is answered as MariaDB answers it, and the connection goes on', async () => {
  const seen = await onBothSides(async (side) => {
    const t = await table('li_empty', side);
    const c = await open(side, { infileStreamFactory: () => Readable.from([]) });
    const loaded = await outcome(c.query(loadInto(t)));
    const [after] = await c.query('SELECT 5 AS n');
    if (side === 'mariadb') await c.end();
    return { loaded, rows: await rowsIn(t), after };
  });
  expect(seen.mariadb).toMatchObject({ loaded: { affectedRows: 0 }, rows: 0, after: [{ n: 5 }] });
  expect(seen.proxy).toEqual(seen.mariadb);
});

it('an error the server meets in the middle of a large file (a trigger that signals): its ERR after the whole file, nothing kept, and the connection goes on, as at MariaDB', async () => {
  const seen = await onBothSides(async (side) => {
    const t = await table('li_signal', side);
    await fx.mariadb.query(
      `CREATE TRIGGER ${t}_refuse BEFORE INSERT ON ${t} FOR EACH ROW IF NEW.id = 10000 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused mid-file'; END IF`,
    );
    const c = await open(side, {
      infileStreamFactory: () =>
        Readable.from(
          (function* () {
            for (let k = 0; k < 40; k++) {
              let lines = '';
              for (let i = 0; i < 2000; i++) lines += `${k * 2000 + i},${'x'.repeat(30)}\n`;
              yield Buffer.from(lines);
            }
          })(),
        ),
    });
    const loaded = await outcome(c.query(loadInto(t)));
    const [after] = await c.query('SELECT 5 AS n');
    if (side === 'mariadb') await c.end();
    return { loaded, rows: await rowsIn(t), after };
  });
  expect(seen.mariadb).toEqual({
    loaded: { errno: 1644, message: 'refused mid-file' },
    rows: 0,
    after: [{ n: 5 }],
  });
  expect(seen.proxy).toEqual(seen.mariadb);
});

it('a LOAD inside a multi-statement text: the results before and after it as at MariaDB', async () => {
  const seen = await onBothSides(async (side) => {
    const t = await table('li_multi', side);
    const c = await open(side, {
      multipleStatements: true,
      infileStreamFactory: () => Readable.from([Buffer.from('1,a\n2,b\n')]),
    });
    const [results] = await c.query(`SELECT 1 AS a; ${loadInto(t)}; SELECT COUNT(*) AS n FROM ${t}`);
    const [after] = await c.query('SELECT 5 AS n');
    if (side === 'mariadb') await c.end();
    return { results: JSON.parse(JSON.stringify(results)), after };
  });
  expect(seen.mariadb.results).toHaveLength(3);
  expect(seen.proxy).toEqual(seen.mariadb);
});

it('a client that disconnects in the middle of its file: nothing of it kept, as at MariaDB, and the next client is served', async () => {
  const seen = await onBothSides(async (side) => {
    const t = await table('li_gone', side);
    const loadRunning = async () => {
      const [r] = await fx.mariadb.query(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOAD DATA%${t}%'`,
      );
      return Number(r.n) > 0;
    };
    const c: mysql.Connection = await open(side, {
      infileStreamFactory: () =>
        Readable.from(
          (async function* () {
            for (let k = 0; k < 1000; k++) {
              let lines = '';
              for (let i = 0; i < 100; i++) lines += `${k * 100 + i},x\n`;
              yield Buffer.from(lines);
              if (k === 50) {
                // Part of the file is on its way and the server is reading it: the client goes.
                await waitFor(loadRunning, { what: 'the LOAD on the server' });
                if (side === 'proxy') clients.forget(c);
                c.destroy();
                return;
              }
            }
          })(),
        ),
    });
    await outcome(c.query(loadInto(t)));
    await waitFor(async () => !(await loadRunning()), { what: 'the LOAD to end on the server' });
    const next = await open(side);
    const [counted] = await next.query(`SELECT COUNT(*) AS n FROM ${t}`);
    if (side === 'mariadb') await next.end();
    return { rows: await rowsIn(t), counted };
  });
  expect(seen.mariadb).toEqual({ rows: 0, counted: [{ n: 0 }] });
  expect(seen.proxy).toEqual(seen.mariadb);
});

it('behind a slow statement, its 300 file packets (sequence ids wrapping past 255) and more queries in the same write: answered as at MariaDB', async () => {
  await fx.mariadb.query('CREATE TABLE li_early (id INT PRIMARY KEY, v VARCHAR(20))');
  const parts = [
    queryFrame('SELECT SLEEP(0.3) AS s'),
    queryFrame("LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE li_early FIELDS TERMINATED BY ','"),
  ];
  // The server asks for the file at sequence id 1: its packets are 2, 3…
  for (let k = 0; k < 300; k++) parts.push(encodeFrames(Buffer.from(`${k},v${k}\n`), 2 + k));
  parts.push(encodeFrames(Buffer.alloc(0), 302));
  for (let i = 0; i < 5; i++) parts.push(queryFrame(`SELECT ${100 + i} AS n`));
  parts.push(END_MARKER);
  const bytes = Buffer.concat(parts);
  const reference = await pipelinedAnswers(fx.mariadb.port, BACKEND_USER, bytes, []);
  expect(reference.answered).toBe(true);
  expect(await rowsIn('li_early')).toBe(300);
  await fx.mariadb.query('TRUNCATE TABLE li_early');
  const proxied = await pipelinedAnswers(fx.port, APP_USER, bytes, []);
  expect(proxied.answered).toBe(true);
  expect(proxied.answers).toEqual(reference.answers);
  expect(await rowsIn('li_early')).toBe(300);
});

it('the server’s answers cut a few bytes at a time: each LOAD is answered once, and the next statement too', async () => {
  // The final OK's header cut short once passed for another request for the file: the proxy
  // wrote its first bytes to the client and dropped the session (every client's LOAD, any driver).
  const { fx: viaRelay, relay } = await startRelayedProxy(fx.mariadb, 2);
  try {
    relay.dribble = 3;
    const t = await table('dribbled', 'proxy');
    const c = await viaRelay.connect({
      infileStreamFactory: () => Readable.from([Buffer.from('1,a\n2,b\n3,c\n')]),
    });
    try {
      for (let round = 0; round < 5; round++) {
        await c.query(`DELETE FROM ${t}`);
        expect(await outcome(c.query(loadInto(t)))).toEqual({
          affectedRows: 3,
          warnings: 0,
          info: 'Records: 3  Deleted: 0  Skipped: 0  Warnings: 0',
        });
        expect(await rows(c, 'SELECT COUNT(*) AS n FROM ' + t)).toEqual([{ n: 3 }]);
      }
    } finally {
      await c.end();
    }
  } finally {
    await viaRelay.stop();
  }
});
