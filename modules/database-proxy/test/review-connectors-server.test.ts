/**
 * Review scratch (not a real test): runs the proxy from src/ (vitest's "source" condition) in
 * front of a private MariaDB like /tmp/connectors/server.mjs does, writes ENV_FILE
 * (default /tmp/connectors/env-src.json) and serves until /tmp/connectors/stop-src exists.
 *   REVIEW_SERVE=1 npx vitest run modules/database-proxy/test/review-connectors-server.test.ts
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { startProxyFixture } from './support/proxy-fixture.js';

it.runIf(process.env.REVIEW_SERVE === '1')(
  'serves the proxy for /tmp/connectors scripts',
  async () => {
    const envFile = process.env.ENV_FILE ?? '/tmp/connectors/env-src.json';
    const { startMariaDB } = await import('@scalestack/test-harness');
    const mariadb = await startMariaDB({
      maxConnections: 500,
      args: ['--max-allowed-packet=256M', '--local-infile=1'],
    });
    for (const [u, p] of [
      ['proxy', 'proxypw'],
      ['app', 'secret'],
      ['app2', 'secret2'],
    ]) {
      await mariadb.query(`CREATE USER '${u}'@'%' IDENTIFIED BY '${p}'`);
      await mariadb.query(`GRANT ALL ON *.* TO '${u}'@'%'`);
    }
    await mariadb.query('CREATE DATABASE IF NOT EXISTS test2');
    const fx = await startProxyFixture({
      mariadb,
      createBackendUser: false,
      pool: Number(process.env.POOL ?? 2),
      options: {
        users: [
          { name: 'app', password: 'secret', tenant: 'default', max_connections: 1000 },
          { name: 'app2', password: 'secret2', tenant: 'default', max_connections: 1000 },
        ],
      },
    });
    rmSync('/tmp/connectors/stop-src', { force: true });
    writeFileSync(
      envFile,
      JSON.stringify({ proxyPort: fx.port, dbPort: mariadb.port, rootPassword: mariadb.password }),
    );
    try {
      while (!existsSync('/tmp/connectors/stop-src')) await new Promise((r) => setTimeout(r, 500));
    } finally {
      rmSync(envFile, { force: true });
      await fx.stop();
      await mariadb.stop();
    }
  },
  3_600_000,
);
