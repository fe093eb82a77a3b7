export * from './errors.js';
export * from './framing/index.js';
export * from './packets/index.js';
export * from './response/index.js';
export * from './wire/index.js';
