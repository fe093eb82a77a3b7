/**
 * COM_CHANGE_USER, the login and COM_RESET_CONNECTION answered as MariaDB answers them: the
 * same bytes go straight to MariaDB (as the backend user) and through the proxy (as the app
 * user), and the answers — OK packets byte for byte, what the session keeps and what it loses —
 * must be equal. The proxy answers these commands itself, so nothing of MariaDB's answer reaches
 * the client unless the proxy rebuilds it; these tests catch what it rebuilds differently.
 */
import {
  buildResetConnection,
  buildSetOption,
  CLIENT_IGNORE_SPACE,
  CLIENT_MULTI_STATEMENTS,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { failure, one } from './support/backends.js';
import {
  APP_USER,
  BACKEND_USER,
  connectAsBackendUser,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { rawChangeUser, rawLogin, rawResult } from './support/raw-login.js';
import { trackedClients } from './support/tracked-clients.js';

/** Another proxy user on the same backend account and tenant as APP_USER. */
const OTHER = { name: 'app2', password: 'secret2' };
/** A proxy user with a backend account (OWN) and a tenant of its own. */
const BEE = { name: 'bee', password: 'beepw' };
const OWN = { name: 'own2', password: 'own2pw' };

let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: 2,
    options: {
      users: [
        { name: APP_USER.name, password: APP_USER.password, tenant: 'a', max_connections: 5000 },
        { name: OTHER.name, password: OTHER.password, tenant: 'a' },
        {
          name: BEE.name,
          password: BEE.password,
          tenant: 'b',
          backend_user: OWN.name,
          backend_password: OWN.password,
        },
      ],
      tenants: [{ name: 'a' }, { name: 'b' }],
    },
  });
  await createBackendUser(fx.mariadb, OWN);
  const direct = await fx.direct();
  try {
    await direct.query('CREATE TABLE IF NOT EXISTS cu (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))');
  } finally {
    await direct.end();
  }
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await fx?.stop();
});

type Side = 'proxy' | 'direct';

/** Who a side logs in as: the proxy's user, or the backend account it stands for. */
const accountOf = (side: Side) => (side === 'proxy' ? APP_USER : BACKEND_USER);

/**
 * MariaDB drops IGNORE_SPACE from sql_mode at a reset or change of user and the proxy keeps it
 * (a known difference, see differential.test.ts): the clients here do not ask for it, so the OK
 * packets and sessions compare on everything else.
 */
const CAPABILITIES = SUPPORTED_CAPABILITIES & ~CLIENT_IGNORE_SPACE;

function login(side: Side, capabilities = CAPABILITIES): Promise<RawClient> {
  return rawLogin(side === 'proxy' ? fx.port : fx.mariadb.port, accountOf(side), { capabilities });
}

/** Runs `body` with one client straight at MariaDB and one through the proxy, closing both. */
async function onBothSides<T>(
  body: (side: Side, c: RawClient) => Promise<T>,
): Promise<{ direct: T; proxy: T }> {
  const out = {} as { direct: T; proxy: T };
  for (const side of ['direct', 'proxy'] as const) {
    const c = await login(side);
    try {
      out[side] = await body(side, c);
    } finally {
      await c.close();
    }
  }
  return out;
}

describe('OK packets', () => {
  it("the login OK is MariaDB's: the schema in its session-state block for a client tracking state", async () => {
    const { direct, proxy } = await onBothSides(async (_, c) => c.session.ok);
    expect(direct.sessionState?.schema).toBe('test');
    expect(proxy).toEqual(direct);
  });

  it("the COM_CHANGE_USER OK is MariaDB's, byte for byte, the schema in its session-state block", async () => {
    const { direct, proxy } = await onBothSides(async (side, c) => {
      const r = await rawChangeUser(c, accountOf(side));
      return { ok: r.packets.at(-1)!.payload.toString('hex'), schema: r.sessionState?.schema };
    });
    expect(direct.schema).toBe('test');
    expect(proxy).toEqual(direct);
  });

  it("the COM_RESET_CONNECTION OK is MariaDB's, byte for byte", async () => {
    const { direct, proxy } = await onBothSides(async (_, c) =>
      (await c.command(buildResetConnection())).packets.map((p) => p.payload.toString('hex')),
    );
    expect(proxy).toEqual(direct);
  });
});

describe('COM_RESET_CONNECTION', () => {
  it('clears the row count, insert id, warnings, autocommit and SQL-prepared statements as MariaDB does, whatever another client left on the backend', async () => {
    const bystander = await clients.client();
    const { direct, proxy } = await onBothSides(async (side, c) => {
      await c.query("INSERT INTO cu (v) VALUES ('a'), ('b'), ('c')");
      await c.query('SELECT 1/0');
      await c.query('SET autocommit = 0');
      await c.query('PREPARE s1 FROM "SELECT 1"');
      await c.command(buildResetConnection());
      // The backend the proxy gives back is shared: another client's row count, insert id and
      // warnings on it must not show through as this client's.
      if (side === 'proxy') {
        await bystander.query("INSERT INTO cu (v) VALUES ('x'), ('y')");
        await bystander.query('SELECT 1/0, 2/0');
      }
      return {
        counts: await rawResult(
          c,
          'SELECT ROW_COUNT(), LAST_INSERT_ID(), @@warning_count, @@autocommit, @@in_transaction',
        ),
        warnings: await rawResult(c, 'SHOW WARNINGS'),
        prepared: await rawResult(c, 'EXECUTE s1'),
      };
    });
    expect(direct.prepared).toMatch(/^ERR 1243 /);
    expect(proxy).toEqual(direct);
  });
});

