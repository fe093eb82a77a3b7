/**
 * The set-up most proxy test files share: one fixture for the file, started before its tests
 * (with `setup` run straight at MariaDB first, for tables and schemas), clients tracked and
 * closed after each test, and the fixture stopped after the last.
 */
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ProxyFixture, type ProxyFixtureOptions, startProxyFixture } from './proxy-fixture.js';
import { type TrackedClients, trackedClients } from './tracked-clients.js';

export interface ProxyTestFile {
  /** The file's fixture (started in beforeAll). */
  fx(): ProxyFixture;
  clients: TrackedClients;
}

export function proxyTestFile(
  options: ProxyFixtureOptions & { setup?: (direct: mysql.Connection) => Promise<void> } = {},
): ProxyTestFile {
  let fixture: ProxyFixture | undefined;
  const fx = () => {
    if (fixture === undefined) throw new Error('the proxy fixture starts in beforeAll');
    return fixture;
  };
  const clients = trackedClients(fx);
  beforeAll(async () => {
    fixture = await startProxyFixture(options);
    if (options.setup !== undefined) {
      const direct = await fixture.direct();
      try {
        await options.setup(direct);
      } finally {
        await direct.end();
      }
    }
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await fixture?.stop();
  });
  return { fx, clients };
}
