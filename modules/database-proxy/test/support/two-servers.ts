/**
 * The proxy in front of two MariaDBs with one backend connection to each: while a client holds
 * one server's only connection, the next client's statement runs on the other server.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import {
  APP_USER,
  BACKEND_USER,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './proxy-fixture.js';

export interface TwoServerProxy {
  fx: ProxyFixture;
  /** The servers, as the proxy lists them: `db1`, `db2`. */
  servers: [MariaDB, MariaDB];
  stop(): Promise<void>;
}

/** @param prepare runs on each server (index 0: db1) once its backend user exists, before the proxy starts */
export async function startTwoServerProxy(
  prepare?: (server: MariaDB, index: number) => Promise<void>,
): Promise<TwoServerProxy> {
  const servers = (await Promise.all([startMariaDB(), startMariaDB()])) as [MariaDB, MariaDB];
  await Promise.all(
    servers.map(async (m, i) => {
      await createBackendUser(m);
      await prepare?.(m, i);
    }),
  );
  const backend = (name: string, m: MariaDB) => ({
    name,
    address: `127.0.0.1:${m.port}`,
    user: BACKEND_USER.name,
    password: BACKEND_USER.password,
    pool: 1,
  });
  const fx = await startProxyFixture({
    mariadb: servers[0],
    createBackendUser: false,
    options: {
      users: [{ name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 50 }],
      backends: [backend('db1', servers[0]), backend('db2', servers[1])],
    },
  });
  return {
    fx,
    servers,
    async stop() {
      await fx.stop();
      await Promise.all(servers.map((m) => m.stop()));
    },
  };
}
