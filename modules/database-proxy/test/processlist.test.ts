import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import {
  declarations,
  everywhere,
  hold,
  type Row,
  rows,
  runningOnProxy,
  warningsAcross,
} from './support/backends.js';
import { connectorClients } from './support/mariadb-connector.js';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, clients } = proxyTestFile({
  pool: 2,
  options: {
    users: [
      { name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 5000 },
      { name: 'other', password: 'other-pw', tenant: 'default' },
    ],
    queue_timeout: '60s',
  },
});
const client = clients.client;
const connector = connectorClients(fx);
// Registered after the file's own: runs before it, so every client has left when it checks.
afterEach(() => connector.closeAll());

const running = (c: mysql.Connection, sql: string) => runningOnProxy(fx(), c, sql);

function byId(list: Row[]): Map<number, Row> {
  return new Map(list.map((r) => [Number(r.Id), r]));
}

describe('SHOW PROCESSLIST lists the proxy’s connections, with the ids KILL takes', () => {
  it('the user’s own connections: ids from the greetings, schema, Sleep or Query, and nobody else’s', async () => {
    const asker = await client();
    const idle = await client({ database: undefined });
    const elsewhere = await client();
    await elsewhere.query('USE mysql');
    const stranger = await client({ user: 'other', password: 'other-pw' });

    const list = await rows(asker, 'SHOW PROCESSLIST');
    expect(list.map((r) => Number(r.Id))).toEqual([asker.threadId, idle.threadId, elsewhere.threadId]);
    const seen = byId(list);
    expect(seen.get(asker.threadId)).toMatchObject({
      User: 'app',
      db: 'test',
      Command: 'Query',
      Info: 'SHOW PROCESSLIST',
    });
    expect(seen.get(idle.threadId)).toMatchObject({ db: null, Command: 'Sleep', State: null, Info: null });
    expect(seen.get(elsewhere.threadId)).toMatchObject({ db: 'mysql', Command: 'Sleep' });
    // The client's address as the server shows it: host and port.
    expect(String(seen.get(idle.threadId)!.Host)).toMatch(/^127\.0\.0\.1:\d+$/);

    // The other user sees its own connection only.
    expect((await rows(stranger, 'SHOW FULL PROCESSLIST')).map((r) => Number(r.Id))).toEqual([
      stranger.threadId,
    ]);
  });

  it.each(['SHOW PROCESSLIST', 'SHOW FULL PROCESSLIST'])(
    '%s: the server’s columns, declared as the server declares them (but State’s length)',
    async (sql) => {
      const c = await client();
      const [, proxyFields] = await c.query(sql);
      const direct = await fx().direct();
      try {
        const [, serverFields] = await direct.query(sql);
        // Both clients log in with mysql2's default collation, which the text columns take.
        const declared = (fields: unknown) =>
          declarations(fields).map((d) => (d.name === 'State' ? { ...d, length: 'the proxy’s' } : d));
        expect(declared(proxyFields)).toEqual(declared(serverFields));
      } finally {
        await direct.end();
      }
      const [row] = await rows(c, sql);
      expect(row).toMatchObject({ Id: c.threadId, Time: 0, Progress: 0 });
    },
  );

  it('a running statement: its text and server, and KILL QUERY with the id listed interrupts it', async () => {
    const sleeper = await client();
    const watcher = await client();
    const { outcome: sleeping } = await running(sleeper, 'SELECT SLEEP(120) AS s');
    const listed = (await rows(watcher, 'SHOW FULL PROCESSLIST')).find(
      (r) => r.Info === 'SELECT SLEEP(120) AS s',
    );
    expect(listed).toMatchObject({ Command: 'Query', State: 'Running on db1' });
    await watcher.query(`KILL QUERY ${Number(listed!.Id)}`);
    expect([1, 1317]).toContain(await sleeping);
  });

  it('a pinned client and one queued for a backend say so in State', async () => {
    const holders = [await hold(fx()), await hold(fx())];
    let waitingRead: Promise<unknown> | undefined;
    try {
      const queued = await client();
      waitingRead = queued.query('SELECT 7 AS seven').then(([r]) => r);
      await waitFor(
        () =>
          fx()
            .proxy.stats()
            .clients.some((c) => c.id === queued.threadId && c.state === 'waiting'),
        { what: 'the statement to wait for a backend' },
      );
      const watcher = await client();
      const seen = byId(await rows(watcher, 'SHOW PROCESSLIST'));
      // The watcher itself needs no backend: it is answered while both are held.
      expect(seen.get(queued.threadId)).toMatchObject({
        Command: 'Query',
        State: 'Waiting for a backend connection',
        Info: 'SELECT 7 AS seven',
      });
      expect(seen.get(holders[0]!.conn.threadId)).toMatchObject({
        Command: 'Sleep',
        State: 'Pinned to db1: transaction',
      });
    } finally {
      await Promise.all(holders.map((h) => h.release()));
    }
    expect(await waitingRead).toEqual([{ seven: 7 }]);
  });

  it('SHOW PROCESSLIST keeps the first 100 characters of a statement; FULL the whole of it', async () => {
    const sleeper = await client();
    const watcher = await client();
    const sql = `SELECT SLEEP(120) AS s, '${'x'.repeat(150)}' AS pad`;
    const { outcome: sleeping } = await running(sleeper, sql);
    const short = byId(await rows(watcher, 'SHOW PROCESSLIST')).get(sleeper.threadId);
    const full = byId(await rows(watcher, 'show /* every word */ full processlist')).get(sleeper.threadId);
    expect(short!.Info).toBe(sql.slice(0, 100));
    expect(full!.Info).toBe(sql);
    await watcher.query(`KILL QUERY ${sleeper.threadId}`);
    expect([1, 1317]).toContain(await sleeping);
  });

  it('only the statement alone: beside others, prepared or in a procedure it is the server’s, and nothing is lost', async () => {
    const c = await client({ multipleStatements: true });
    await c.query('CREATE TABLE IF NOT EXISTS pl_writes (v INT)');
    // A `--` comment ends at its newline: the DELETE after it is a statement, and runs.
    await c.query('INSERT INTO pl_writes VALUES (1), (2)');
    await c.query('SHOW PROCESSLIST;\n--\nDELETE FROM pl_writes WHERE v = 1');
    expect(await rows(c, 'SELECT v FROM pl_writes')).toEqual([{ v: 2 }]);
    // The server's list shows its threads, under the backend account the proxy logs in with.
    const servers = (list: Row[]) => list.some((r) => r.User === BACKEND_USER.name);
    const [sets] = await c.query('SELECT 1 AS one; SHOW PROCESSLIST');
    expect(servers((sets as Row[][])[1]!)).toBe(true);
    const [prepared] = await c.execute('SHOW PROCESSLIST');
    expect(servers(prepared as Row[])).toBe(true);
    await c.query('DROP PROCEDURE IF EXISTS pl_list');
    await c.query('CREATE PROCEDURE pl_list() BEGIN SHOW PROCESSLIST; END');
    const [called] = await c.query('CALL pl_list()');
    expect(servers((called as Row[][])[0]!)).toBe(true);
    expect((await rows(c, 'SHOW PROCESSLIST')).map((r) => Number(r.Id))).toEqual([c.threadId]);
    await c.query('DROP TABLE pl_writes; DROP PROCEDURE pl_list');
  });

  it('a KILL QUERY of a pinned client while the proxy gathers its SHOW PROCESSLIST reaches no backend', async () => {
    const pinned = await client();
    const killer = await client();
    await pinned.query('BEGIN');
    await pinned.query('SELECT 1');
    // The gathering held open (as while other event threads are asked): the KILL lands in it.
    const core = fx().proxy as unknown as { processlist(request: unknown): Promise<Row[]> };
    const gather = core.processlist;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let gathered = false;
    core.processlist = async (request) => {
      const list = await gather.call(fx().proxy, request);
      gathered = true;
      await gate;
      return list;
    };
    try {
      const listing = rows(pinned, 'SHOW PROCESSLIST');
      await waitFor(() => gathered, { what: 'the list to be gathered' });
      const sent = fx().proxy.stats().counters.killQueriesSent;
      await killer.query(`KILL QUERY ${pinned.threadId}`);
      // Its pinned backend runs nothing of the client's: no KILL went to it.
      expect(fx().proxy.stats().counters.killQueriesSent).toBe(sent);
      open();
      expect(byId(await listing).get(pinned.threadId)).toMatchObject({ State: 'Answered by the proxy' });
    } finally {
      open();
      core.processlist = gather;
    }
    expect(await rows(pinned, 'SELECT 4 AS four')).toEqual([{ four: 4 }]);
    await pinned.query('ROLLBACK');
  });

  it('keeps the previous statement’s warnings, as the server keeps them across a SHOW', async () => {
    const warning = ["Warning 1292 Truncated incorrect INTEGER value: '1x'"];
    expect(await warningsAcross(fx(), client, 'SHOW PROCESSLIST')).toEqual(everywhere(warning));
  });

  it('the mariadb connector (DEPRECATE_EOF, extended metadata) reads the same rows', async () => {
    const a = await connector.open();
    const b = await connector.open();
    const list = (await a.query('SHOW PROCESSLIST')) as Row[];
    expect(list.map((r) => Number(r.Id))).toEqual([a.threadId, b.threadId].sort((x, y) => x! - y!));
    expect(list.find((r) => Number(r.Id) === a.threadId)).toMatchObject({
      User: 'app',
      db: 'test',
      Command: 'Query',
      Info: 'SHOW PROCESSLIST',
    });
    expect(list.find((r) => Number(r.Id) === b.threadId)).toMatchObject({ Command: 'Sleep', Info: null });
    // The connection is still in step: its next answer is its own.
    expect(await a.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });
});
