/**
 * The set-up most proxy test files share: one fixture for the file, started before its tests,
 * with a connection straight to its MariaDB (as root) kept open for them and handed to `setup`
 * first (tables, procedures, schemas); clients tracked and closed after each test; all stopped
 * after the last.
 */
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ProxyFixture, type ProxyFixtureOptions, startProxyFixture } from './proxy-fixture.js';
import { type TrackedClients, trackedClients } from './tracked-clients.js';

export interface ProxyTestFile {
  /** The file's fixture (started in beforeAll). */
  fx(): ProxyFixture;
  /** The file's connection straight to MariaDB, as root. */
  direct(): mysql.Connection;
  clients: TrackedClients;
}

export function proxyTestFile(
  options: ProxyFixtureOptions & { setup?: (direct: mysql.Connection) => Promise<void> } = {},
): ProxyTestFile {
  let fixture: ProxyFixture | undefined;
  let connection: mysql.Connection | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the proxy fixture starts in beforeAll');
    return value;
  };
  const fx = () => started(fixture);
  const clients = trackedClients(fx);
  beforeAll(async () => {
    fixture = await startProxyFixture(options);
    connection = await fixture.direct();
    await options.setup?.(connection);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await connection?.end();
    await fixture?.stop();
  });
  return { fx, direct: () => started(connection), clients };
}

/** Table `nums`: ids 1 to 10, each with n = 0. */
export async function createNums(direct: mysql.Connection): Promise<void> {
  await direct.query('CREATE TABLE nums (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)');
  await direct.query('INSERT INTO nums (id) SELECT seq FROM seq_1_to_10');
}
