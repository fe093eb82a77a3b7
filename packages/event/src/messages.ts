import type { MetricFamily, ReloadReport } from '@scalestack/kernel';
import type { LoopHealth } from './loop-monitor.js';

/** Supervisor → worker. */
export type ToWorker = { type: 'drain' } | { type: 'stop' } | { type: 'reload'; id: number; config: unknown };

/** Worker → supervisor. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'failed'; error: string }
  | { type: 'report'; health: LoopHealth; metrics: MetricFamily[] }
  | { type: 'drained' }
  | { type: 'stopped' }
  | { type: 'reloaded'; id: number; report?: ReloadReport; error?: string };
