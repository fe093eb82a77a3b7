/**
 * Keeps the proxy's {@link ImpureViews} in step with the servers: reads information_schema.VIEWS
 * on an idle pooled connection (so a check never goes over N), at start (on the warm-up
 * connection, before the proxy listens), every `interval` and after a client's view DDL.
 *
 * The check sees what the backend user of the connection it borrowed may see; with several
 * backend users that is any one of them. Each proxy (each `event` worker) keeps its own list.
 */
import type { Logger } from 'pino';
import { ImpureViews } from '../session/impure-views.js';
import { planStateSync, SessionState } from '../session/session-state.js';
import type { BackendConnection } from './backend-connection.js';
import type { BackendServer } from './backend-server.js';

/** The server's own schemas are left out: sys views call sys functions, which only format. */
const VIEWS_SQL =
  "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA NOT IN ('sys', 'mysql', 'information_schema', 'performance_schema')";
/** ER_NO_SUCH_TABLE: a server without the catalog (sqlite-backend) has no stored functions either. */
const ER_NO_SUCH_TABLE = 1146;

export class ImpureViewCheck {
  readonly views = new ImpureViews();
  /** A check is due: it runs as soon as some server has an idle connection. */
  private wanted: boolean;
  private running = false;
  /** A failed check was logged at warn level; the next failures go to debug until one works. */
  private warned = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * @param interval how often to check (ms); 0 turns checking off and every view then counts as
   *   a pure read, as the statement text says
   * @param timeout how long one check may take (ms): a server that does not answer has its
   *   connection closed, so the check fails instead of blocking every later one
   */
  constructor(
    private readonly servers: readonly BackendServer[],
    interval: number,
    private readonly log: Logger,
    private readonly timeout: number,
  ) {
    this.wanted = interval > 0;
    if (interval > 0) {
      this.timer = setInterval(() => this.request(), interval);
      this.timer.unref();
    } else {
      this.views.assumeNone();
    }
  }

  /** Checks again soon (a client changed a view). */
  request(): void {
    if (this.timer === undefined || this.stopped) return;
    this.wanted = true;
    this.tryRun();
  }

  /** A connection became idle: a check that is due can run now. */
  onIdle(): void {
    if (this.wanted && !this.running) this.tryRun();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.stopped = true;
    this.wanted = false;
  }

  private tryRun(): void {
    if (this.running) return;
    for (const server of this.servers) {
      if (!server.inService) continue;
      const conn = server.borrowIdle();
      if (conn === undefined) continue;
      // Back to the pool last: giving it back may start the next check (onIdle).
      this.checkOn(conn, server.name, () => server.putIdle(conn));
      return;
    }
  }

  /**
   * Checks on a connection the caller holds (the proxy's warm-up connection at start, so that
   * it listens knowing the views); `done` gives the connection back.
   */
  checkOn(conn: BackendConnection, serverName: string, done: () => void, timeout = this.timeout): void {
    if (this.timer === undefined || this.running || this.stopped) {
      done();
      return;
    }
    this.running = true;
    this.wanted = false;
    const asOf = this.views.version;
    const answered = conn.destroyUnlessDone(timeout);
    // The connection is in its last client's session: a sql_select_limit would cut the list
    // short, a character_set_results of utf16 make it unreadable — views missed, and a write
    // hidden in one run twice as a pure read. Back to the connect-time settings first.
    const connectTime = new SessionState(conn.state.schema);
    const toBaseline = planStateSync(conn.state, connectTime, conn.baseline).setStatement;
    if (toBaseline === undefined) this.readViews(conn, serverName, asOf, answered, done);
    else {
      // A SET that fails leaves its error in the diagnostics area: the proxy's, no client's.
      conn.ranForProxy();
      conn.query(toBaseline, undefined, (err, t) => {
        if (err === null && t.error === undefined) {
          conn.state.copyFrom(connectTime);
          conn.stateOwner = undefined;
          conn.stateVersion = -1;
          this.readViews(conn, serverName, asOf, answered, done);
          return;
        }
        answered();
        this.running = false;
        // Known views stay as they were; the next interval (or view DDL) checks again.
        this.log.warn(
          { server: serverName, err: err?.message ?? t.error?.message },
          'could not set a connection back to its connect-time settings for the check of views',
        );
        done();
      });
    }
  }

  private readViews(
    conn: BackendConnection,
    serverName: string,
    asOf: number,
    answered: () => void,
    done: () => void,
  ): void {
    conn.queryRows(VIEWS_SQL, (err, rows, serverError) => {
      answered();
      this.running = false;
      if (this.stopped) {
        done();
        return;
      }
      if (rows !== undefined) {
        this.views.load(
          rows.map(([schema, name, definition]) => ({
            schema: schema ?? '',
            name: name ?? '',
            definition: definition ?? '',
          })),
          asOf,
        );
        this.warned = false;
        this.log.debug({ server: serverName, impureViews: this.views.size }, 'views checked');
      } else {
        // A server that answered it cannot (no catalog: sqlite-backend) has no views to hide a
        // write: keep what was known, nothing at first. One that did not answer (the connection
        // lost, the check timed out) has not said: a list never loaded stays unknown, every
        // SELECT ordinary, until a check gets through.
        if (serverError !== undefined) this.views.keepCurrent(asOf);
        const why = err?.message ?? serverError?.message ?? 'no result set';
        const msg =
          'could not read information_schema.VIEWS: views hiding a write cannot be recognised (view_check_interval: 0 stops trying)';
        if (this.warned || serverError?.errno === ER_NO_SUCH_TABLE) {
          this.log.debug({ server: serverName, err: why }, msg);
        } else {
          this.log.warn({ server: serverName, err: why }, msg);
          this.warned = true;
        }
      }
      done();
    });
  }
}
