export { BackendPool, type Flavour, type PoolStats } from './backend/backend-pool.js';
export { type ProxyOptions, proxyOptions } from './config/options.js';
export { DatabaseProxy, type ListenFunction } from './database-proxy.js';
export { formatProxyError, ProxyError, type ProxyErrorCode } from './errors.js';
export { default, default as module } from './module.js';
export * from './service.js';
export { PIN_REASONS, type PinReason } from './session/pin-reason.js';
export { classifyStatement, Trait } from './session/statement-traits.js';
