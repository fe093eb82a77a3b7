import {
  END,
  encodeErrorLine,
  encodeNumber,
  encodeValue,
  STATUS_LINES,
  type Status,
} from '@scalestack/memcached-protocol';
import { Cluster, Redis } from 'ioredis';
import type { Backend, BackendRequest } from './backend.js';
import { NoreplyBacklog } from './noreply-backlog.js';
import { ARITHMETIC, GAT, STORE, TOUCH } from './redis-scripts.js';
import type { ReplySink } from './reply-queue.js';
import { OUT_OF_MEMORY, serverError } from './waiters.js';

/** Options of {@link RedisBackend.create}. */
export interface RedisBackendOptions {
  /** One `redis://` URL, or (with `cluster`) seed nodes as `host:port` or `redis://host:port`. */
  nodes: readonly string[];
  cluster: boolean;
  /** Milliseconds a command may take. */
  timeout: number;
  connectTimeout: number;
}

type Callback<T> = (err: Error | null | undefined, result?: T) => void;
/** The scripted commands `defineCommand` adds to the client. */
interface Scripts {
  mcStore(
    key: string,
    mode: string,
    value: Buffer,
    flags: string,
    exptime: string,
    cas: string,
    cb: Callback<string>,
  ): void;
  mcArithmetic(key: string, op: string, delta: string, cb: Callback<string>): void;
  mcTouch(key: string, exptime: string, cb: Callback<string>): void;
  mcGatBuffer(key: string, exptime: string, cb: Callback<(Buffer | null)[] | null>): void;
}
type Client = (Redis | Cluster) & Scripts;

const INT63 = (1n << 63n) - 1n;
const UNSUPPORTED_META = encodeErrorLine('CLIENT_ERROR meta commands are not supported by the redis backend');
const UNSUPPORTED_DELAY = encodeErrorLine(
  'CLIENT_ERROR flush_all with a delay is not supported by the redis backend',
);

function toError(err: Error): Buffer {
  return serverError(err.message.replace(/[\r\n]+/g, ' '));
}

