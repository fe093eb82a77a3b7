export { type CliIO, EXIT, processIO } from './io.js';
export { formatModuleHelp } from './module-help.js';
export { buildProgram, type CliOutcome, main } from './program.js';
export { handleSignals } from './signals.js';
export { splitOptionFlags } from './split-args.js';
