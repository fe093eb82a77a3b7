// The worker side of thread.ts: startBackend() in its own thread, answering metric requests.
// Worker threads load modules with plain Node, not through vitest: the TypeScript sources come in
// by Node's type transform (the execArgv in thread.ts) and this hook, which maps their `.js`
// specifiers to the `.ts` files beside them.
import { registerHooks } from 'node:module';
import { parentPort } from 'node:worker_threads';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) {
        return next(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});

const { startBackend } = await import('./start.ts');
const backend = await startBackend();
parentPort.on('message', (name) => parentPort.postMessage(backend.metric(name)));
parentPort.postMessage(backend.port);
