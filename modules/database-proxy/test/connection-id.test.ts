/**
 * `SELECT CONNECTION_ID()` through the proxy answers the client's own connection id — the one
 * its greeting gave, SHOW PROCESSLIST lists and KILL takes (PROXY-NOTES 20) — where the server
 * would answer whichever backend thread ran it: shared with other clients, changing between
 * statements, and no id KILL through the proxy reaches. GUI clients read it at connect time to
 * cancel a running query from a second connection.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BACKEND_THREAD_ID,
  backendOf,
  declarations,
  everywhere,
  failure,
  holdBackend,
  one,
  rows,
  runningOnProxy,
  warningsAcross,
} from './support/backends.js';
import { runTool } from './support/client-tools.js';
import { connectorClients } from './support/mariadb-connector.js';
import { END_MARKER, pipelinedAnswers, queryFrame } from './support/pipelined-commands.js';
import { APP_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, clients } = proxyTestFile({ pool: 2, options: { queue_timeout: '60s' } });
const client = clients.client;
const connector = connectorClients(fx);
// Registered after the file's own: runs before it, so every client has left when it checks.
afterEach(() => connector.closeAll());

/** The forms the proxy answers, and the column name MariaDB gives each. */
const FORMS: [string, string][] = [
  ['SELECT CONNECTION_ID()', 'CONNECTION_ID()'],
  ['select connection_id( ) ;', 'connection_id( )'],
  ['/* who */ SELECT CONNECTION_ID() -- am I', 'CONNECTION_ID()'],
  ['SELECT CONNECTION_ID() AS id', 'id'],
  ["SELECT CONNECTION_ID() AS 'my id'", 'my id'],
  ['SELECT CONNECTION_ID() AS `my id` FROM DUAL', 'my id'],
];

