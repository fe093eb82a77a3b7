/**
 * The proxy in front of two MariaDBs with one backend connection to each: while a client holds
 * one server's only connection, the next client's statement runs on the other server.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import type { Logger } from 'pino';
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

type Account = { name: string; password: string };

/**
 * @param prepare runs on each server (index 0: db1) once its backend user exists, before the proxy starts
 * @param accounts each server's service account (created there, and only there): the backend's
 *   `user` / `password`
 * @param users the proxy's users (default: APP_USER, logging in as the service accounts)
 * @param logger the kernel's logger (see ProxyFixtureOptions.logger)
 */
export async function startTwoServerProxy(
  prepare?: (server: MariaDB, index: number) => Promise<void>,
  {
    accounts = [BACKEND_USER, BACKEND_USER],
    users,
    logger,
  }: { accounts?: [Account, Account]; users?: unknown[]; logger?: Logger } = {},
): Promise<TwoServerProxy> {
  const servers = (await Promise.all([startMariaDB(), startMariaDB()])) as [MariaDB, MariaDB];
  await Promise.all(
    servers.map(async (m, i) => {
      await createBackendUser(m, accounts[i]);
      await prepare?.(m, i);
    }),
  );
  const backend = (i: number) => ({
    name: `db${i + 1}`,
    address: `127.0.0.1:${servers[i]!.port}`,
    user: accounts[i]!.name,
    password: accounts[i]!.password,
    pool: 1,
  });
  const fx = await startProxyFixture({
    mariadb: servers[0],
    createBackendUser: false,
    logger,
    options: {
      users: users ?? [
        { name: APP_USER.name, password: APP_USER.password, tenant: 'default', max_connections: 50 },
      ],
      backends: [backend(0), backend(1)],
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
