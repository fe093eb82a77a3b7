import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import mysql from 'mysql2/promise';

/** A backend running in a worker thread (see {@link startBackendThread}). */
export interface BackendThread {
  port: number;
  connect(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  /** A metric's first sample; never resolves while the server's thread is stuck. */
  metric(name: string): Promise<number>;
  /** Ends the thread, even one stuck in a loop. */
  stop(): Promise<void>;
}

/**
 * Starts the module as {@link startBackend} does, but in a worker thread: a server stuck in a
 * synchronous loop then leaves this thread free to notice (the test fails instead of hanging) and
 * to end it.
 */
export async function startBackendThread(): Promise<BackendThread> {
  const worker = new Worker(new URL('./backend-thread.mjs', import.meta.url), {
    execArgv: ['--conditions=source', '--experimental-transform-types', '--no-warnings'],
  });
  const [port] = (await once(worker, 'message')) as [number];
  return {
    port,
    connect: (options = {}) =>
      mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', ...options }),
    metric: async (name) => {
      worker.postMessage(name);
      const [value] = (await once(worker, 'message')) as [number];
      return value;
    },
    stop: async () => {
      await worker.terminate();
    },
  };
}
