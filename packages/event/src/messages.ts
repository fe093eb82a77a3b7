import type { MetricFamily, ReloadReport } from '@scalestack/kernel';
import type { LoopHealth } from './loop-monitor.js';

/** Supervisor → worker. */
export type ToWorker =
  | { type: 'drain' }
  | { type: 'stop' }
  | { type: 'reload'; id: number; config: unknown }
  /** Log the modules' state now (`kernel.report()`: SIGUSR2 under the CLI reached the supervisor). */
  | { type: 'log-report' }
  /** Another worker's request (see PeerRequests), relayed. */
  | { type: 'ask'; id: string; from: number; topic: string; message: unknown }
  /** The answer to this worker's request; the supervisor's own when the other worker is not running. */
  | { type: 'answer'; id: string; result?: unknown; error?: string };

/** Worker → supervisor. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'failed'; error: string }
  | { type: 'report'; health: LoopHealth; metrics: MetricFamily[] }
  | { type: 'drained' }
  | { type: 'stopped' }
  | { type: 'reloaded'; id: number; report?: ReloadReport; error?: string }
  /** A request for worker `to`. */
  | { type: 'ask'; id: string; to: number; topic: string; message: unknown }
  /** The answer to worker `to`'s request. */
  | { type: 'answer'; id: string; to: number; result?: unknown; error?: string };
