/**
 * `max_packet_size` against a client that sends a packet behind another in one write: the
 * refusal (ERR 1153, then the connection closes) comes after the answer to the packet before
 * the refused header. And more kinds of bad input, answered as MariaDB answers them: an empty
 * command packet, a command that does not start at sequence id 0, statement commands too short
 * to name a statement; a LOAD DATA LOCAL whose file comes before the server asks for it, or is
 * cut short by a header over the limit.
 */
import { connect, type Socket } from 'node:net';
import { ClientHandshake, PacketDecoder } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2, options: { max_packet_size: 4096 } });
});

afterAll(async () => {
  await fx?.stop();
});

it('a header over max_packet_size behind a whole packet in the same write: ERR 1153 and the connection closes', async () => {
  // Take the logged-in socket over from mysql2: the test reads the raw answer.
  const s = takeOver(await fx.connect());
  const oversized = Buffer.from([0x88, 0x13, 0, 0]); // announces 5,000 bytes
  s.write(Buffer.concat([frame(selectQuery(1), 0), oversized, Buffer.alloc(16)]));
  await s.closed;

  const bytes = s.bytes();
  // The ERR packet: 0xFF, then errno 1153 (little-endian 0x81 0x04).
  const at = bytes.indexOf(Buffer.from([0xff, 0x81, 0x04]));
  expect(at).toBeGreaterThanOrEqual(4);
  expect(bytes.toString('latin1', at + 9)).toBe(
    "Got a packet bigger than 'max_allowed_packet' bytes (packet too large: 5000 bytes announced, maxPacketSize is 4096)",
  );
});

/** Takes a logged-in mysql2 connection's socket over: the test writes frames and reads raw bytes. */
function takeOver(c: mysql.Connection) {
  const stream = (c as unknown as { connection: { stream: Socket } }).connection.stream;
  stream.removeAllListeners('data');
  stream.removeAllListeners('error');
  stream.on('error', () => {});
  const received: Buffer[] = [];
  stream.on('data', (d: Buffer) => received.push(d));
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    stream.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return {
    write: (bytes: Buffer) => stream.write(bytes),
    bytes: () => Buffer.concat(received),
    closed,
    isClosed: () => isClosed,
  };
}

const frame = (payload: Buffer, sequenceId: number) =>
  Buffer.concat([
    Buffer.from([payload.length & 0xff, payload.length >> 8, payload.length >> 16, sequenceId]),
    payload,
  ]);
const selectQuery = (n: number) => Buffer.from(`\u0003SELECT ${n} AS n`, 'latin1');
/** The error numbers of the ERR packets in `bytes` (whole frames). */
function errnos(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4 + bytes.readUIntLE(at, 3)) {
    if (bytes[at + 4] === 0xff) out.push(bytes.readUInt16LE(at + 5));
  }
  return out;
}

// Each as MariaDB answers it: the same bytes go to MariaDB directly and through the proxy.
const targets = () =>
  [
    ['MariaDB', () => fx.direct()],
    ['the proxy', () => fx.connect()],
  ] as const;

it('an empty command packet gets ERR 1047, and the connection carries on', async () => {
  for (const [, open] of targets()) {
    const s = takeOver(await open());
    s.write(Buffer.concat([frame(Buffer.alloc(0), 0), frame(selectQuery(7), 0)]));
    // The SELECT's row ("7") arrives after the ERR.
    await waitFor(() => s.bytes().includes(Buffer.from([1, 0x37])), { what: 'the SELECT after the ERR' });
    expect(errnos(s.bytes())).toEqual([1047]);
    expect(s.isClosed()).toBe(false);
    s.write(frame(Buffer.from([0x01]), 0)); // COM_QUIT
    await s.closed;
  }
});

it('statement commands too short to name a statement: ERR 1835 (none for long data), and the connection carries on', async () => {
  const answers: number[][] = [];
  for (const [, open] of targets()) {
    const s = takeOver(await open());
    // COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA, COM_STMT_RESET, COM_STMT_FETCH, COM_PROCESS_KILL.
    const short = [[0x17, 1], [0x18, 1, 0], [0x1a], [0x1c, 1, 0, 0], [0x0c, 1]].map((p) =>
      frame(Buffer.from(p), 0),
    );
    s.write(Buffer.concat([...short, frame(selectQuery(9), 0)]));
    await waitFor(() => s.bytes().includes(Buffer.from([1, 0x39])), { what: 'the SELECT after them' });
    expect(s.isClosed()).toBe(false);
    answers.push(errnos(s.bytes()));
    s.write(frame(Buffer.from([0x01]), 0)); // COM_QUIT
    await s.closed;
  }
  // Both carried on and answered all but the long data; MariaDB reads a missing id from what
  // is there (1243 or 1094 for one it does not know), the proxy says what is wrong.
  expect(answers[0]).toHaveLength(4);
  expect(answers[1], 'through the proxy').toEqual([1835, 1835, 1835, 1835]);
});

