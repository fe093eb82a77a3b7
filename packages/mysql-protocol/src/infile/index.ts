export * from './local-infile.js';
