export { type Backend, type BackendRequest, MAX_BACKLOG_BYTES } from './backend.js';
export { KetamaRing, ketamaKeyHash, ketamaServerName } from './ketama.js';
export { MemcachedBackend } from './memcached-backend.js';
export { default } from './module.js';
export { MemcachedProxy, PROXY_VERSION, type ProxyOptions } from './proxy.js';
export { RedisBackend, type RedisBackendOptions } from './redis-backend.js';
export { type EjectionPolicy, type ServerAddress, ServerPool } from './server-pool.js';
