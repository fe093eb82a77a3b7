export * from './capabilities.js';
export * from './commands.js';
export * from './eof.js';
export * from './err.js';
export * from './headers.js';
export * from './ok.js';
export * from './session-state.js';
export * from './status.js';