function parseNode(node: string): { host: string; port: number } {
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/**
 * Serves memcached requests from Redis or a Redis Cluster. Each item is a hash
 * `{ v: value, f: flags, c: cas }`; writes run as Lua scripts on that one key (see
 * redis-scripts.ts), so they are atomic and work on a cluster.
 */
export class RedisBackend implements Backend {
  readonly supportsMeta = false;
  private requests = 0;
  private readonly noreply = new NoreplyBacklog();

  private constructor(
    private readonly client: Client,
    private readonly cluster: boolean,
  ) {}

  static create(options: RedisBackendOptions): RedisBackend {
    const common = {
      commandTimeout: options.timeout,
      connectTimeout: options.connectTimeout,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    };
    let client: Redis | Cluster;
    if (options.cluster) {
      client = new Cluster(options.nodes.map(parseNode), {
        enableAutoPipelining: true,
        redisOptions: {
          commandTimeout: options.timeout,
          connectTimeout: options.connectTimeout,
          maxRetriesPerRequest: 1,
        },
      });
    } else {
      if (options.nodes.length !== 1) {
        throw new Error(
          `memcached-proxy: option redis: expected one redis:// URL without redis_cluster, got ${options.nodes.length} entries`,
        );
      }
      client = new Redis(
        options.nodes[0]!.includes('://') ? options.nodes[0]! : `redis://${options.nodes[0]}`,
        common,
      );
    }
    // Errors reach the requests that hit them; this only keeps an unhandled 'error' from crashing.
    client.on('error', () => {});
    client.defineCommand('mcStore', { numberOfKeys: 1, lua: STORE });
    client.defineCommand('mcArithmetic', { numberOfKeys: 1, lua: ARITHMETIC });
    client.defineCommand('mcTouch', { numberOfKeys: 1, lua: TOUCH });
    client.defineCommand('mcGat', { numberOfKeys: 1, lua: GAT });
    return new RedisBackend(client as Client, options.cluster);
  }

  /**
   * New command and connect timeouts (a reload): ioredis reads them from its options for each
   * command it sends and each connect it makes, so requests from now on use them.
   */
  setTimeouts(commandTimeout: number, connectTimeout: number): void {
    const apply = (o: { commandTimeout?: number; connectTimeout?: number }) => {
      o.commandTimeout = commandTimeout;
      o.connectTimeout = connectTimeout;
    };
    if (this.client instanceof Cluster) {
      const options = this.client.options;
      options.redisOptions ??= {};
      apply(options.redisOptions);
      for (const node of this.client.nodes()) apply(node.options);
    } else {
      apply((this.client as Redis).options);
    }
  }

  handle(request: BackendRequest, reply: ReplySink | undefined): void {
    this.requests++;
    // Redis answers every command: a noreply request counts until its answer is dropped.
    const out =
      reply ?? this.noreply.track(request.kind === 'storage' ? request.key.length + request.data.length : 64);
    const client = this.client;
    switch (request.kind) {
      case 'storage': {
        const cas = request.cas === undefined ? '' : String(request.cas);
        client.mcStore(
          request.key,
          request.command,
          request.data,
          String(request.flags),
          String(request.exptime),
          cas,
          (err, status) => out.done(err ? toError(err) : STATUS_LINES[status as Status]),
        );
        return;
      }
      case 'retrieval':
        this.retrieval(request, out);
        return;
      case 'delete':
        client.del(request.key, (err, n) =>
          out.done(err ? toError(err) : n === 1 ? STATUS_LINES.DELETED : STATUS_LINES.NOT_FOUND),
        );
        return;
      case 'arithmetic': {
        // Decrementing by more than any stored value gives 0 either way.
        const delta = request.command === 'decr' && request.delta > INT63 ? INT63 : request.delta;
        client.mcArithmetic(request.key, request.command, String(delta), (err, result) => {
          if (err) return out.done(toError(err));
          if (result === 'NOT_FOUND') return out.done(STATUS_LINES.NOT_FOUND);
          if (result!.startsWith('CLIENT_ERROR')) return out.done(encodeErrorLine(result!));
          out.done(encodeNumber(BigInt(result!)));
        });
        return;
      }
      case 'touch':
        client.mcTouch(request.key, String(request.exptime), (err, status) =>
          out.done(err ? toError(err) : STATUS_LINES[status as Status]),
        );
        return;
      case 'flush_all':
        if (request.delay !== undefined && request.delay > 0) out.done(UNSUPPORTED_DELAY);
        else this.flushAll(out);
        return;
      case 'verbosity':
        out.done(STATUS_LINES.OK);
        return;
      case 'meta':
        out.done(UNSUPPORTED_META);
        return;
    }
  }

  flush(): void {
    // Auto-pipelining already batches the commands of one tick.
  }

  backlogged(onRelief: () => void): boolean {
    return this.noreply.backlogged(onRelief);
  }

  stats(): Record<string, string | number> {
    return {
      backend: this.cluster ? 'redis-cluster' : 'redis',
      backend_requests: this.requests,
      backend_backlog_bytes: this.noreply.outstanding,
    };
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private retrieval(request: Extract<BackendRequest, { kind: 'retrieval' }>, reply: ReplySink): void {
    const keys = request.keys;
    const withCas = request.command === 'gets' || request.command === 'gats';
    const touching = request.exptime !== undefined;
    const hits: (Buffer[] | undefined)[] = new Array(keys.length);
    let remaining = keys.length;
    let error: Buffer | undefined;
    const settle = (i: number, err: Error | null | undefined, item: (Buffer | null)[] | null | undefined) => {
      if (err) error ??= toError(err);
      else if (item?.[0] != null && error === undefined) {
        const flags = Number(item[1]?.toString() ?? 0);
        const cas = withCas && item[2] != null ? BigInt(item[2].toString()) : undefined;
        const hit = encodeValue(keys[i]!, flags, item[0], cas);
        if (reply.claim?.(hit[0]!.length + hit[1]!.length + 2) === false) {
          error = OUT_OF_MEMORY;
          hits.fill(undefined);
        } else hits[i] = hit;
      }
      if (--remaining > 0) return;
      if (error !== undefined) return reply.done(error);
      const parts: Buffer[] = [];
      for (const hit of hits) if (hit !== undefined) parts.push(...hit);
      parts.push(END);
      reply.done(parts);
    };
    for (let i = 0; i < keys.length; i++) {
      if (touching)
        this.client.mcGatBuffer(keys[i]!, String(request.exptime), (err, item) => settle(i, err, item));
      else this.client.hmgetBuffer(keys[i]!, 'v', 'f', 'c', (err, item) => settle(i, err, item));
    }
  }

  private flushAll(reply: ReplySink | undefined): void {
    const client = this.client;
    const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client as Redis];
    if (nodes.length === 0) {
      // ioredis empties a cluster's node list once every node failed: with none to flush the
      // reply would never come, and the client's later replies would wait behind it.
      reply?.done(serverError('no Redis Cluster node reachable'));
      return;
    }
    let remaining = nodes.length;
    let error: Buffer | undefined;
    for (const node of nodes) {
      node.flushdb((err) => {
        if (err) error ??= toError(err);
        if (--remaining === 0) reply?.done(error ?? STATUS_LINES.OK);
      });
    }
  }
}
