export * from './execute.js';
export * from './execute-types.js';
export * from './param-block.js';
export * from './prepare-ok.js';
export * from './simple-commands.js';
export * from './state.js';
export * from './statement-id.js';
