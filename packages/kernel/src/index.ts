export {
  argumentName,
  isSecretFlag,
  looksLikeOptionFlag,
  type OptionArg,
  parseOptionArgs,
} from './config/args.js';
export { envVarName } from './config/env.js';
export { formatOptionError, KernelConfigError } from './config/errors.js';
export { checkRawConfig, LOG_LEVELS, type RawConfig, readConfigFile } from './config/raw-config.js';
export * from './contract.js';
export { didYouMean } from './did-you-mean.js';
export {
  DEFAULT_TIMEOUTS,
  Kernel,
  type KernelOptions,
  type LoadOptions,
  type PhaseTimeouts,
  type ReloadOptions,
  type ReloadReport,
  type StartReport,
} from './kernel.js';
export { KernelStartError, KernelStateError, StartCancelledError } from './lifecycle/errors.js';
export { PhaseTimeoutError } from './lifecycle/timeout.js';
export { createLogger, type LoggerSetup } from './logging.js';
export { counter, gauge } from './metrics/family.js';
export { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './metrics/prometheus.js';
export { KernelMetrics } from './metrics/registry.js';
export * from './options/index.js';
export { discoverModules, type InstalledModule } from './resolve/discover.js';
export { type ModuleReference, resolveGraph } from './resolve/graph.js';
export { isModuleDefinition, ModuleResolveError, resolveModule } from './resolve/resolve-module.js';
