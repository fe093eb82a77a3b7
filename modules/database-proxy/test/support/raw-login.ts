/**
 * A RawClient logged in to `port` as `user`, in schema test: the same bytes sent straight to
 * MariaDB (as the backend user) and through the proxy (as the app user) compare answers.
 */
import { RawClient } from '../../../../packages/mysql-protocol/test/support/raw-client.js';

export function rawLogin(port: number, user: { name: string; password: string }): Promise<RawClient> {
  return RawClient.connect({
    host: '127.0.0.1',
    port,
    user: user.name,
    password: user.password,
    database: 'test',
  });
}
