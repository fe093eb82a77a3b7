import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { freePortPair } from './free-port.js';
import { type RunningServer, startSimpleServer } from './simple-server.js';
import { tcpExchange } from './tcp-exchange.js';
import { waitFor } from './wait-for.js';

const execFileAsync = promisify(execFile);

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[];
}

/** Starts a private redis-server on a free loopback port, without persistence. */
export function startRedis(opts: RedisOptions = {}): Promise<RunningServer> {
  const binary = findBinary('redis-server', 'redis-server');
  return startSimpleServer({
    kind: 'redis',
    binary,
    args: (port, dir) => [...baseArgs(port, dir), ...(opts.args ?? [])],
    ready: pingRedis,
  });
}

/** A running Redis Cluster (masters only). */
export interface RedisCluster {
  /** The nodes, each a running server; any of them is a valid seed for a cluster client. */
  readonly nodes: readonly RunningServer[];
  stop(): Promise<void>;
}

/**
 * Starts `n` cluster-enabled redis-servers (n ≥ 3), joins them with
 * `redis-cli --cluster create` and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(n = 3): Promise<RedisCluster> {
  if (!Number.isInteger(n) || n < 3)
    throw new Error(`test-harness: a Redis Cluster needs at least 3 masters, got ${n}`);
  const binary = findBinary('redis-server', 'redis-server');
  const cli = findBinary('redis-cli', 'redis-tools');
  const nodes: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < n; i++) {
      nodes.push(
        await startSimpleServer({
          kind: 'redis-cluster-node',
          binary,
          // The cluster bus listens on port + 10000.
          pickPort: () => freePortPair(10_000),
          args: (port, dir) => [
            ...baseArgs(port, dir),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '5000',
          ],
          ready: pingRedis,
        }),
      );
    }
    await execFileAsync(cli, [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]).catch((err: Error & { stdout?: string }) => {
      throw new Error(`test-harness: redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}`);
    });
    for (const node of nodes) {
      await waitFor(
        async () => (await redisCommand(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        { timeout: 20_000, what: `Redis Cluster node ${node.port} to report cluster_state:ok` },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, stop };
}

function baseArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
  ];
}

async function pingRedis(port: number): Promise<boolean> {
  return (await redisCommand(port, 'PING')).startsWith('+PONG');
}

/** Sends one RESP command and returns the raw reply (simple string, error or one bulk string). */
export function redisCommand(port: number, ...args: string[]): Promise<string> {
  const request = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return tcpExchange(port, request, isCompleteReply);
}

function isCompleteReply(reply: string): boolean {
  if (reply.startsWith('$')) {
    const header = reply.indexOf('\r\n');
    if (header < 0) return false;
    const length = Number(reply.slice(1, header));
    return length < 0 || Buffer.byteLength(reply) >= header + 2 + length + 2;
  }
  return reply.endsWith('\r\n');
}
