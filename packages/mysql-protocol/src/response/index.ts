export { type BeginOptions, commandHasResponse, type PrepareResult, ResponseTracker } from './tracker.js';
