export { acceptQueueLength } from './accept-queue.js';
export { findBinary } from './binaries.js';
export { freePort, freePortPair } from './free-port.js';
export { type LoggedProcess, spawnLogged } from './logged-process.js';
export { type MariaDB, type MariaDBOptions, startMariaDB } from './mariadb.js';
export { type MemcachedOptions, startMemcached } from './memcached.js';
export { prng } from './prng.js';
export {
  type RedisCluster,
  type RedisOptions,
  redisCommand,
  startRedis,
  startRedisCluster,
} from './redis.js';
export { type SelfSignedCert, selfSignedCert } from './self-signed-cert.js';
export type { RunningServer } from './simple-server.js';
export { stopProcess } from './stop-process.js';
export { tcpExchange } from './tcp-exchange.js';
export { type WaitForOptions, waitFor } from './wait-for.js';
