import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import type { KernelLoadPlan } from '@scalestack/kernel';
import type { FromWorker, ToWorker } from './messages.js';
import { PeerRequests } from './peer-requests.js';

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

/**
 * Requests to and from the other workers of this thread's group, over its port to the
 * supervisor. Only in a group worker (see {@link workerIdentity}); `stop` removes the listener
 * and fails the asks still waiting.
 */
export function workerPeers(index: number): { peers: PeerRequests; stop: () => void } {
  const port = parentPort!;
  const peers = new PeerRequests(index, threadId, (m: FromWorker) => port.postMessage(m));
  const onMessage = (m: ToWorker) => peers.receive(m);
  port.on('message', onMessage);
  return {
    peers,
    stop: () => {
      port.off('message', onMessage);
      peers.close();
    },
  };
}
