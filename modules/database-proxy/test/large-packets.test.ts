/**
 * Packets of 16 MiB and more — sent as frames of 0xFFFFFF bytes and a shorter (possibly empty)
 * last one, each numbered in turn — through the proxy, compared with MariaDB's answers to the
 * same bytes: commands and rows of several frames, the sequence ids of the answers the proxy
 * writes itself (they continue after the client's last frame, as MariaDB's do), a continuation
 * frame numbered out of turn, a backend lost after rows of several frames, readers that stop in
 * the middle of such a row, long data and LOAD DATA LOCAL files of that size, and such packets
 * pipelined with small ones. A client that miscounts here is left waiting or reads garbage.
 *
 * The file's MariaDB runs with max_allowed_packet=64M: it takes what the proxy takes (its
 * max_packet_size is 64MiB), so the answers compared are to the commands, not to their size.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  buildExecute,
  buildPrepare,
  buildSendLongData,
  encodeFrames,
  MAX_FRAME_PAYLOAD,
} from '@scalestack/mysql-protocol';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient, RawResponse } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { failure, one } from './support/backends.js';
import { END_MARKER, pipelinedAnswers, queryFrame } from './support/pipelined-commands.js';
import { APP_USER, BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { rawLogin } from './support/raw-login.js';
import { errnos, RawMysqlClient } from './support/raw-mysql-client.js';

const MAX = MAX_FRAME_PAYLOAD;
const MiB = 1024 * 1024;
type Account = { name: string; password: string };

let mariadb: MariaDB;
let fx: ProxyFixture;
/** One backend connection and a queue timeout of 300 ms: a client behind a holder gets ERR 9001. */
let queued: ProxyFixture;

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 3000, args: ['--max-allowed-packet=64M'] });
  fx = await startProxyFixture({ pool: 2, mariadb });
  queued = await startProxyFixture({
    pool: 1,
    mariadb,
    createBackendUser: false,
    options: { queue_timeout: '300ms' },
  });
  await mariadb.query('CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB)');
});

afterAll(async () => {
  await queued?.stop();
  await fx?.stop();
  await mariadb?.stop();
});

/**
 * Runs `each` against MariaDB (as the proxy's own user) and then through the proxy (as the app's
 * user): what MariaDB did is the reference for the proxy.
 */
async function onBothSides<T>(
  each: (port: number, user: Account, side: 'mariadb' | 'proxy') => Promise<T>,
): Promise<{ mariadb: T; proxy: T }> {
  const mariadbOutcome = await each(fx.mariadb.port, BACKEND_USER, 'mariadb');
  return { mariadb: mariadbOutcome, proxy: await each(fx.port, APP_USER, 'proxy') };
}

/** A COM_QUERY payload of `sql` and a comment that pads it to exactly `size` bytes. */
function paddedQuery(sql: string, size: number): Buffer {
  const head = Buffer.from(`\u0003${sql} /*`, 'latin1');
  const payload = Buffer.alloc(size, 0x61);
  head.copy(payload);
  payload.write('*/', size - 2, 'latin1');
  return payload;
}

/** A payload of `size` bytes: `head`, then spaces (a statement) or zeros (anything else). */
function padded(head: Buffer, size: number, fill: number): Buffer {
  const payload = Buffer.alloc(size, fill);
  head.copy(payload);
  return payload;
}

/** The answer's packets as a client tells them apart. */
const shape = (r: RawResponse) =>
  r.packets.map((p) => ({
    seq: p.sequenceId,
    lastSeq: p.lastSequenceId,
    first: p.payload[0],
    length: p.payload.length,
    errno: p.payload[0] === 0xff ? p.payload.readUInt16LE(1) : undefined,
  }));

/** Each side's answer to `payload`, sent by a fresh raw client as one command (its frames 0, 1…). */
function answersOnBothSides(payload: Buffer) {
  return onBothSides(async (port, user) => {
    const c = await rawLogin(port, user);
    try {
      return shape(await c.command(payload));
    } finally {
      await c.close();
    }
  });
}

/** mysql2's socket under a promise connection. */
const socketOf = (conn: mysql.Connection): Socket =>
  (conn as unknown as { connection: { stream: Socket } }).connection.stream;

