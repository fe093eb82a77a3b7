/**
 * The entry of every worker thread of an {@link EventLoopGroup}: builds a kernel from the
 * supervisor's load plan with `event.threads` forced to 1, starts it, reports health and metrics,
 * and follows the supervisor's drain, stop, reload and log-report messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, Kernel, type RawConfig } from '@scalestack/kernel';
import { EVENT_LOOP } from './event-loop-info.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { WorkerData } from './worker-identity.js';

const data = workerData as WorkerData;
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

const logger = createLogger({ level: data.logLevel, pretty: data.pretty }).child({ worker: data.index });
const kernel = new Kernel({ logger, cwd: data.plan.cwd });
let reportTimer: NodeJS.Timeout | undefined;

function report(): void {
  const loop = kernel.tryResolve(EVENT_LOOP);
  if (loop === undefined) return;
  post({ type: 'report', health: loop.health(), metrics: kernel.metrics.collect() });
}

async function finish(): Promise<void> {
  if (reportTimer !== undefined) clearInterval(reportTimer);
  await kernel.stop();
  post({ type: 'stopped' });
  // Ends this thread only; whatever a module left open cannot keep it alive.
  process.exit(0);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'drain':
      kernel.drain().then(() => post({ type: 'drained' }));
      break;
    case 'stop':
      void finish();
      break;
    case 'log-report':
      kernel.report();
      break;
    case 'reload': {
      // This kernel logs through a logger it was handed, so it leaves the level alone: set it
      // here (the supervisor validated the configuration already).
      const level = (message.config as RawConfig | undefined)?.log?.level;
      if (level !== undefined) logger.level = level;
      kernel.reload({ config: message.config as RawConfig | undefined }).then(
        (result) => post({ type: 'reloaded', id: message.id, report: result }),
        (err: unknown) => post({ type: 'reloaded', id: message.id, error: (err as Error).message }),
      );
      break;
    }
  }
});

try {
  await kernel.load({
    modules: data.plan.modules,
    config: data.plan.config,
    env: data.plan.env,
    args: [...data.plan.args, '--event.threads=1'],
  });
  await kernel.start();
} catch (err) {
  post({ type: 'failed', error: (err as Error).message });
  process.exit(1);
}
post({ type: 'started' });
report();
reportTimer = setInterval(report, data.reportInterval);
reportTimer.unref();
