import type { Request } from '@scalestack/memcached-protocol';
import type { ReplySink } from './reply-queue.js';

/** The requests a backend serves; the session answers the rest (version, stats, mn, quit). */
export type BackendRequest = Exclude<Request, { kind: 'error' | 'quit' | 'version' | 'stats' }>;

/**
 * Where a proxy sends its clients' requests: memcached servers behind a ketama ring, or Redis.
 * `reply` is undefined for noreply requests.
 */
export interface Backend {
  /** Whether meta commands (mg/ms/md/ma) reach a server that understands them. */
  readonly supportsMeta: boolean;
  handle(request: BackendRequest, reply: ReplySink | undefined): void;
  /** Called after a burst of {@link handle} calls from one client read, so writes can be batched. */
  flush(): void;
  /**
   * Called after {@link flush} for each client read. Noreply requests have no reply to count, so
   * nothing else bounds what a client can pile up behind a slow or stopped server: true when the
   * servers this read went to are that far behind (the client is then not read), and
   * `onRelief` runs once, when they have caught up. Optional for backends of your own.
   */
  backlogged?(onRelief: () => void): boolean;
  /** Numbers for `stats`: name → value. */
  stats(): Record<string, string | number>;
  close(): Promise<void>;
}

/**
 * Bytes of requests the proxy may hold for a server beyond what its socket took (memcached), or
 * of noreply requests Redis has not answered yet, before the clients sending them are paused.
 */
export const MAX_BACKLOG_BYTES = 4 << 20;