describe('COM_CHANGE_USER', () => {
  it('naming a database that does not exist is refused with 1049 as MariaDB refuses it; the connection goes on where it was', async () => {
    const seen = await onBothSides(async (side, c) => {
      const r = await rawChangeUser(c, accountOf(side), { schema: 'no_such_cu_db' });
      return {
        error: r.error && { errno: r.error.errno, sqlState: r.error.sqlState, message: r.error.message },
        after: await rawResult(c, 'SELECT DATABASE(), 1 + 1'),
      };
    });
    expect(seen.direct).toMatchObject({
      error: { errno: 1049, sqlState: '42000', message: "Unknown database 'no_such_cu_db'" },
      after: { rows: [['test', '2']] },
    });
    expect(seen.proxy).toEqual(seen.direct);
  });

  it('leaves no temporary table, user variable or prepared statement of the old session, and a lost statement is named in 1243 as MariaDB names it', async () => {
    const run = async (c: mysql.Connection, user: { name: string; password: string }) => {
      await c.query('CREATE TEMPORARY TABLE cu_tmp (x INT)');
      await c.query('SET @cuv = 7');
      const statement = await c.prepare('SELECT ? + 1 AS n');
      await c.changeUser({ user: user.name, password: user.password, database: 'test' });
      const tmp = await failure(c.query('SELECT * FROM cu_tmp'));
      const v = await one(c, 'SELECT @cuv AS v');
      const lost = await failure(statement.execute([1]));
      // Statement ids are each side's own: only the text around them compares.
      return { tmp: tmp.errno, v: v.v, lost: `${lost.errno} ${lost.message.replace(/\(\d+\)/, '(N)')}` };
    };
    const reference = await connectAsBackendUser(fx);
    try {
      const expected = await run(reference, BACKEND_USER);
      expect(expected.lost).toMatch(/mysqld_stmt_execute/);
      expect(await run(await clients.client(), OTHER)).toEqual(expected);
    } finally {
      await reference.end();
    }
  });

  it("to a user with a backend account and tenant of its own runs as them, and back again as the first user's", async () => {
    const c = await clients.client();
    const sessions = () => fx.proxy.stats().clients.map((s) => [s.user, s.tenant]);
    expect((await one(c, 'SELECT CURRENT_USER() AS u')).u).toBe(`${BACKEND_USER.name}@%`);
    await c.changeUser({ user: BEE.name, password: BEE.password, database: 'test' });
    expect(sessions()).toEqual([[BEE.name, 'b']]);
    expect((await one(c, 'SELECT CURRENT_USER() AS u')).u).toBe(`${OWN.name}@%`);
    // A transaction open on OWN's backend must not follow the client back to the other account.
    await c.query('START TRANSACTION');
    await c.query('SELECT 1');
    await c.changeUser({ user: APP_USER.name, password: APP_USER.password, database: 'test' });
    expect(sessions()).toEqual([[APP_USER.name, 'a']]);
    expect(await one(c, 'SELECT CURRENT_USER() AS u, @@in_transaction AS t')).toEqual({
      u: `${BACKEND_USER.name}@%`,
      t: 0,
    });
  });

  it.each([
    ['on', true],
    ['off', false],
  ])(
    'keeps multi-statements turned %s by COM_SET_OPTION, as a reset does, as MariaDB keeps it',
    async (_, on) => {
      // Logged in with the opposite, so the setting the client chose differs from its login's.
      const capabilities = on
        ? CAPABILITIES & ~CLIENT_MULTI_STATEMENTS
        : CAPABILITIES | CLIENT_MULTI_STATEMENTS;
      const outcome = async (side: Side) => {
        const c = await login(side, capabilities);
        try {
          const batch = async () => {
            const r = await c.query('SELECT 1; SELECT 2');
            return r.error ? `ERR ${r.error.errno}` : `result sets: ${r.resultSets}`;
          };
          const set = await c.command(buildSetOption(on));
          const afterSet = await batch();
          await c.command(buildResetConnection());
          const afterReset = await batch();
          const changed = await rawChangeUser(c, accountOf(side));
          return {
            set: set.error?.errno,
            afterSet,
            afterReset,
            changed: changed.error?.errno,
            afterChange: await batch(),
          };
        } finally {
          await c.close();
        }
      };
      const expected = await outcome('direct');
      const batch = on ? 'result sets: 2' : 'ERR 1064';
      expect(expected).toMatchObject({ afterSet: batch, afterReset: batch, afterChange: batch });
      expect(await outcome('proxy')).toEqual(expected);
    },
  );
});