describe('SELECT CONNECTION_ID() answers the proxy’s connection id', () => {
  it.each(FORMS)(
    '%s: the greeting’s id, in a column declared as the server declares it',
    async (sql, name) => {
      const c = await client();
      const [proxyRows, proxyFields] = await c.query({ sql, rowsAsArray: true });
      expect(proxyRows).toEqual([[c.threadId]]);
      const direct = await fx().direct();
      try {
        const [serverRows, serverFields] = await direct.query({ sql, rowsAsArray: true });
        expect(serverRows).toEqual([[direct.threadId]]);
        expect(declarations(proxyFields)).toEqual(declarations(serverFields));
        expect(declarations(proxyFields)[0]!.name).toBe(name);
      } finally {
        await direct.end();
      }
    },
  );

  it('stays the client’s own while its statements move between backends, and in a transaction', async () => {
    const c = await client();
    const before = await backendOf(c);
    expect(await one(c, 'SELECT CONNECTION_ID() AS id')).toEqual({ id: c.threadId });
    // The backend it used is held by another client: its statements run on the other one now.
    const held = await holdBackend(fx(), before, 2);
    try {
      expect(await backendOf(c)).not.toBe(before);
      expect(await one(c, 'SELECT CONNECTION_ID() AS id')).toEqual({ id: c.threadId });
    } finally {
      await held.release();
    }
    await c.query('START TRANSACTION');
    await c.query('SELECT 1 FROM DUAL FOR UPDATE');
    expect(await one(c, 'SELECT CONNECTION_ID() AS id')).toEqual({ id: c.threadId });
    // Answered beside the transaction, which stays open on its backend.
    expect(await one(c, 'SELECT @@in_transaction AS t')).toEqual({ t: 1 });
    await c.query('ROLLBACK');
  });

  it('KILL QUERY with the id it answered interrupts that client’s running statement', async () => {
    const sleeper = await client();
    const watcher = await client();
    const { id } = await one(sleeper, 'SELECT CONNECTION_ID() AS id');
    expect(id).toBe(sleeper.threadId);
    const { outcome: sleeping } = await runningOnProxy(fx(), sleeper, 'SELECT SLEEP(120) AS s');
    const listed = (await rows(watcher, 'SHOW PROCESSLIST')).map((r) => Number(r.Id));
    expect(listed).toContain(id);
    await watcher.query(`KILL QUERY ${id}`);
    expect([1, 1317]).toContain(await sleeping);
    expect(await one(sleeper, 'SELECT 2 AS two')).toEqual({ two: 2 });
  });

  it('the mariadb connector (DEPRECATE_EOF, extended metadata) reads the answer; the mariadb CLI sees the server’s column', async () => {
    const c = await connector.open();
    expect(await c.query('SELECT CONNECTION_ID() AS id')).toEqual([{ id: c.threadId }]);
    expect(await c.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
    // Every field of the column as the CLI prints it, but the value and its width.
    const info = async (side: 'proxy' | 'server') => {
      const out = await runTool(fx(), 'mariadb', side, [
        '--column-type-info',
        '-t',
        '-e',
        'SELECT CONNECTION_ID()',
      ]);
      expect(out.stderr).toBe('');
      return out.stdout.replace(/Max_length:\s+\d+/, 'Max_length: N').replace(/\| +\d+ \|/, '| ID |');
    };
    const proxied = await info('proxy');
    expect(proxied).toBe(await info('server'));
    expect(proxied).toContain('Flags:      NOT_NULL UNSIGNED BINARY NUM');
  });

  it('keeps the previous statement’s warnings, as the server keeps them across a table-less SELECT', async () => {
    const warning = ["Warning 1292 Truncated incorrect INTEGER value: '1x'"];
    expect(await warningsAcross(fx(), client, 'SELECT CONNECTION_ID()')).toEqual(everywhere(warning));
  });
});

describe('pipelined', () => {
  it('thousands in one write behind a statement that waits are all answered', async () => {
    // The answers come at once, each as the one before finishes: they used to run a call
    // deeper each, and a few thousand in one read ran the stack out (ERR 1105, connection gone).
    // One write, so that the proxy reads them in chunks of thousands (it pauses the socket only
    // between reads, 64 commands in).
    const holder = await client();
    expect(await one(holder, "SELECT GET_LOCK('cid', 60) AS l")).toEqual({ l: 1 });
    const bytes = Buffer.concat([
      queryFrame("SELECT GET_LOCK('cid', 60)"),
      ...Array.from({ length: 3000 }, () => queryFrame('SELECT CONNECTION_ID()')),
      queryFrame("SELECT RELEASE_LOCK('cid')"),
      END_MARKER,
    ]);
    const piped = pipelinedAnswers(fx().port, APP_USER, bytes, []);
    const queuedBehind = () =>
      fx()
        .proxy.stats()
        .clients.find((x) => x.queued >= 1000);
    await waitFor(() => queuedBehind() !== undefined, { what: 'a thousand commands queued behind the wait' });
    // Still queued: the lock is held until the next line.
    const id = queuedBehind()!.id;
    await one(holder, "SELECT RELEASE_LOCK('cid') AS r");
    const { answered, answers } = await piped;
    expect(answered).toBe(true);
    expect(answers.filter((a) => a.includes(':ERR'))).toEqual([]);
    // Each answer's row: the id as a length-prefixed text.
    const row = Buffer.concat([Buffer.of(String(id).length), Buffer.from(String(id))]).toString('hex');
    expect(answers.filter((a) => a.endsWith(`:${row}`)).length).toBe(3000);
  });
});

describe('anything more is the server’s', () => {
  it('CONNECTION_ID() beside other columns, in an expression or prepared reads the backend thread', async () => {
    const c = await client();
    await c.query('START TRANSACTION');
    // Pinned: every statement runs on one backend thread, which the server names.
    const { id: thread } = await one(c, 'SELECT @@pseudo_thread_id AS id');
    expect(await one(c, 'SELECT CONNECTION_ID() AS c, 1 AS one')).toEqual({ c: thread, one: 1 });
    expect(await one(c, BACKEND_THREAD_ID)).toEqual({ id: thread });
    const [prepared] = await c.execute('SELECT CONNECTION_ID() AS c');
    expect(prepared).toEqual([{ c: thread }]);
    await c.query('ROLLBACK');
  });

  it('a comment after the `;` (a second statement to a multi-statement client), or a two-byte character_set_results', async () => {
    const shapes = async (c: mysql.Connection) => {
      const [multi] = await c.query('SELECT CONNECTION_ID() AS id; -- and then');
      await c.query('SET character_set_results = utf16');
      const [, fields] = await c.query('SELECT CONNECTION_ID()');
      await c.query('SET character_set_results = utf8mb4');
      return {
        results: (multi as unknown[]).length,
        name: Buffer.from(fields[0]!.name, 'latin1').toString('hex'),
      };
    };
    const direct = await fx().direct({ multipleStatements: true });
    const atServer = await shapes(direct).finally(() => direct.end());
    expect(atServer.results).toBe(2);
    expect(await shapes(await client({ multipleStatements: true }))).toEqual(atServer);
  });

  it('an alias MariaDB reserves gets the server’s syntax error', async () => {
    const c = await client();
    const err = await failure(c.query('SELECT CONNECTION_ID() AS from'));
    expect(err.errno).toBe(1064);
    expect(await one(c, 'SELECT CONNECTION_ID() AS id')).toEqual({ id: c.threadId });
  });
});
