import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_SESSION_TRACK,
  COM_CHANGE_USER,
  COM_FIELD_LIST,
  COM_QUERY,
  COM_QUIT,
  COM_STATISTICS,
  COM_STMT_CLOSE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  encodeEof,
  encodeFrames,
  encodeOk,
  inTransaction,
  PacketWriter,
  ProtocolError,
  ResponseTracker,
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_SESSION_STATE_CHANGED,
  SERVER_STATUS_AUTOCOMMIT,
  SERVER_STATUS_CURSOR_EXISTS,
  SERVER_STATUS_IN_TRANS,
  SERVER_STATUS_LAST_ROW_SENT,
  writeProgressReport,
} from '../src/index.js';
import {
  CAPS_CLASSIC,
  CAPS_DEPRECATE_EOF,
  columnDef,
  err,
  frame,
  ok,
  resultSet,
  textRow,
} from './support/responses.js';

const AC = SERVER_STATUS_AUTOCOMMIT;
const MORE = SERVER_MORE_RESULTS_EXISTS;

function prepareOk(id: number, columns: number, params: number, warnings = 0): Buffer {
  return Buffer.from(new PacketWriter().u8(0).u32(id).u16(columns).u16(params).u8(0).u16(warnings).payload());
}

/** Feeds `stream` in the given chunks; returns the absolute end offset of the response. */
function track(t: ResponseTracker, chunks: Buffer[]): number {
  let base = 0;
  for (const c of chunks) {
    const stop = t.feed(c);
    if (stop >= 0) return base + stop;
    base += c.length;
  }
  return -1;
}

interface Case {
  name: string;
  caps: number;
  command: number;
  cursor?: boolean;
  payloads: Buffer[];
  expect: Partial<
    Record<'statusFlags' | 'rows' | 'resultSets' | 'affectedRows' | 'lastInsertId' | 'warnings', number>
  > & {
    error?: number;
  };
}

