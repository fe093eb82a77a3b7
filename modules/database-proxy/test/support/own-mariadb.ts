/**
 * A MariaDB of the test file's own, with the proxy's service account: started before the
 * file's tests and stopped after them.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import { afterAll, beforeAll } from 'vitest';
import { createBackendUser } from './proxy-fixture.js';

/** Registers the hooks; the returned function gives the server once they ran. */
export function useOwnMariaDB(): () => MariaDB {
  let mariadb: MariaDB | undefined;
  beforeAll(async () => {
    mariadb = await startMariaDB();
    await createBackendUser(mariadb);
  });
  afterAll(async () => {
    await mariadb?.stop();
  });
  return () => mariadb!;
}
