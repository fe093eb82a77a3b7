/**
 * The `event` kernel module. With `threads: 1` it provides {@link EVENT_LOOP} (worker 0 of 1 and
 * this loop's health). With more, in the main thread it hosts the other modules: they run in
 * that many worker threads (each kernel with `event.threads` forced to 1), supervised from here.
 */
import { defineModule, option } from '@scalestack/kernel';
import { EVENT_GROUP, EventLoopGroup } from './event-loop-group.js';
import { EVENT_LOOP, type EventLoopInfo } from './event-loop-info.js';
import { LoopMonitor } from './loop-monitor.js';
import { NICE_RANGE, setThreadNice } from './thread-nice.js';
import { threadsOption } from './threads-option.js';
import { workerIdentity, workerPeers } from './worker-identity.js';
import { workerShare } from './worker-share.js';

const options = {
  threads: threadsOption(1, 'worker threads running the other modules ("auto": one per core)'),
  health_window: option.duration('500ms', 'event-loop health is measured over windows this long', {
    min: 10,
  }),
  report_interval: option.duration('1s', 'how often workers report health and metrics to the main thread', {
    min: 10,
  }),
  restart_delay: option.duration('100ms', 'first delay before restarting a worker that died (doubles)', {
    min: 0,
  }),
  stop_timeout: option.duration('10s', 'how long a worker may take to stop before it is terminated'),
  nice: option
    .integer(
      undefined,
      'nice value of each event-loop thread, -20 … 19: lower gets more CPU on contended cores; below the current value needs CAP_SYS_NICE (unset: unchanged)',
      NICE_RANGE,
    )
    .optional(),
};

export default defineModule({
  name: 'event',
  description: 'Event-loop group: run the other modules in worker threads; loop delay and utilisation',
  options,
  hosts(ctx, plan) {
    if (ctx.options.threads <= 1) return false;
    const group = new EventLoopGroup({
      threads: ctx.options.threads,
      plan,
      log: ctx.log,
      reportInterval: ctx.options.report_interval,
      restartDelay: ctx.options.restart_delay,
      stopTimeout: ctx.options.stop_timeout,
    });
    ctx.provide(EVENT_GROUP, group);
    return true;
  },
  register(ctx) {
    const group = ctx.tryResolve(EVENT_GROUP);
    if (group !== undefined) {
      const remove = ctx.metrics.addCollector(ctx.name, () => group.collect());
      ctx.onStop(remove);
      return;
    }
    // This thread runs an event loop (the only one, or a worker's): it takes the nice value.
    const { nice } = ctx.options;
    if (nice !== undefined) {
      const restore = setThreadNice(nice, (err) =>
        ctx.log.warn({ nice, err: err.message }, "could not put the thread's nice value back"),
      );
      ctx.onStop(restore);
      ctx.log.info({ nice }, 'event-loop thread nice value set');
    }
    const monitor = new LoopMonitor({ window: ctx.options.health_window }).start();
    const { index, count } = workerIdentity();
    const mesh = count > 1 ? workerPeers(index) : undefined;
    const peers = mesh?.peers;
    const info: EventLoopInfo = {
      workerIndex: index,
      workerCount: count,
      share: (total) => workerShare(total, index, count),
      health: () => monitor.health(),
      onHealth: (fn) => monitor.onHealth(fn),
      ask: (to, topic, message, timeout) =>
        peers === undefined || to === index
          ? Promise.reject(new Error(`event: no worker ${to} to ask besides this one (${count} thread)`))
          : peers.ask(to, topic, message, timeout),
      answer: (topic, handler) => peers?.answer(topic, handler) ?? (() => {}),
    };
    if (mesh !== undefined) ctx.onStop(mesh.stop);
    ctx.provide(EVENT_LOOP, info);
    const remove = ctx.metrics.addCollector(ctx.name, () => {
      const h = monitor.health();
      return [
        {
          name: 'scalestack_event_loop_utilization',
          help: 'Event-loop utilisation over the last window (0..1)',
          type: 'gauge',
          samples: [{ value: h.utilization }],
        },
        {
          name: 'scalestack_event_loop_delay_seconds',
          help: 'Event-loop delay percentiles over the last window',
          type: 'gauge',
          samples: (['p50', 'p90', 'p99'] as const).map((q) => ({
            labels: { quantile: `0.${q.slice(1)}` },
            value: h.delay[q] / 1000,
          })),
        },
      ];
    });
    ctx.onStop(() => {
      monitor.stop();
      remove();
    });
  },
  async start(ctx) {
    const group = ctx.tryResolve(EVENT_GROUP);
    if (group === undefined) return;
    await group.start();
    ctx.log.info({ threads: ctx.options.threads }, 'worker threads started');
    ctx.onDrain(() => group.drain());
    ctx.onStop(() => group.stop());
  },
  report(ctx) {
    // The hosted modules run in the workers: their kernels report for them.
    ctx.tryResolve(EVENT_GROUP)?.report();
  },
  async reloadHosted(ctx, config) {
    const reports = await ctx.resolve(EVENT_GROUP).reload(config);
    // A module a worker could not reload is not applied, whatever the others did.
    const failed = [...new Set(reports.flatMap((r) => r.failed))];
    if (failed.length > 0) throw new Error(`workers could not reload ${failed.join(', ')}`);
    ctx.log.info({ workers: reports.length }, 'configuration passed to every worker');
  },
});
