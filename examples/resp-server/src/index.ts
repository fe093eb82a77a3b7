export * from './codec/index.js';
export { type Command, type CommandContext, writeBulk } from './commands/command.js';
export { COMMANDS, execute } from './commands/dispatch.js';
export { default, RESP_SERVER, type RespServer } from './module.js';
export { RespSession, type SessionSettings } from './session.js';
export { Store, type StoreOptions, type Value } from './store.js';
