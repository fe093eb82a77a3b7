import { OK } from '../codec/encoder.js';
import type { Command, CommandContext } from './command.js';
import { OOM, unknownCommand, wrongArity } from './errors.js';
import { KEY_COMMANDS } from './keys.js';
import { LIST_COMMANDS } from './lists.js';
import { SERVER_COMMANDS } from './server.js';
import { STRING_COMMANDS } from './strings.js';

/** Every command, by lower-case name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [...STRING_COMMANDS, ...KEY_COMMANDS, ...LIST_COMMANDS, ...SERVER_COMMANDS].map((c) => [c.name, c]),
);

// #region guide:dispatch
/**
 * Runs one decoded command, checking what redis-server checks before any command runs, in the
 * same order: QUIT, unknown command, arity, then memory for commands that may add data.
 */
export function execute(args: Buffer[], ctx: CommandContext): void {
  const name = args[0]!.toString('latin1').toLowerCase();
  if (name === 'quit') {
    ctx.write(OK);
    ctx.close();
    return;
  }
  const command = COMMANDS.get(name);
  if (command === undefined) {
    ctx.write(unknownCommand(args));
  } else if (command.arity > 0 ? args.length !== command.arity : args.length < -command.arity) {
    ctx.write(wrongArity(command.name));
  } else if (command.denyOom && ctx.store.overLimit) {
    ctx.write(OOM);
  } else {
    command.run(args, ctx);
  }
}
// #endregion
