/**
 * Differential test: MariaDB itself is the reference. K logical clients each hold two
 * connections, one straight to MariaDB (as the proxy's backend account) and one through the
 * proxy (pool of 2, so the clients share backends and move between them). A seeded generator
 * picks the next client and a statement from the catalogue in support/differential.ts; the
 * statement runs on the direct connection, then on the proxy connection, and the two outcomes
 * (rows, field metadata, affected rows, insert id, warnings, status flags, error code, SQL state
 * and message) must be equal once each side's prefix (`ref_` / `prx_`) is normalised.
 *
 * On a difference the failure names the seed, the step and the recent statements of that client
 * and of all clients. To run other seeds: DIFF_SEEDS=1-40 DIFF_STEPS=500; DIFF_EXPLORE=1 logs the
 * first difference of each seed instead of failing (DIFF_LOG=file to collect them); DIFF_BUGS=1
 * turns off the workarounds below for bugs 2-3; DIFF_EXCLUDE=name,… leaves out more entries.
 *
 * Differences this test found (see EXCLUDED and the generator's rules for how each is kept out):
 *  1. (Fixed.) Result metadata after the proxy reset a backend or moved a client: string
 *     columns came in the character set's default collation, not the handshake's or the one
 *     `SET NAMES … COLLATE` chose (session-state.test.ts "result metadata").
 *  2. COM_RESET_CONNECTION / COM_CHANGE_USER: MariaDB drops IGNORE_SPACE (added at login by
 *     CLIENT_IGNORE_SPACE) from sql_mode; through the proxy it stays.
 *  3. OK packets carry the backend's session tracking (session_track_system_variables='*',
 *     state change on): SERVER_SESSION_STATE_CHANGED after `SET @v = 1` or `CREATE TEMPORARY
 *     TABLE`, `wait_timeout` reported, where MariaDB with the client's defaults reports none.
 *  4. Diagnostics: MariaDB keeps warnings and errors across statements that use no table and
 *     raise nothing (`SHOW WARNINGS` twice, or an error, then `SET …` or `SELECT @@x`, then
 *     `SHOW WARNINGS` / `@@warning_count`); through the proxy they read empty / 0.
 *  5. A multi-row INSERT failing at a later row sets LAST_INSERT_ID() on MariaDB (the ERR packet
 *     reports no id); through the proxy LAST_INSERT_ID() answers the client's earlier id.
 *  6. `SELECT LAST_INSERT_ID(), ROW_COUNT()` right after an UPDATE answers ROW_COUNT() 0 (MariaDB:
 *     the rows updated): the proxy's `SET @@session.last_insert_id` runs first.
 *  7. ROW_COUNT() / FOUND_ROWS() after a single SELECT that is not a pure read (FOR UPDATE,
 *     IS_FREE_LOCK(), @@identity) or a batch ending in SHOW: 0 instead of -1 / the rows.
 *  8. FOUND_ROWS() after a statement that is not a SELECT (SET, USE, DO, BEGIN, UPDATE, a reset)
 *     or as a connection's first statement: MariaDB answers the last SELECT's rows, the proxy 0.
 *  Seeds beyond the default ones also meet MariaDB's own column names after a
 *  COM_RESET_CONNECTION of a client greeting with utf8mb4_unicode_ci (seed 9).
 */
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENTS,
  type Credentials,
  type Normalisation,
  type Outcome,
  run,
  type Side,
  type Step,
  setupSql,
  steps,
} from './support/differential.js';
import { takeProtocolWarnings, watchProtocol } from './support/protocol-warnings.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';

const POOL = 2;

function seedsFromEnv(): number[] {
  const spec = process.env.DIFF_SEEDS;
  if (!spec) return [1, 2, 3, 4];
  return spec.split(',').flatMap((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return hi === undefined ? [lo!] : Array.from({ length: hi - lo! + 1 }, (_, i) => lo! + i);
  });
}
const SEEDS = seedsFromEnv();
const STEPS = Number(process.env.DIFF_STEPS ?? 400);
const EXPLORE = process.env.DIFF_EXPLORE === '1';

/**
 * Catalogue entries left out, each with why: documented limits of the proxy, and differences
 * this test found that are reported as bugs (to be put back once fixed).
 */
const EXCLUDED = new Map<string, string>([
  ['insert id with counts', 'bug 6'],
  [
    'insert on duplicate key update',
    'documented limit (README, insert id): when it updates, the OK packet reports the updated row id, which LAST_INSERT_ID() does not take; the proxy follows the reported one',
  ],
  ['multi-row insert', 'bug 5'],
  ...(process.env.DIFF_EXCLUDE ?? '')
    .split(',')
    .filter(Boolean)
    .map((name) => [name, 'excluded from the environment'] as [string, string]),
]);

/** DIFF_BUGS=1: none of the settings below that hide the differences this test found. */
const SHOW_BUGS = process.env.DIFF_BUGS === '1';

/**
 * How both sides connect, beyond multi-statements. Bug 2: without CLIENT_IGNORE_SPACE (mysql2
 * sets it) neither side has IGNORE_SPACE in sql_mode.
 */
