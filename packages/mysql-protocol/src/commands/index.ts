export * from './change-user.js';
export * from './parse-command.js';
export * from './query.js';
export * from './simple-commands.js';