it('a write followed in the same write by a packet out of sequence: its OK, then ERR 1156 and the close', async () => {
  await (await fx.direct()).query('CREATE TABLE IF NOT EXISTS test.seq_after (v INT)');
  const answers: { first: number; errs: number[]; rows: number }[] = [];
  for (const [, open] of targets()) {
    const s = takeOver(await open());
    s.write(
      Buffer.concat([
        frame(Buffer.from('\u0003INSERT INTO seq_after VALUES (1)', 'latin1'), 0),
        frame(selectQuery(1), 5),
      ]),
    );
    await s.closed;
    const [{ n }] = (await (await fx.direct()).query('SELECT COUNT(*) AS n FROM test.seq_after'))[0] as {
      n: number;
    }[];
    answers.push({ first: s.bytes()[4]!, errs: errnos(s.bytes()), rows: Number(n) });
  }
  // The INSERT ran and was answered OK (0x00) before the refusal, on both.
  expect(answers).toEqual([
    { first: 0, errs: [1156], rows: 1 },
    { first: 0, errs: [1156], rows: 2 },
  ]);
});

it('a command whose sequence id is not 0 gets ERR 1156 and the connection closes', async () => {
  const answers: number[][] = [];
  for (const [, open] of targets()) {
    const s = takeOver(await open());
    s.write(frame(selectQuery(8), 3));
    await s.closed;
    answers.push(errnos(s.bytes()));
  }
  expect(answers).toEqual([[1156], [1156]]);
});

it('a handshake response out of sequence gets ERR 1156 and the connection closes', async () => {
  const answers: number[][] = [];
  for (const port of [fx.mariadb.port, fx.port]) {
    const socket = connect(port, '127.0.0.1');
    const decoder = new PacketDecoder();
    const hs = new ClientHandshake({ user: APP_USER.name, password: APP_USER.password });
    const received: Buffer[] = [];
    // MariaDB may reset the connection right after its ERR.
    socket.on('error', () => {});
    let greeted = false;
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (greeted) return;
      greeted = true;
      const [greeting] = decoder.push(chunk);
      const step = hs.receive(greeting!.payload, greeting!.sequenceId);
      if (step.kind !== 'send') throw new Error(`unexpected ${step.kind}`);
      const response = Buffer.from(step.bytes);
      response[3] = 5; // instead of 1
      socket.write(response);
    });
    await new Promise((resolve) => socket.once('close', resolve));
    answers.push(errnos(Buffer.concat(received).subarray(4 + Buffer.concat(received).readUIntLE(0, 3))));
  }
  expect(answers).toEqual([[1156], [1156]]);
});

