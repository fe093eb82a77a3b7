import { isMainThread, workerData } from 'node:worker_threads';
import type { KernelLoadPlan } from '@scalestack/kernel';

/** What the group hands each worker it starts (`workerData`). */
export interface WorkerData {
  /** Marks the data as ours, so a thread someone else started is never taken for a worker. */
  readonly scalestackEventWorker: true;
  readonly index: number;
  readonly count: number;
  readonly plan: KernelLoadPlan;
  readonly logLevel: string;
  readonly pretty: boolean;
  /** How often the worker reports health and metrics, ms. */
  readonly reportInterval: number;
}

/** This thread's place in an event-loop group, or worker 0 of 1 outside one. */
export function workerIdentity(): { index: number; count: number } {
  const data = isMainThread ? undefined : (workerData as Partial<WorkerData> | undefined);
  if (data?.scalestackEventWorker === true) return { index: data.index!, count: data.count! };
  return { index: 0, count: 1 };
}
