export * from './collations.js';
export * from './column-flags.js';
export * from './column-type.js';
export * from './temporal.js';
export * from './value-mapping.js';
