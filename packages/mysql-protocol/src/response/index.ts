export { type BeginOptions, type PrepareResult, ResponseTracker } from './tracker.js';
