/**
 * The database a login names, checked as a server checks it at connect (ER 1049 when it does
 * not exist, 1044 when the account may not use it), so that tools which create a database when
 * the connect fails (Rails, Prisma, Django's test runner) see it fail. A schema a backend
 * account was seen to enter is known and let in without asking; any other is entered once on a
 * backend connection of that account, however many logins ask for it at the same time.
 */
import type { BackendPool, Flavour } from '../backend/backend-pool.js';
import { ProxyError } from '../errors.js';
import type { ProxyCounters } from '../service.js';

/**
 * What a check found: the schema may be entered, does not exist, may not be used by the
 * account — or could not be asked (no connection to be had, the connection lost, another
 * error), and the login goes through as it would without the check.
 */
export type SchemaCheck = 'exists' | 'unknown' | 'denied' | 'unchecked';

export class KnownSchemas {
  private readonly byAccount = new Map<string, Set<string>>();
  /** Checks running, by account and schema: the logins waiting for each. */
  private readonly running = new Map<string, ((found: SchemaCheck) => void)[]>();
  /**
   * @param timeout how long a check may wait for its answer (ms, `connect_timeout`): a server
   *   that does not answer has the connection closed, and the logins waiting go in unchecked
   * @param counters where the checks that asked a server are counted (`loginSchemaChecks`)
   */
  constructor(
    private readonly timeout: number,
    private readonly counters: Pick<ProxyCounters, 'loginSchemaChecks'>,
  ) {}

  /** `account`: the flavour's backend user, or undefined for the servers' own service accounts. */
  has(account: string | undefined, schema: string): boolean {
    return this.byAccount.get(account ?? '')?.has(schema) ?? false;
  }

  /** A connection of `account` entered `schema`. */
  add(account: string | undefined, schema: string): void {
    const key = account ?? '';
    let schemas = this.byAccount.get(key);
    if (schemas === undefined) {
      schemas = new Set();
      this.byAccount.set(key, schemas);
    }
    schemas.add(schema);
  }

  /** A connection of `account` could not enter `schema` (dropped, or its grants taken). */
  forget(account: string | undefined, schema: string): void {
    this.byAccount.get(account ?? '')?.delete(schema);
  }

  /**
   * Whether `flavour`'s account may enter `schema`, asked on one of its backend connections
   * (`COM_INIT_DB`) unless a check of the same is running, whose answer `done` then gets too.
   * The connection goes back to the pool after it, nobody's state (the next sync sets it).
   * `done` must not throw: the logins waiting behind it are called after it.
   */
  check(pool: BackendPool, flavour: Flavour, schema: string, done: (found: SchemaCheck) => void): void {
    const key = `${flavour.user ?? ''}\u0000${schema}`;
    const waiting = this.running.get(key);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    this.running.set(key, [done]);
    const finish = (found: SchemaCheck) => {
      const all = this.running.get(key) ?? [];
      this.running.delete(key);
      if (found === 'exists') this.add(flavour.user, schema);
      for (const d of all) d(found);
    };
    pool.acquire(flavour, true, (err, b) => {
      if (err !== null || b === null) return finish('unchecked');
      if (b.state.schema === schema) {
        pool.release(b);
        return finish('exists');
      }
      this.counters.loginSchemaChecks++;
      b.stateOwner = undefined;
      // Its answer (an error, if the schema is refused) is the proxy's, not the last client's.
      b.ranForProxy();
      const answered = b.destroyUnlessDone(this.timeout);
      b.initDb(schema, true, (lost, t) => {
        answered();
        if (lost !== null) {
          pool.discard(b);
          return finish('unchecked');
        }
        // Read before the release: it may hand the connection (and its tracker) straight to a
        // statement waiting for one, whose start clears the error.
        const errno = t.error?.errno;
        if (errno === undefined) b.state.setSchema(schema);
        pool.release(b);
        if (errno === undefined) finish('exists');
        else if (errno === ProxyError.unknownDatabase.code) finish('unknown');
        else if (errno === ProxyError.databaseAccessDenied.code) finish('denied');
        else finish('unchecked');
      });
    });
  }
}
