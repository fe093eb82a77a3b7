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
  /** Numbers for `stats`: name → value. */
  stats(): Record<string, string | number>;
  close(): Promise<void>;
}