const cases: Case[] = [];
for (const caps of [CAPS_CLASSIC, CAPS_DEPRECATE_EOF]) {
  const mode = caps === CAPS_CLASSIC ? 'classic EOF' : 'DEPRECATE_EOF';
  cases.push(
    {
      name: `OK (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [ok(caps, { status: AC | SERVER_STATUS_IN_TRANS, affected: 3, insertId: 77, warnings: 2 })],
      expect: {
        statusFlags: AC | SERVER_STATUS_IN_TRANS,
        affectedRows: 3,
        lastInsertId: 77,
        warnings: 2,
        rows: 0,
      },
    },
    {
      name: `ERR (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [err(1064, 'You have an error in your SQL syntax')],
      expect: { error: 1064 },
    },
    {
      name: `result set (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: resultSet(
        caps,
        3,
        [
          ['1', null, 'x'],
          ['2', 'b', ''],
          ['3', 'c', 'z'],
        ],
        AC,
      ),
      expect: { rows: 3, resultSets: 1, statusFlags: AC },
    },
    {
      name: `empty result set (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: resultSet(caps, 1, [], AC),
      expect: { rows: 0, resultSets: 1 },
    },
    {
      name: `multi-statement: OK, result set, result set, OK (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [
        ok(caps, { status: AC | MORE, affected: 1 }),
        ...resultSet(caps, 2, [['a', 'b']], AC | MORE),
        ...resultSet(caps, 1, [['c'], ['d']], AC | MORE),
        ok(caps, { status: AC, affected: 5 }),
      ],
      expect: { rows: 3, resultSets: 2, affectedRows: 5, statusFlags: AC },
    },
    {
      name: `error in the middle of rows (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [
        ...resultSet(caps, 1, [['1']], AC).slice(0, -1),
        err(1317, 'Query execution was interrupted'),
      ],
      expect: { error: 1317, rows: 1 },
    },
    {
      name: `LOCAL INFILE request stops for the client (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [Buffer.concat([Buffer.from([0xfb]), Buffer.from('/tmp/data.csv')])],
      expect: {},
    },
    {
      name: `progress report, then OK (${mode})`,
      caps,
      command: COM_QUERY,
      payloads: [
        Buffer.from(
          writeProgressReport(new PacketWriter(), {
            stage: 1,
            maxStage: 2,
            progress: 50000,
            info: 'copy',
          }).payload(),
        ),
        ok(caps, { status: AC, affected: 9 }),
      ],
      expect: { affectedRows: 9 },
    },
    {
      name: `COM_STMT_PREPARE with params and columns (${mode})`,
      caps,
      command: COM_STMT_PREPARE,
      payloads: [
        prepareOk(7, 2, 3),
        columnDef('?'),
        columnDef('?'),
        columnDef('?'),
        ...(caps === CAPS_CLASSIC ? [encodeEof({ statusFlags: AC }, caps)] : []),
        columnDef('a'),
        columnDef('b'),
        ...(caps === CAPS_CLASSIC ? [encodeEof({ statusFlags: AC }, caps)] : []),
      ],
      expect: {},
    },
    {
      name: `COM_STMT_PREPARE without params or columns (${mode})`,
      caps,
      command: COM_STMT_PREPARE,
      payloads: [prepareOk(8, 0, 0)],
      expect: {},
    },
    {
      name: `COM_STMT_FETCH rows (${mode})`,
      caps,
      command: COM_STMT_FETCH,
      payloads: [
        Buffer.from([0, 0, 1, 2]),
        Buffer.from([0, 0, 3, 4]),
        caps === CAPS_CLASSIC
          ? encodeEof({ statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS | SERVER_STATUS_LAST_ROW_SENT }, caps)
          : encodeOk(
              { statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS | SERVER_STATUS_LAST_ROW_SENT },
              caps,
              0xfe,
            ),
      ],
      expect: { rows: 2, statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS | SERVER_STATUS_LAST_ROW_SENT },
    },
    {
      name: `COM_STMT_EXECUTE with a cursor stops after metadata (${mode})`,
      caps,
      command: COM_STMT_EXECUTE,
      cursor: true,
      payloads: [
        Buffer.from([1]),
        columnDef('a'),
        caps === CAPS_CLASSIC
          ? encodeEof({ statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS }, caps)
          : encodeOk({ statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS }, caps, 0xfe),
      ],
      expect: { rows: 0, statusFlags: AC | SERVER_STATUS_CURSOR_EXISTS },
    },
    {
      name: `COM_FIELD_LIST (${mode})`,
      caps,
      command: COM_FIELD_LIST,
      payloads: [
        columnDef('a'),
        columnDef('b'),
        caps === CAPS_CLASSIC
          ? encodeEof({ statusFlags: AC }, caps)
          : encodeOk({ statusFlags: AC }, caps, 0xfe),
      ],
      expect: { statusFlags: AC },
    },
    {
      name: `COM_STATISTICS (${mode})`,
      caps,
      command: COM_STATISTICS,
      payloads: [Buffer.from('Uptime: 5  Threads: 1  Questions: 3')],
      expect: {},
    },
  );
}

describe('ResponseTracker', () => {
  for (const c of cases) {
    it(`finds the end of: ${c.name}, for any split`, () => {
      const stream = frame(c.payloads);
      const trailer = Buffer.from('trailing bytes that are not part of the response');
      const full = Buffer.concat([stream, trailer]);
      const check = (t: ResponseTracker) => {
        const { error, ...fields } = c.expect;
        for (const [k, v] of Object.entries(fields)) expect(t[k as keyof typeof fields], k).toBe(v);
        expect(t.error?.errno).toBe(error);
      };
      // Whole, then every split point, then one byte at a time.
      const whole = new ResponseTracker(c.caps);
      whole.begin(c.command, { cursor: c.cursor ?? false });
      expect(track(whole, [full])).toBe(stream.length);
      check(whole);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: full.length }), { maxLength: 8 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(full.subarray(prev, p));
            prev = p;
          }
          chunks.push(full.subarray(prev));
          const t = new ResponseTracker(c.caps);
          t.begin(c.command, { cursor: c.cursor ?? false });
          expect(track(t, chunks)).toBe(stream.length);
          check(t);
        }),
        { numRuns: 60 },
      );
      const bytewise = new ResponseTracker(c.caps);
      bytewise.begin(c.command, { cursor: c.cursor ?? false });
      expect(
        track(
          bytewise,
          [...full].map((b) => Buffer.from([b])),
        ),
      ).toBe(stream.length);
      check(bytewise);
      // Whole payloads through packet() agree too.
      const byPacket = new ResponseTracker(c.caps);
      byPacket.begin(c.command, { cursor: c.cursor ?? false });
      c.payloads.forEach((p, i) => {
        const last = i === c.payloads.length - 1;
        expect(byPacket.packet(p) || byPacket.awaitingClient).toBe(last);
      });
      check(byPacket);
    });
  }

  it('reports LOCAL INFILE, waits for the client, then takes the OK', () => {
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_QUERY);
    const req = frame([Buffer.concat([Buffer.from([0xfb]), Buffer.from('data.csv')])]);
    expect(t.feed(req)).toBe(req.length);
    expect(t.awaitingClient).toBe(true);
    expect(t.infileName).toBe('data.csv');
    expect(t.done).toBe(false);
    const okBytes = frame([ok(CAPS_DEPRECATE_EOF, { status: AC, affected: 4 })]);
    expect(t.feed(okBytes)).toBe(okBytes.length);
    expect(t.done).toBe(true);
    expect(t.affectedRows).toBe(4);
  });

  it('after LOCAL INFILE, an answer that comes a byte at a time ends only with its last byte', () => {
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_QUERY);
    t.feed(frame([Buffer.concat([Buffer.from([0xfb]), Buffer.from('data.csv')])]));
    expect(t.awaitingClient).toBe(true);
    // The server speaks again: it no longer waits, even before the packet's header is whole.
    const okBytes = frame([ok(CAPS_DEPRECATE_EOF, { status: AC, affected: 4 })]);
    for (let i = 0; i < okBytes.length - 1; i++) {
      expect(t.feed(okBytes.subarray(i, i + 1)), `byte ${i}`).toBe(-1);
      expect(t.awaitingClient).toBe(false);
    }
    expect(t.feed(okBytes.subarray(okBytes.length - 1))).toBe(1);
    expect(t.done).toBe(true);
    expect(t.affectedRows).toBe(4);
  });

  it('waits for the client during COM_CHANGE_USER auth exchanges, then takes the OK', () => {
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_CHANGE_USER);
    const sw = frame([
      Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), Buffer.alloc(21, 0x41)]),
    ]);
    expect(t.feed(sw)).toBe(sw.length);
    expect(t.awaitingClient).toBe(true);
    expect(t.done).toBe(false);
    const okBytes = frame([ok(CAPS_DEPRECATE_EOF, { status: AC })]);
    expect(t.feed(okBytes)).toBe(okBytes.length);
    expect(t.done).toBe(true);
    expect(t.awaitingClient).toBe(false);
  });

  it("takes caching_sha2_password's fast-auth success during COM_CHANGE_USER without waiting for the client", () => {
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_CHANGE_USER);
    const response = frame([Buffer.from([0x01, 0x03]), ok(CAPS_DEPRECATE_EOF, { status: AC })]);
    expect(t.feed(response)).toBe(response.length);
    expect(t.awaitingClient).toBe(false);
    expect(t.done).toBe(true);
    // A full-authentication request does need the client's answer.
    const full = new ResponseTracker(CAPS_DEPRECATE_EOF);
    full.begin(COM_CHANGE_USER);
    const ask = frame([Buffer.from([0x01, 0x04])]);
    expect(full.feed(ask)).toBe(ask.length);
    expect(full.awaitingClient).toBe(true);
  });

  it('records an ERR answering COM_STATISTICS', () => {
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_STATISTICS);
    const bytes = frame([err(1227, 'Access denied; you need the PROCESS privilege')]);
    expect(t.feed(bytes)).toBe(bytes.length);
    expect(t.done).toBe(true);
    expect(t.error).toMatchObject({ errno: 1227, message: 'Access denied; you need the PROCESS privilege' });
  });

  it('decodes session-state changes from every OK of the response', () => {
    const caps = CAPS_DEPRECATE_EOF;
    const t = new ResponseTracker(caps);
    t.begin(COM_QUERY);
    const stream = frame([
      ok(caps, {
        status: AC | MORE,
        session: { systemVariables: [{ name: 'sql_mode', value: 'ANSI' }], schema: 'one' },
      }),
      ok(caps, {
        status: AC | SERVER_STATUS_IN_TRANS,
        session: { systemVariables: [{ name: 'time_zone', value: '+01:00' }], transactionState: 'T_______' },
      }),
    ]);
    expect(t.feed(stream)).toBe(stream.length);
    expect(t.sessionState).toEqual({
      systemVariables: [
        { name: 'sql_mode', value: 'ANSI' },
        { name: 'time_zone', value: '+01:00' },
      ],
      schema: 'one',
      transactionState: 'T_______',
    });
    expect(t.statusFlags & SERVER_STATUS_IN_TRANS).toBeTruthy();
  });

  it('has nothing to wait for after COM_QUIT and COM_STMT_CLOSE, and refuses unexpected data', () => {
    const t = new ResponseTracker(CAPS_CLASSIC);
    expect(t.begin(COM_QUIT)).toBe(false);
    expect(t.done).toBe(true);
    expect(t.begin(COM_STMT_CLOSE)).toBe(false);
    expect(() => t.feed(Buffer.from([1, 0, 0, 1, 0]))).toThrow(ProtocolError);
  });

  it('refuses a new command while a response is pending', () => {
    const t = new ResponseTracker(CAPS_CLASSIC);
    t.begin(COM_QUERY);
    expect(() => t.begin(COM_QUERY)).toThrow(/before the previous response was complete/);
  });

  it('never throws anything but ProtocolError on mutated or truncated responses', () => {
    const streams = cases.map((c) => ({ c, bytes: frame(c.payloads) }));
    fc.assert(
      fc.property(
        fc.nat({ max: streams.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (which, mutations, cut) => {
          const { c, bytes } = streams[which]!;
          const b = Buffer.from(bytes.subarray(0, 1 + (cut % bytes.length)));
          for (const [at, v] of mutations) b[at % b.length] = v;
          const t = new ResponseTracker(c.caps);
          t.begin(c.command, { cursor: c.cursor ?? false });
          try {
            let from = 0;
            while (from < b.length) {
              const stop = t.feed(b, from);
              if (stop < 0) break;
              if (t.awaitingClient) from = stop;
              else if (t.done) break;
              else from = stop;
            }
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the fixed fields of an OK larger than what it captures (1 MiB)', () => {
    const caps = CAPS_DEPRECATE_EOF;
    const huge = encodeOk(
      {
        statusFlags: SERVER_STATUS_IN_TRANS,
        affectedRows: 5,
        info: 'i'.repeat(2 * 1024 * 1024),
        sessionState: { systemVariables: [], schema: 'x' },
      },
      caps,
    );
    const t = new ResponseTracker(caps);
    t.begin(COM_QUERY);
    const stream = frame([huge]);
    expect(t.feed(stream)).toBe(stream.length);
    expect(t.affectedRows).toBe(5);
    expect(inTransaction(t.statusFlags)).toBe(true);
    expect(t.sessionState).toBeUndefined();
  });

  it('is not done before the last byte of an OK larger than what it captures, however it is split', () => {
    for (const caps of [CAPS_CLASSIC, CAPS_DEPRECATE_EOF]) {
      const huge = encodeOk({ statusFlags: AC, affectedRows: 7, info: 'i'.repeat(3 * 1024 * 1024) }, caps);
      const stream = frame([huge]);
      const trailer = Buffer.from('next response');
      // Cut just after the captured 1 MiB, in the middle, one byte before the end, and at the end.
      for (const cut of [
        4 + 1024 * 1024,
        4 + 1024 * 1024 + 1,
        stream.length >> 1,
        stream.length - 1,
        stream.length,
      ]) {
        const t = new ResponseTracker(caps);
        t.begin(COM_QUERY);
        const first = t.feed(stream.subarray(0, cut));
        if (cut < stream.length) {
          expect(first, `cut at ${cut}`).toBe(-1);
          expect(t.done).toBe(false);
          expect(t.feed(Buffer.concat([stream.subarray(cut), trailer]))).toBe(stream.length - cut);
        } else {
          expect(first).toBe(stream.length);
        }
        expect(t.done).toBe(true);
        expect(t.affectedRows).toBe(7);
      }
    }
  });

  it('takes an ERR larger than what it captures only once it has all arrived', () => {
    const message = 'e'.repeat(2 * 1024 * 1024);
    const stream = frame([err(1064, message)]);
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_QUERY);
    expect(t.feed(stream.subarray(0, 4 + 1024 * 1024 + 10))).toBe(-1);
    expect(t.feed(stream.subarray(4 + 1024 * 1024 + 10))).toBe(stream.length - (4 + 1024 * 1024 + 10));
    expect(t.error?.errno).toBe(1064);
  });

  it('refuses an empty packet where a response has none, and takes an empty COM_STATISTICS text', () => {
    for (const command of [COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_CHANGE_USER, COM_FIELD_LIST]) {
      const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
      t.begin(command);
      expect(() => t.feed(Buffer.from([0, 0, 0, 1])), `command ${command}`).toThrow(
        new ProtocolError('unexpected empty packet from the server'),
      );
    }
    const stats = new ResponseTracker(CAPS_DEPRECATE_EOF);
    stats.begin(COM_STATISTICS);
    expect(stats.feed(Buffer.from([0, 0, 0, 1]))).toBe(4);
    expect(stats.done).toBe(true);
  });

  it('counts text rows without decoding them', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [String(i), 'x'.repeat(i % 50)]);
    const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
    t.begin(COM_QUERY);
    const stream = frame(resultSet(CAPS_DEPRECATE_EOF, 2, rows, AC));
    expect(t.feed(stream)).toBe(stream.length);
    expect(t.rows).toBe(1000);
    expect(textRow(['a'])[0]).toBe(1);
  });

  it('reports where the first and the last packet ended in each chunk, for any split', () => {
    const payloads = resultSet(
      CAPS_DEPRECATE_EOF,
      2,
      Array.from({ length: 40 }, (_, i) => [String(i), 'y'.repeat(i * 7)]),
      AC,
    );
    const stream = frame(payloads);
    // Absolute offsets just past each packet.
    const ends: number[] = [];
    let at = 0;
    for (const p of payloads) {
      at += 4 + p.length;
      ends.push(at);
    }
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set([...cuts, stream.length])].sort((a, b) => a - b);
        const t = new ResponseTracker(CAPS_DEPRECATE_EOF);
        t.begin(COM_QUERY);
        let prev = 0;
        for (const p of points) {
          if (p === prev) continue;
          t.feed(stream.subarray(prev, p));
          const inside = ends.filter((e) => e > prev && e <= p).map((e) => e - prev);
          expect([t.firstPacketEnd, t.lastPacketEnd]).toEqual(
            inside.length === 0 ? [-1, -1] : [inside[0], inside[inside.length - 1]],
          );
          prev = p;
        }
        expect(t.done).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
  it('says where the OKs that report session-state changes ended, for any split', () => {
    const caps = CAPS_DEPRECATE_EOF;
    // A multi-result answer: an OK with changes, a result set whose closing OK reports one,
    // an OK without, and a last OK with changes.
    const tz = { systemVariables: [{ name: 'time_zone', value: '+04:00' }] };
    const payloads = [
      ok(caps, { status: AC | MORE, session: { systemVariables: [], schema: 'other' } }),
      ...resultSet(caps, 1, [['1']], AC | MORE),
      ok(caps, { status: AC | MORE }),
      ok(caps, { status: AC, session: tz }),
    ];
    // The closing OK of the result set is rewritten to report a change, as after a function
    // that set a variable.
    const closing = 1 + 3; // after the first OK: column count, definition, row
    payloads[closing] = encodeOk({ statusFlags: AC | MORE, sessionState: tz }, caps, 0xfe);
    const stream = frame(payloads);
    const changed = new Set([0, closing, payloads.length - 1]);
    const oks: { end: number; length: number }[] = [];
    let at = 0;
    payloads.forEach((p, i) => {
      at += 4 + p.length;
      if (changed.has(i)) oks.push({ end: at, length: 4 + p.length });
    });
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set([...cuts, stream.length])].sort((a, b) => a - b);
        const t = new ResponseTracker(caps);
        t.begin(COM_QUERY);
        const seen: { end: number; length: number }[] = [];
        let prev = 0;
        for (const p of points) {
          if (p === prev) continue;
          t.feed(stream.subarray(prev, p));
          for (const o of t.sessionStateOks) seen.push({ end: o.end + prev, length: o.length });
          prev = p;
        }
        expect(t.done).toBe(true);
        expect(seen).toEqual(oks);
      }),
      { numRuns: 200 },
    );
    // Without session tracking the server reports none, whatever the status flags say.
    const plain = new ResponseTracker(CAPS_CLASSIC & ~CLIENT_SESSION_TRACK);
    plain.begin(COM_QUERY);
    plain.feed(
      frame([ok(CAPS_CLASSIC & ~CLIENT_SESSION_TRACK, { status: AC | SERVER_SESSION_STATE_CHANGED })]),
    );
    expect(plain.sessionStateOks).toEqual([]);
  });
});

describe('insert ids past 2^53', () => {
  it.each([
    [2n ** 53n + 1n, '9007199254740993'],
    [2n ** 64n - 2n, '18446744073709551614'],
    [2n ** 53n - 1n, undefined],
    [77n, undefined],
  ])('an OK reporting %s keeps it exactly as text where the number is rounded', (id, text) => {
    const eight = Buffer.alloc(9);
    eight[0] = 0xfe;
    eight.writeBigUInt64LE(id, 1);
    const payload =
      id > 0xffffn
        ? Buffer.concat([Buffer.of(0x00, 0x00), eight, Buffer.of(AC, 0, 0, 0)])
        : Buffer.of(0x00, 0x00, Number(id), AC, 0, 0, 0);
    const t = new ResponseTracker(CAPS_CLASSIC);
    t.begin(COM_QUERY, { cursor: false });
    expect(track(t, [encodeFrames(payload, 1)])).toBeGreaterThan(0);
    expect(t.lastInsertId).toBe(Number(id));
    expect(t.lastInsertIdText).toBe(text);
  });
});
