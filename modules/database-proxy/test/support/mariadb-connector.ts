/**
 * Clients of the `mariadb` connector (MariaDB's own Node driver: bulk execute, pipelining by
 * default) through the proxy, closed together after the file's tests.
 */
import { type Connection, type ConnectionConfig, createConnection } from 'mariadb';
import { APP_USER, type ProxyFixture } from './proxy-fixture.js';

export interface ConnectorClients {
  /** A connector connection to the proxy as the app user, in schema test; numbers as numbers. */
  open(options?: ConnectionConfig): Promise<Connection>;
  /** Ends every connection opened (destroys one that will not end). */
  closeAll(): Promise<void>;
}

export function connectorClients(fixture: () => ProxyFixture): ConnectorClients {
  const opened: Connection[] = [];
  return {
    async open(options = {}) {
      const fx = fixture();
      const c = await createConnection({
        host: '127.0.0.1',
        port: fx.port,
        user: APP_USER.name,
        password: APP_USER.password,
        database: 'test',
        bigIntAsNumber: true,
        insertIdAsNumber: true,
        ...options,
      });
      opened.push(c);
      return c;
    },
    async closeAll() {
      await Promise.all(opened.splice(0).map((c) => c.end().catch(() => c.destroy())));
    },
  };
}