const CONNECT_OPTIONS: mysql.ConnectionOptions = SHOW_BUGS
  ? {}
  : {
      flags: ['-IGNORE_SPACE'],
    };

/** Bug 3: see Normalisation (support/differential.ts). */
const normalisation: Normalisation = { ignoreSessionTracking: !SHOW_BUGS };

const CREDENTIALS: Record<Side, Credentials> = {
  ref: { user: BACKEND_USER.name, password: BACKEND_USER.password },
  prx: { user: APP_USER.name, password: APP_USER.password },
};

let fx: ProxyFixture;
let root: mysql.Connection;

beforeAll(async () => {
  // queue_timeout well under the test's: a client that waits for a backend because another
  // holds one the generator did not expect fails as a difference (ERR 9001), not as a hang.
  fx = await startProxyFixture({ pool: POOL, options: { queue_timeout: '3s' } });
  root = await fx.direct();
});

afterAll(async () => {
  await root?.end();
  await fx?.stop();
});

interface Client {
  ref: mysql.Connection;
  prx: mysql.Connection;
}

function describeStep(step: Step): string {
  const what =
    step.kind === 'query'
      ? step.sql
      : step.kind === 'execute'
        ? `execute(${step.sql}, ${JSON.stringify(step.params)})`
        : step.kind === 'unprepare'
          ? `unprepare(${step.sql})`
          : step.kind === 'changeUser'
            ? `changeUser(database {s}_${step.schema})`
            : 'reset()';
  return `client ${step.client}: ${what}`;
}

function brief(o: Outcome): string {
  const s = JSON.stringify(o);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

async function runSeed(seed: number): Promise<string | undefined> {
  for (const side of ['ref', 'prx'] as const) for (const sql of setupSql(side)) await root.query(sql);
  const options: mysql.ConnectionOptions = {
    multipleStatements: true,
    dateStrings: true,
    ...CONNECT_OPTIONS,
  };
  const clients: Client[] = [];
  try {
    for (let c = 0; c < CLIENTS; c++) {
      const ref = await connectAsBackendUser(fx, { ...options, database: 'ref_main' });
      const prx = await fx.connect({ ...options, database: 'prx_main' });
      watchProtocol(prx);
      ref.on('error', () => {});
      prx.on('error', () => {});
      clients.push({ ref, prx });
    }
    const history: { step: Step; n: number; outcome: Outcome }[] = [];
    let n = 0;
    for (const step of steps(seed, STEPS, new Set(EXCLUDED.keys()), POOL)) {
      n++;
      const c = clients[step.client]!;
      const expected = await run(c.ref, step, 'ref', CREDENTIALS.ref, normalisation);
      const actual = await run(c.prx, step, 'prx', CREDENTIALS.prx, normalisation);
      history.push({ step, n, outcome: expected });
      if (!isDeepStrictEqual(expected, actual)) {
        const line = (h: (typeof history)[number]) =>
          `  #${h.n} ${describeStep(h.step)}  -> ${brief(h.outcome)}`;
        return [
          `seed ${seed}, step ${n}: ${describeStep(step)}`,
          `  MariaDB: ${JSON.stringify(expected)}`,
          `  proxy:   ${JSON.stringify(actual)}`,
          `client ${step.client}'s last statements (MariaDB's outcome):`,
          ...history
            .filter((h) => h.step.client === step.client)
            .slice(-Number(process.env.DIFF_HISTORY ?? 10))
            .map(line),
          `all clients, last ${process.env.DIFF_HISTORY ?? 10}:`,
          ...history.slice(-Number(process.env.DIFF_HISTORY ?? 10)).map(line),
          `proxy clients now: ${JSON.stringify(fx.proxy.stats().clients.map((s) => [s.state, s.pinned, s.lazyBegin]))}`,
        ].join('\n');
      }
    }
    return undefined;
  } finally {
    await Promise.all(clients.flatMap((c) => [c.ref, c.prx]).map((c) => c.end().catch(() => c.destroy())));
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'every client to leave the proxy' });
  }
}

/** Counters that show the run exercised concentration, not one backend per client. */
function coverage(): Record<string, number> {
  const { counters, pipeline } = fx.proxy.stats();
  return {
    stateSyncs: counters.stateSyncs,
    reprepares: counters.reprepares,
    replays: counters.replays,
    lazyBegins: counters.lazyBegins,
    stacked: pipeline.stacked,
  };
}

describe('the proxy answers as MariaDB does', () => {
  it.each(SEEDS)('seed %i', async (seed) => {
    const before = coverage();
    const difference = await runSeed(seed);
    const after = coverage();
    const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]!]));
    if (process.env.DIFF_COVERAGE === '1') console.log(`seed ${seed}: ${JSON.stringify(delta)}`);
    if (EXPLORE) {
      if (difference) appendFileSync(process.env.DIFF_LOG ?? '/dev/stdout', `${difference}\n\n`);
      return;
    }
    if (difference) throw new Error(difference);
    // Sessions really moved between backends (the proxy brought a backend to a client's state).
    expect(delta.stateSyncs).toBeGreaterThan(0);
    expect(takeProtocolWarnings(), 'mysql2 protocol warnings').toEqual([]);
  });
});
