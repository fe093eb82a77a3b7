/**
 * KILL across event threads. Connection ids say which thread serves a client (see
 * DatabaseProxy), and each thread knows only its own clients: a KILL that arrives on another
 * thread is asked of the owner, which carries it out (ClientSession.killedBy) and says how it
 * went.
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
 * - `failed`: the KILL QUERY for the statement could not be carried out on its server (not
 *   sent, or answered with an error other than ER 1094) (ERR 9004).
 */
export type KillOutcome = { kind: 'unknown' } | { kind: 'done' } | { kind: 'failed'; reason: string };
