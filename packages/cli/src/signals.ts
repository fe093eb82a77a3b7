import type { Kernel } from '@scalestack/kernel';
import type { CliIO } from './io.js';

const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * SIGINT/SIGTERM: drain and stop the kernel, then exit 0; a second one exits at once with
 * 128 + the signal number. SIGHUP: re-read the config file and reload (a bad one is logged and the
 * old configuration kept). SIGUSR2: every module that can logs its state (`kernel.report()`).
 * Installed before the kernel starts: a signal during start-up has the kernel give start-up up
 * and stop what had started, then exits 0 as well (if start-up failed on its own, the caller owns
 * the exit). Returns a function that removes the handlers.
 */
export function handleSignals(
  kernel: Kernel,
  io: CliIO,
  configFile: string | undefined,
  started: Promise<unknown>,
): () => void {
  let running = false;
  // Signal listeners do not keep Node alive; a kernel whose modules hold no sockets must still run.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  started.then(
    () => {
      running = true;
    },
    () => {},
  );
  let stopping = false;
  const onStop = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) {
      kernel.log.warn({ signal }, `${signal} again; exiting without waiting`);
      io.exit(128 + SIGNAL_NUMBER[signal]);
      return;
    }
    stopping = true;
    kernel.log.info({ signal }, `${signal} received; draining and stopping`);
    // During start-up the kernel gives up on the module starting and stops what had started.
    // A start-up that failed or was given up is the run command's to end (exit 1, or 0 when
    // given up), once start() settles: that is after its roll-back, which a signal during it
    // must not cut short.
    kernel.shutdown().then(
      () =>
        started.then(
          () => io.exit(0),
          () => {},
        ),
      (err: unknown) => {
        kernel.log.error({ err }, 'shutdown failed');
        io.exit(1);
      },
    );
  };
  const onHangup = () => {
    if (stopping) return;
    if (!running) {
      kernel.log.warn('SIGHUP during start-up ignored; send it again once started');
      return;
    }
    if (!configFile) {
      kernel.log.warn('SIGHUP received but no --config file was given; nothing to reload');
      return;
    }
    kernel.log.info({ configFile }, 'SIGHUP received; reloading the configuration');
    kernel.reload({ configFile }).then(
      (report) => kernel.log.info(report, 'configuration reloaded'),
      (err: unknown) =>
        kernel.log.error(
          { errors: (err as { errors?: unknown }).errors },
          `reload rejected, keeping the old configuration: ${(err as Error).message}`,
        ),
    );
  };
  // The kernel reports only while started.
  const onReport = () => kernel.report();
  const onInt = () => onStop('SIGINT');
  const onTerm = () => onStop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHangup);
  process.on('SIGUSR2', onReport);
  return () => {
    clearInterval(keepAlive);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHangup);
    process.off('SIGUSR2', onReport);
  };
}
