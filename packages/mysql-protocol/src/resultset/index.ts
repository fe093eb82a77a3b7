export * from './binary-row.js';
export * from './binary-value.js';
export * from './column-count.js';
export * from './column-definition.js';
export { lenencHeaderSize } from './lenenc-scan.js';
export * from './row-value.js';
export * from './text-row.js';
