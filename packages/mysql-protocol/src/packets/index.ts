export * from './capabilities.js';
export * from './commands.js';
export * from './headers.js';
export * from './status.js';
