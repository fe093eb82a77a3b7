// Preloaded (node --import) into the processes the tests spawn: the test process holds the
// other end of stdin, so EOF means it is gone — even SIGKILLed, with no cleanup hook run — and
// this process must not outlive it. Unref'd so it never keeps the process alive by itself.
// Worker threads (event.threads > 1) inherit the preload and have no stdin of their own.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
  process.stdin.resume();
  process.stdin.unref();
}
