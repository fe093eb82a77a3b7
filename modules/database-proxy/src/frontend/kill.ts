/**
 * KILL across event threads. Connection ids say which thread serves a client (see
 * DatabaseProxy), and each thread knows only its own clients: a KILL that arrives on another
 * thread is asked of the owner, which does what it can there and says what is left to do.
 */

/** The topic of the owner thread's handler (`EventLoopInfo.answer`). */
export const KILL_TOPIC = 'database-proxy/kill';

/** A KILL for the thread that serves connection `id`. */
export interface KillRequest {
  id: number;
  /** KILL QUERY (else KILL CONNECTION). */
  query: boolean;
  /** Only a user's own connections may be killed. */
  user: string;
}

/**
 * - `unknown`: no such connection of that user (ER 1094);
 * - `done`: closed, interrupted, or nothing was running (OK);
 * - `running`: the statement runs on backend thread `backendThread`, which the killer's own
 *   backend connection interrupts with `KILL QUERY` on the same server.
 */
export type KillOutcome = { kind: 'unknown' } | { kind: 'done' } | { kind: 'running'; backendThread: number };
