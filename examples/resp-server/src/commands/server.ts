import { encodeInteger, OK, PONG } from '../codec/encoder.js';
import { type Command, command, optionName, writeBulk } from './command.js';
import { SYNTAX_ERROR, wrongArity } from './errors.js';

const ping = command('ping', -1, false, (args, ctx) => {
  if (args.length > 2) ctx.write(wrongArity('ping'));
  else if (args.length === 2) writeBulk(ctx, args[1]!);
  else ctx.write(PONG);
});

const echo = command('echo', 2, false, (args, ctx) => writeBulk(ctx, args[1]!));

const dbsize = command('dbsize', 1, false, (_args, ctx) => ctx.write(encodeInteger(ctx.store.size)));

const flushdb = command('flushdb', -1, false, (args, ctx) => {
  const mode = args.length === 2 ? optionName(args[1]!) : undefined;
  if (args.length > 2 || (mode !== undefined && mode !== 'SYNC' && mode !== 'ASYNC')) {
    ctx.write(SYNTAX_ERROR);
    return;
  }
  ctx.store.flush();
  ctx.write(OK);
});

/**
 * A small INFO: clients such as ioredis read `loading:0` from it before they send commands.
 * It reports this server's own figures, not a Redis version it is not.
 */
const info = command('info', -1, false, (_args, ctx) => {
  const { store } = ctx;
  const text = [
    '# Server',
    'server_name:scalestack-resp-server',
    'loading:0',
    '# Memory',
    `used_memory:${store.usedMemory}`,
    `maxmemory:${store.maxMemory}`,
    '# Keyspace',
    ...(store.size > 0 ? [`db0:keys=${store.size},expires=${store.volatileCount},avg_ttl=0`] : []),
    '',
  ].join('\r\n');
  writeBulk(ctx, Buffer.from(text, 'latin1'));
});

export const SERVER_COMMANDS: readonly Command[] = [ping, echo, dbsize, flushdb, info];