describe('LOAD DATA LOCAL with bad or early input', () => {
  const load = (table: string) =>
    frame(Buffer.from(`\u0003LOAD DATA LOCAL INFILE 'early.csv' INTO TABLE ${table} (v)`, 'latin1'), 0);
  /** Kills, from outside, the server connection whose statement text is LIKE `info`. */
  const killServerThread = async (info: string) => {
    const root = await fx.direct();
    try {
      const thread = await waitFor(
        async () => {
          const [r] = await root.query(
            'SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()',
            [info],
          );
          return (r as { ID: number }[])[0]?.ID;
        },
        { what: `a statement like ${info} on the server` },
      );
      await root.query(`KILL CONNECTION ${thread}`);
    } finally {
      await root.end();
    }
  };
  /** The sequence id of the ERR with `errno` in `bytes` (whole frames). */
  const errSequence = (bytes: Buffer, errno: number) => {
    for (let at = 0; at + 4 <= bytes.length; at += 4 + bytes.readUIntLE(at, 3))
      if (bytes[at + 4] === 0xff && bytes.readUInt16LE(at + 5) === errno) return bytes[at + 3];
    return undefined;
  };
  /** Creates `test.name` (one INT column) straight on MariaDB. */
  const createTable = async (name: string) => {
    const c = await fx.direct();
    try {
      await c.query(`CREATE TABLE IF NOT EXISTS test.${name} (v INT)`);
    } finally {
      await c.end();
    }
  };
  /** Sends a LOAD into `table` on the taken-over connection `s` and waits for the file request. */
  const loadUntilAsked = async (s: ReturnType<typeof takeOver>, table: string) => {
    s.write(load(table));
    // The server's request for the file: 0xFB and the file name.
    await waitFor(() => s.bytes().includes(Buffer.from('\xfbearly.csv', 'latin1')), {
      what: 'the file request',
    });
  };
  /** The proxy still serves a new client. */
  const expectProxyServes = async () => {
    const c = await fx.connect();
    expect((await c.query('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
    await c.end();
  };
  const rowsIn = async (table: string) => {
    const c = await fx.direct();
    try {
      const [r] = await c.query(`SELECT COUNT(*) AS n FROM test.${table}`);
      return Number((r as { n: number }[])[0]!.n);
    } finally {
      await c.end();
    }
  };

  it('its file sent in the same write as the statement, before the server asks: loaded, and the next query answered', async () => {
    await createTable('infile_early');
    const answers: { errs: number[]; rows: number; closed: boolean }[] = [];
    for (const [, open] of targets()) {
      const before = await rowsIn('infile_early');
      const s = takeOver(await open());
      // The file (sequence ids 2, 3 after the server's request at 1), its end, then a query.
      s.write(
        Buffer.concat([
          load('infile_early'),
          frame(Buffer.from('1\n2\n'), 2),
          frame(Buffer.alloc(0), 3),
          frame(selectQuery(5), 0),
        ]),
      );
      await waitFor(() => s.bytes().includes(Buffer.from([1, 0x35])) || s.isClosed(), {
        what: 'the SELECT after the LOAD',
      });
      answers.push({
        errs: errnos(s.bytes()),
        rows: (await rowsIn('infile_early')) - before,
        closed: s.isClosed(),
      });
      s.write(frame(Buffer.from([0x01]), 0)); // COM_QUIT
      await s.closed;
    }
    expect(answers[0]).toEqual({ errs: [], rows: 2, closed: false });
    expect(answers[1], 'through the proxy').toEqual(answers[0]);
  });

  it('its file sent early for a LOAD that fails: the file is read as commands out of sequence, ERR 1156 and the close', async () => {
    const answers: number[][] = [];
    for (const [, open] of targets()) {
      const s = takeOver(await open());
      s.write(
        Buffer.concat([load('no_such_table'), frame(Buffer.from('1\n'), 2), frame(Buffer.alloc(0), 3)]),
      );
      await s.closed;
      answers.push(errnos(s.bytes()));
    }
    expect(answers).toEqual([
      [1146, 1156],
      [1146, 1156],
    ]);
  });

  it('a command where the file should be: the server refuses it, the connection closes, nothing applied, the proxy carries on', async () => {
    await createTable('infile_cmd');
    const answers: { first: number | undefined; closed: boolean; rows: number }[] = [];
    for (const [, open] of targets()) {
      const s = takeOver(await open());
      // The SELECT goes where the file's first packet should (sequence id 0, not 2).
      s.write(Buffer.concat([load('infile_cmd'), frame(selectQuery(1), 0)]));
      await waitFor(() => errnos(s.bytes()).length > 0 || s.isClosed(), { what: 'an answer' });
      // A command after it: MariaDB has closed; the proxy must not take it for more of the file.
      if (!s.isClosed()) s.write(frame(Buffer.from([0x0e]), 0)); // COM_PING
      await s.closed;
      answers.push({ first: errnos(s.bytes())[0], closed: s.isClosed(), rows: await rowsIn('infile_cmd') });
    }
    expect(answers[0]).toEqual({ first: 1156, closed: true, rows: 0 });
    expect(answers[1], 'through the proxy').toEqual(answers[0]);
    await expectProxyServes();
  });

  it('its backend lost in the middle of the file: ERR 9005 after the file, numbered after its last packet, and the connection carries on', async () => {
    await createTable('infile_lost');
    const s = takeOver(await fx.connect());
    await loadUntilAsked(s, 'infile_lost');
    s.write(Buffer.concat([frame(Buffer.from('1\n'), 2), frame(Buffer.from('2\n'), 3)]));
    // The server thread reading the file, killed from outside.
    await killServerThread('LOAD DATA LOCAL INFILE%infile_lost%');
    // Seen by the proxy or not yet, the client goes on to the file's end (4) and reads the answer.
    s.write(frame(Buffer.alloc(0), 4));
    await waitFor(() => errnos(s.bytes()).length > 0, { what: 'the ERR' });
    expect(errnos(s.bytes())).toEqual([9005]);
    expect(errSequence(s.bytes(), 9005), 'its sequence id').toBe(5);
    s.write(frame(selectQuery(6), 0));
    await waitFor(() => s.bytes().includes(Buffer.from([1, 0x36])), { what: 'the SELECT after it' });
    expect(s.isClosed()).toBe(false);
    expect(await rowsIn('infile_lost')).toBe(0);
    s.write(frame(Buffer.from([0x01]), 0));
    await s.closed;
  });

  it('its session lost in the middle of the file (a transaction): ERR 9008 after the file, then the close', async () => {
    await createTable('infile_trx');
    const s = takeOver(await fx.connect());
    s.write(frame(Buffer.from('\u0003BEGIN', 'latin1'), 0));
    await waitFor(() => s.bytes().length > 0, { what: "BEGIN's OK" });
    await loadUntilAsked(s, 'infile_trx');
    s.write(frame(Buffer.from('1\n'), 2));
    await killServerThread('LOAD DATA LOCAL INFILE%infile_trx%');
    s.write(frame(Buffer.alloc(0), 3));
    await s.closed;
    expect(errnos(s.bytes())).toEqual([9008]);
    expect(errSequence(s.bytes(), 9008)).toBe(4);
    expect(await rowsIn('infile_trx')).toBe(0);
  });

  it('its backend lost after the LOAD answered, in a batch: ERR 9005 numbered after the OK', async () => {
    await createTable('infile_batch');
    const s = takeOver(await fx.connect({ multipleStatements: true }));
    s.write(
      frame(
        Buffer.from(
          "\u0003LOAD DATA LOCAL INFILE 'early.csv' INTO TABLE infile_batch (v); SELECT SLEEP(60) AS infile_batch_wait",
          'latin1',
        ),
        0,
      ),
    );
    await waitFor(() => s.bytes().includes(Buffer.from('\xfbearly.csv', 'latin1')), {
      what: 'the file request',
    });
    s.write(Buffer.concat([frame(Buffer.from('1\n'), 2), frame(Buffer.alloc(0), 3)]));
    // The LOAD's OK (4) has come when the server runs the SELECT: then its connection dies.
    await killServerThread('%infile_batch_wait%');
    await waitFor(() => errnos(s.bytes()).length > 0, { what: 'the ERR' });
    expect(errnos(s.bytes())).toEqual([9005]);
    expect(errSequence(s.bytes(), 9005)).toBe(5);
    s.write(frame(Buffer.from([0x01]), 0));
    await s.closed;
  });

  it('a header over max_packet_size in the middle of the file: ERR 1153 at once, the connection closes, nothing of the file applied', async () => {
    await createTable('infile_cut');
    const s = takeOver(await fx.connect());
    await loadUntilAsked(s, 'infile_cut');
    s.write(frame(Buffer.from('1\n2\n'), 2));
    s.write(Buffer.concat([Buffer.from([0x88, 0x13, 0, 3]), Buffer.alloc(16)])); // announces 5,000 bytes
    // Refused at once: the server is not left waiting for the rest of the file (30 s).
    await s.closed;
    expect(errnos(s.bytes())).toEqual([1153]);
    // As the packet after the client's last (the file's, 2).
    expect(errSequence(s.bytes(), 1153), 'sequence id of the ERR').toBe(3);
    // The backend, closed mid-file, aborted the statement.
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the client to be gone' });
    expect(await rowsIn('infile_cut')).toBe(0);
    await expectProxyServes();
  });

  it('a header over max_packet_size behind the statement, before the server asks for the file: ERR 1153 and the close, nothing applied', async () => {
    await createTable('infile_refused');
    const s = takeOver(await fx.connect());
    s.write(
      Buffer.concat([
        load('infile_refused'),
        frame(Buffer.from('1\n2\n'), 2),
        Buffer.from([0x88, 0x13, 0, 3]), // announces 5,000 bytes
        Buffer.alloc(16),
      ]),
    );
    await s.closed;
    expect(errnos(s.bytes())).toEqual([1153]);
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the client to be gone' });
    expect(await rowsIn('infile_refused')).toBe(0);
  });
});