/** A client of `queued` holding its one backend connection in a transaction. */
async function holdQueuedBackend(): Promise<{ release(): Promise<void> }> {
  const holder = await queued.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM big LIMIT 1');
  return {
    async release() {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

describe('commands of 16 MiB and more', () => {
  it.each([
    ['exactly 0xFFFFFF bytes (an empty frame ends it)', MAX],
    ['0xFFFFFF + 10 bytes', MAX + 10],
  ])('a COM_QUERY of %s is answered as MariaDB answers it', async (_, size) => {
    const answers = await answersOnBothSides(paddedQuery('SELECT 1 AS one', size));
    expect(answers.mariadb.map((p) => p.seq)).toEqual([2, 3, 4, 5]);
    expect(answers.proxy).toEqual(answers.mariadb);
  });

  // An answer numbered 1 after a command of two frames is out of order: a client that checks
  // gives up the connection, or takes it for an answer to a frame it is still sending.
  it.each([
    [
      'a BEGIN padded with spaces (answered lazily)',
      () => padded(Buffer.from('\u0003BEGIN'), MAX + 10, 0x20),
    ],
    ['COM_PING', () => padded(Buffer.from([0x0e]), MAX + 10, 0)],
    ['an unknown command (COM_TIME)', () => padded(Buffer.from([0x0f]), MAX + 10, 0)],
    [
      'COM_STMT_EXECUTE of a statement id the session does not have (1243)',
      () => padded(Buffer.from([0x17, 0x92, 0x10, 0, 0]), MAX + 10, 0),
    ],
  ])('the proxy answers %s sent in two frames at sequence 2, as MariaDB does', async (_, payload) => {
    const forwarded = fx.proxy.stats().counters.queries;
    const answers = await answersOnBothSides(payload());
    expect(fx.proxy.stats().counters.queries, 'commands forwarded to a backend').toBe(forwarded);
    expect(answers.mariadb.map((p) => p.seq)).toEqual([2]);
    // The length differs: the proxy's messages are its own.
    const seen = (a: typeof answers.proxy) => a.map(({ seq, first, errno }) => ({ seq, first, errno }));
    expect(seen(answers.proxy)).toEqual(seen(answers.mariadb));
  });

  it.each([
    ['COM_STMT_FETCH without a cursor (1421)', 0x1c],
    ['COM_STMT_RESET', 0x1a],
  ])(
    'the proxy answers %s of 16 MiB+ for a statement on no backend at sequence 2, as MariaDB does',
    async (_, command) => {
      const answers = await onBothSides(async (port, user, side) => {
        const c = await rawLogin(port, user);
        try {
          const id = (await c.command(buildPrepare('SELECT 1 AS one'))).prepared!.statementId;
          const head = Buffer.alloc(9);
          head[0] = command;
          head.writeUInt32LE(id, 1);
          head.writeUInt32LE(1, 5); // a fetch's row count; the rest is padding
          if (side === 'proxy')
            // Until then the prepare's backend is held for its results, and would answer.
            await waitFor(() => fx.proxy.stats().clients.every((s) => s.pinned.length === 0), {
              what: 'the client to hold no backend',
            });
          const forwarded = fx.proxy.stats().counters.queries;
          const r = await c.command(padded(head, MAX + 10, 0));
          if (side === 'proxy')
            expect(fx.proxy.stats().counters.queries, 'forwarded to a backend').toBe(forwarded);
          return shape(r).map(({ seq, first, errno }) => ({ seq, first, errno }));
        } finally {
          await c.close();
        }
      });
      expect(answers.mariadb.map((p) => p.seq)).toEqual([2]);
      expect(answers.proxy).toEqual(answers.mariadb);
    },
  );

  it('a COM_QUERY of 17 MB that waits past queue_timeout gets ERR 9001 at sequence 2, after its two frames', async () => {
    const holder = await holdQueuedBackend();
    const c = await rawLogin(queued.port, APP_USER);
    try {
      const r = await c.command(
        Buffer.concat([
          Buffer.from("\u0003INSERT INTO big VALUES (99, '"),
          Buffer.alloc(17 * MiB, 0x61),
          Buffer.from("')"),
        ]),
      );
      expect(shape(r).map(({ seq, lastSeq, errno }) => ({ seq, lastSeq, errno }))).toEqual([
        { seq: 2, lastSeq: 2, errno: 9001 },
      ]);
    } finally {
      await c.close();
      await holder.release();
    }
  });

  it('the mariadb client (libmariadb) reports ERROR 9001 for a 17 MB statement that waits past queue_timeout, and exits', async () => {
    const holder = await holdQueuedBackend();
    try {
      const child = spawn('mariadb', [
        '--protocol=tcp',
        '-h127.0.0.1',
        `-P${queued.port}`,
        `-u${APP_USER.name}`,
        `-p${APP_USER.password}`,
        '--max-allowed-packet=64M',
        '--skip-ssl',
        '--silent',
        'test',
      ]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin.end(`INSERT INTO big VALUES (98, '${'a'.repeat(17 * MiB)}');\n`);
      expect(await exited).not.toBe(0);
      expect(stderr).toMatch(/^ERROR 9001 \(HY000\) at line 1: /m);
    } finally {
      await holder.release();
    }
  });

  it('a command whose continuation frame is numbered out of turn is refused with ERR 1156 and the close, and nothing of it runs, as at MariaDB', async () => {
    await mariadb.query('CREATE TABLE out_of_turn (id INT PRIMARY KEY, b LONGBLOB)');
    const outcomes = await onBothSides(async (port, user, side) => {
      const id = side === 'mariadb' ? 1 : 2;
      const c = await RawMysqlClient.open(port);
      expect(await c.login({ user: user.name, password: user.password, database: 'test' })).toEqual({
        kind: 'ok',
      });
      const insert = Buffer.concat([
        Buffer.from(`\u0003INSERT INTO out_of_turn VALUES (${id}, '`),
        Buffer.alloc(MAX, 0x61),
        Buffer.from("')"),
      ]);
      const framed = encodeFrames(insert, 0);
      framed[4 + MAX + 3] = 7; // the second frame's sequence id: 1 is its turn
      await c.write(framed);
      const closed = await c.until(() => c.closed, 10_000);
      const [{ n }] = await mariadb.query(`SELECT COUNT(*) AS n FROM out_of_turn WHERE id = ${id}`);
      c.destroy();
      return { errnos: errnos(c.frames()), closed, rows: Number(n) };
    });
    expect(outcomes.mariadb).toEqual({ errnos: [1156], closed: true, rows: 0 });
    expect(outcomes.proxy).toEqual(outcomes.mariadb);
  });
});

describe('rows of 16 MiB and more', () => {
  it.each([
    ['exactly 0xFFFFFF bytes (an empty frame ends it)', MAX - 4],
    ['2 × 0xFFFFFF + 3 bytes (three frames)', 2 * MAX - 1],
  ])('a text row of %s comes as MariaDB sends it', async (_, length) => {
    const answers = await answersOnBothSides(Buffer.from(`\u0003SELECT REPEAT('a', ${length}) AS s`));
    expect(answers.proxy).toEqual(answers.mariadb);
  });

  it("a backend lost after rows of several frames went out: the proxy's ERR is numbered after the last frame of the last whole row", async () => {
    const c = await RawMysqlClient.open(fx.port);
    expect(await c.login({ user: APP_USER.name, password: APP_USER.password, database: 'test' })).toEqual({
      kind: 'ok',
    });
    // Rows of two frames each (0xFFFFFF bytes, then the rest).
    await c.write(queryFrame(`SELECT seq, REPEAT('a', ${MAX}) AS lost_rows FROM seq_1_to_6`));
    // Two whole rows and more taken, the client stops reading: the proxy pauses the backend,
    // whose server thread then blocks mid-result.
    expect(await c.until(() => c.receivedBytes > 40 * MiB, 30_000)).toBe(true);
    c.socket.pause();
    const root = await fx.direct();
    try {
      const thread = await waitFor(
        async () => {
          const [r] = await root.query(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%AS lost_rows%' AND ID <> CONNECTION_ID()",
          );
          return (r as { ID: number }[])[0]?.ID;
        },
        { what: 'the statement on the server' },
      );
      await root.query(`KILL CONNECTION ${thread}`);
      await waitFor(
        async () => {
          const [r] = await root.query(
            'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
            [thread],
          );
          return Number((r as { n: number }[])[0]!.n) === 0;
        },
        { what: 'the server thread to end' },
      );
    } finally {
      await root.end();
    }
    c.socket.resume();
    const frames = await waitFor(
      () => {
        const fs = c.frames();
        return fs.at(-1)?.payload[0] === 0xff && fs.at(-1)!.payload.length < 1000 ? fs : undefined;
      },
      { what: 'the ERR after the rows', timeout: 20_000 },
    );
    c.destroy();
    const [beforeLast, last, err] = frames.slice(-3);
    expect(errnos([err!])).toEqual([9005]);
    // The last whole row: a full frame, then the short one that ends it.
    expect(beforeLast!.payload.length).toBe(MAX);
    expect(last!.payload.length).toBeLessThan(MAX);
    expect(last!.seq).toBe((beforeLast!.seq + 1) & 0xff);
    expect(err!.seq, 'the ERR after the row’s last frame').toBe((last!.seq + 1) & 0xff);
  });

  it.each(['query', 'execute'] as const)(
    'a reader that stops in the middle of a 17 MB row (%s) gets every row whole, and other clients are served meanwhile',
    async (kind) => {
      const slow = await fx.connect();
      const other = await fx.connect();
      try {
        const sql = `SELECT seq, REPEAT(CHAR(64 + seq), ${17 * MiB}) AS r FROM seq_1_to_3 WHERE seq <= ?`;
        // mysql2 prepares before its first execute: that answer must be read before the pause.
        if (kind === 'execute') await slow.execute(sql, [0]);
        socketOf(slow).pause();
        const answer = kind === 'query' ? slow.query(sql, [3]) : slow.execute(sql, [3]);
        await waitFor(() => fx.proxy.stats().clients.some((c) => c.slowReader), {
          what: "the proxy to pause the slow reader's backend",
        });
        for (let i = 0; i < 20; i++) expect((await other.query(`SELECT ${i} AS i`))[0]).toEqual([{ i }]);
        socketOf(slow).resume();
        // CHAR() makes a binary string: the values come as Buffers.
        const [rows] = (await answer) as unknown as [{ seq: number; r: Buffer }[]];
        expect(rows.map((r) => [r.seq, r.r.length, r.r[0], r.r.at(-1)])).toEqual([
          [1, 17 * MiB, 0x41, 0x41],
          [2, 17 * MiB, 0x42, 0x42],
          [3, 17 * MiB, 0x43, 0x43],
        ]);
      } finally {
        socketOf(slow).resume();
        await Promise.all([slow.end(), other.end()]);
      }
    },
  );
});

describe('large statements the proxy reads for what they do', () => {
  it("a dump's 12 MB row with a backquoted table name, and a 10 MB JSON text full of double quotes, run as at MariaDB — the proxy stays up for everyone", async () => {
    // Reading quoted names overflowed the stack (a backtracking regular expression) on such
    // texts: a RangeError nobody caught, and the whole process with every client went down.
    const c = await fx.connect();
    const bystander = await fx.connect();
    try {
      const blob = Buffer.alloc(6 * MiB);
      for (let i = 0; i < blob.length; i += 4096) blob.writeUInt32LE(i, i);
      await c.query(`INSERT INTO \`big\` VALUES (2, 0x${blob.toString('hex')})`);
      const json = `{${Array.from({ length: 800_000 }, (_, i) => `"k${i}":"v"`).join(',')}}`;
      expect(json.length).toBeGreaterThan(10_000_000);
      await c.query(`INSERT INTO big VALUES (3, '${json}')`);
      const [rows] = (await c.query(
        'SELECT id, LENGTH(b) AS n, MD5(b) AS h FROM big WHERE id IN (2, 3) ORDER BY id',
      )) as unknown as [{ id: number; n: number; h: string }[]];
      const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
      expect(rows).toEqual([
        { id: 2, n: blob.length, h: md5(blob) },
        { id: 3, n: json.length, h: md5(json) },
      ]);
      // An unclosed quoted name in USE overflowed the matcher that reads a USE's schema.
      expect((await failure(c.query(`USE \`${'a'.repeat(10_000_000)}`))).errno).toBe(1064);
      expect((await one(c, 'SELECT 6 AS ok')).ok).toBe(6);
      expect((await one(bystander, 'SELECT 5 AS ok')).ok).toBe(5);
    } finally {
      await c.end();
      await bystander.end();
    }
  });
});

describe('values of 16 MiB and more in prepared statements', () => {
  it('a 20 MB LONGBLOB goes in by an execute of several frames and comes back whole by execute and by query', async () => {
    const c = await fx.connect();
    try {
      const blob = Buffer.alloc(20 * MiB);
      for (let i = 0; i < blob.length; i += 4096) blob.writeUInt32LE(i, i);
      await c.execute('INSERT INTO big VALUES (?, ?)', [1, blob]);
      const [byExecute] = (await c.execute('SELECT b FROM big WHERE id = ?', [1])) as unknown as [
        { b: Buffer }[],
      ];
      expect(byExecute[0]!.b.equals(blob)).toBe(true);
      const [byQuery] = (await c.query('SELECT b, id FROM big WHERE id = 1')) as unknown as [
        { b: Buffer; id: number }[],
      ];
      expect(byQuery[0]!.b.equals(blob)).toBe(true);
      expect(byQuery[0]!.id).toBe(1);
    } finally {
      await c.end();
    }
  });

  it('long data of 20 MB in one COM_STMT_SEND_LONG_DATA (two frames) reaches the execute as at MariaDB', async () => {
    const data = Buffer.alloc(20 * MiB);
    for (let i = 0; i < data.length; i += 997) data[i] = i & 0xff;
    const answers = await onBothSides(async (port, user) => {
      const c: RawClient = await rawLogin(port, user);
      try {
        const id = (await c.command(buildPrepare('SELECT LENGTH(?) AS l, MD5(?) AS m'))).prepared!
          .statementId;
        await c.command(buildSendLongData(id, 0, data));
        await c.command(buildSendLongData(id, 1, data));
        const r = await c.command(
          buildExecute({
            statementId: id,
            params: [
              { value: null, longData: true },
              { value: null, longData: true },
            ],
          }),
        );
        return { error: r.error?.errno, row: r.packets.at(-2)?.payload.toString('hex') };
      } finally {
        await c.close();
      }
    });
    expect(answers.mariadb.error).toBeUndefined();
    expect(answers.proxy).toEqual(answers.mariadb);
  });
});

describe('packets of 16 MiB and more among others', () => {
  it('commands of exactly 0xFFFFFF bytes and more, pipelined with small ones and cut across their frames, are answered as MariaDB answers them', async () => {
    /** A command payload of exactly 0xFFFFFF bytes: `head` and spaces (an empty frame ends it). */
    const exact = (head: string) => encodeFrames(padded(Buffer.from(head, 'latin1'), MAX, 0x20), 0);
    const bytes = Buffer.concat([
      exact('\u0003SELECT 1 AS one'),
      queryFrame('SELECT 2 AS two'),
      exact('\u0016SELECT ? AS p'),
      // Statement id 0xFFFFFFFF: the one prepared last (MariaDB's, for pipelining clients).
      encodeFrames(buildExecute({ statementId: 0xffffffff, params: [5] }), 0),
      encodeFrames(Buffer.from(`\u0003SELECT LENGTH('${'q'.repeat(MAX + 100)}') AS len`, 'latin1'), 0),
      END_MARKER,
    ]);
    // Cuts: in the first frame's header; in the header, then the payload, of the small query
    // after the first long command; in the execute; in the long query's last frame.
    const cuts = [2, MAX + 4 + 4 + 1, MAX + 4 + 4 + 6, 2 * MAX + 3 * 4 + 40, 3 * MAX + 100];
    const reference = await pipelinedAnswers(fx.mariadb.port, BACKEND_USER, bytes, cuts);
    expect(reference.answered).toBe(true);
    const proxied = await pipelinedAnswers(fx.port, APP_USER, bytes, cuts);
    expect(proxied.answered).toBe(true);
    expect(proxied.answers).toEqual(reference.answers);
  });

  it('a LOAD DATA LOCAL file packet of exactly 0xFFFFFF bytes (an empty frame ends it), then the end of the file: loaded and answered as at MariaDB', async () => {
    // Lines of 1,000 bytes (the last one shorter) fill the packet.
    const file = Buffer.alloc(MAX, 0x7a);
    for (let i = 999; i < MAX; i += 1000) file[i] = 0x0a;
    file[MAX - 1] = 0x0a;
    const outcomes = await onBothSides(async (port, user, side) => {
      const table = `exact_file_${side}`;
      await mariadb.query(`CREATE TABLE ${table} (v VARCHAR(1000))`);
      const c = await RawMysqlClient.open(port);
      expect(await c.login({ user: user.name, password: user.password, database: 'test' })).toEqual({
        kind: 'ok',
      });
      await c.write(queryFrame(`LOAD DATA LOCAL INFILE 'exact.txt' INTO TABLE ${table} (v)`));
      // The server's request for the file (0xFB and its name), at sequence 1.
      expect(await c.until(() => c.frames()[0]?.payload[0] === 0xfb, 10_000)).toBe(true);
      // The file's frames 2 and 3 (empty), its end 4.
      await c.write(Buffer.concat([encodeFrames(file, 2), encodeFrames(Buffer.alloc(0), 4)]));
      expect(await c.until(() => c.frames().length === 2, 20_000)).toBe(true);
      const [{ n }] = await mariadb.query(`SELECT COUNT(*) AS n FROM ${table}`);
      await c.end();
      return { answers: c.frames().map((f) => [f.seq, f.payload[0]]), rows: Number(n) };
    });
    expect(outcomes.mariadb).toEqual({
      answers: [
        [1, 0xfb],
        [5, 0x00],
      ],
      rows: Math.ceil(MAX / 1000),
    });
    expect(outcomes.proxy).toEqual(outcomes.mariadb);
  });
});
