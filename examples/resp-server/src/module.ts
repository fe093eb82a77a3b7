// #region guide:module
import { type Address, createToken, defineModule, option } from '@scalestack/kernel';
import { SOCKETS } from '@scalestack/socket';
import { RespSession } from './session.js';
import { Store } from './store.js';

/** What the module provides to modules that require it (and to tests): where it listens, its data. */
export interface RespServer {
  readonly address: Address;
  readonly store: Store;
}

/** The token of the {@link RespServer}: `Symbol.for('scalestack:resp-server')`. */
export const RESP_SERVER = createToken<RespServer>('resp-server');

/** Keys with an expiry looked at per sweep tick. */
const SWEEP_BUDGET = 200;

export default defineModule({
  name: 'resp-server',
  description: 'A Redis-protocol (RESP2) key-value server',
  requires: ['socket'],
  options: {
    listen: option.address('127.0.0.1:6380', 'where to listen'),
    max_memory: option.size(
      '64MiB',
      'approximate memory for keys and values; above it writes get -OOM (0: no limit)',
    ),
    max_bulk_size: option.size('512MiB', 'largest bulk string a client may send', { min: 1 }),
    sweep_interval: option.duration('100ms', 'how often expired keys are looked for', { min: 1 }),
  },
  async start(ctx) {
    const { listen, max_memory, max_bulk_size, sweep_interval } = ctx.options;
    const store = new Store({ maxMemory: max_memory });
    // One timer for every key with an expiry; unref'd so it never keeps a process alive.
    const sweeper = setInterval(() => store.sweep(SWEEP_BUDGET), sweep_interval);
    sweeper.unref();
    ctx.onStop(() => clearInterval(sweeper));

    const settings = { store, maxBulkSize: max_bulk_size };
    const listener = await ctx.resolve(SOCKETS).listen(listen, (conn) => new RespSession(conn, settings));
    ctx.provide(RESP_SERVER, { address: listener.address, store });
    ctx.metrics.addCollector(ctx.name, () => [
      { name: 'resp_keys', help: 'Keys stored', type: 'gauge', samples: [{ value: store.size }] },
      {
        name: 'resp_used_memory_bytes',
        help: 'Estimated bytes of keys and values',
        type: 'gauge',
        samples: [{ value: store.usedMemory }],
      },
    ]);
  },
  // The kernel names changes to the other options as needing a restart, and keeps their values.
  reloadable: ['max_memory'],
  reload(ctx, next) {
    ctx.resolve(RESP_SERVER).store.maxMemory = next.max_memory;
    ctx.log.info({ max_memory: next.max_memory }, 'new memory limit');
  },
});
// #endregion
