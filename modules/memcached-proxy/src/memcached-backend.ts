import {
  encodeFlushAll,
  encodeRetrieval,
  encodeVerbosity,
  STATUS_LINES,
} from '@scalestack/memcached-protocol';
import { type Backend, type BackendRequest, MAX_BACKLOG_BYTES } from './backend.js';
import type { BackendConnection } from './backend-connection.js';
import type { ReplySink } from './reply-queue.js';
import type { Server, ServerPool } from './server-pool.js';
import { Broadcast, ForwardWaiter, MultiGet, serverError } from './waiters.js';

const NO_SERVER = serverError('no server available');
const MN_REQUEST = Buffer.from('mn\r\n');

/**
 * Routes requests to memcached servers by key (ketama). Single-key requests are forwarded as the
 * client sent them; a multi-key get is split per server and merged back in request order.
 */
export class MemcachedBackend implements Backend {
  /** Connections written to since the last flush, corked until then. */
  private readonly corked = new Set<BackendConnection>();
  readonly supportsMeta = true;
  private requests = 0;
  private flushScheduled = false;
  /** A connection written to since the last {@link backlogged} that is over the limit. */
  private behind: BackendConnection | undefined;

  constructor(private pool: ServerPool) {}

  /**
   * Routes new requests through `pool` from now on (a configuration reload); the old pool's
   * connections close once their outstanding replies are in.
   */
  replacePool(pool: ServerPool): void {
    const old = this.pool;
    pool.adopt(old);
    this.pool = pool;
    old.retire();
  }

  handle(request: BackendRequest, reply: ReplySink | undefined): void {
    this.requests++;
    switch (request.kind) {
      case 'retrieval':
        this.retrieval(request, reply!);
        return;
      case 'flush_all':
        this.flushAll(request.delay ?? 0, reply);
        return;
      case 'verbosity':
        this.broadcast(encodeVerbosity(request.level, request.noreply), reply);
        return;
      case 'meta': {
        const server = this.pool.pick(
          request.base64 ? Buffer.from(request.key, 'base64').toString('latin1') : request.key,
        );
        if (server === undefined) {
          reply?.done(NO_SERVER);
          return;
        }
        // Quiet mode is the server's: which answers it leaves out depends on what it found
        // (ma answers a created item, not an incremented one). An mn behind the command ends
        // the reply, so replies stay paired whatever the server said.
        const read = request.command === 'mg';
        if (request.quiet)
          this.send(server, [request.raw, MN_REQUEST], reply && new ForwardWaiter('quiet', reply, read));
        else this.send(server, request.raw, reply && new ForwardWaiter('line', reply, read));
        return;
      }
      default: {
        const server = this.pool.pick(request.key);
        if (server === undefined) {
          reply?.done(NO_SERVER);
          return;
        }
        this.send(server, request.raw, reply && new ForwardWaiter('line', reply));
      }
    }
  }

  /**
   * Uncorks at the end of this event-loop turn rather than now: the requests of every client read
   * in this turn then leave in one write per server (twemproxy batches the same way).
   */
  flush(): void {
    if (this.flushScheduled || this.corked.size === 0) return;
    this.flushScheduled = true;
    setImmediate(this.uncorkAll);
  }

  private readonly uncorkAll = (): void => {
    this.flushScheduled = false;
    for (const connection of this.corked) {
      connection.uncork();
      connection.checkDrained();
    }
    this.corked.clear();
    // Sends outside a client read (reply callbacks) are nobody's to wait for.
    this.behind = undefined;
  };

  /**
   * A server that stopped reading (stopped, overloaded, on a full network) leaves what the proxy
   * wrote in its connection's socket: past {@link MAX_BACKLOG_BYTES} the client that wrote there
   * waits for the socket to drain. Replies bound the rest; this bounds noreply traffic.
   */
  backlogged(onRelief: () => void): boolean {
    const behind = this.behind;
    this.behind = undefined;
    // A failed connection holds nothing any more (and would call back at once).
    if (behind === undefined || !behind.usable) return false;
    behind.whenDrained(onRelief);
    return true;
  }

  stats(): Record<string, string | number> {
    const live = this.pool.liveServers();
    return {
      backend: 'memcached',
      servers: this.pool.servers.length,
      servers_live: live.length,
      backend_requests: this.requests,
      backend_backlog_bytes: this.pool.servers.reduce((sum, s) => sum + (s.connection?.backlog ?? 0), 0),
    };
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  private retrieval(request: Extract<BackendRequest, { kind: 'retrieval' }>, reply: ReplySink): void {
    const keys = request.keys;
    const first = this.pool.pick(keys[0]!);
    if (first === undefined) {
      reply.done(NO_SERVER);
      return;
    }
    // Most gets touch one server: forward the request as sent.
    let split = false;
    const owners: Server[] = [first];
    for (let i = 1; i < keys.length; i++) {
      const owner = this.pool.pick(keys[i]!)!;
      owners.push(owner);
      if (owner !== first) split = true;
    }
    if (!split) {
      this.send(first, request.raw, new ForwardWaiter('values', reply));
      return;
    }
    const groups = new Map<Server, { keys: string[]; positions: number[] }>();
    owners.forEach((owner, position) => {
      let group = groups.get(owner);
      if (group === undefined) {
        group = { keys: [], positions: [] };
        groups.set(owner, group);
      }
      group.keys.push(keys[position]!);
      group.positions.push(position);
    });
    const get = new MultiGet(keys.length, groups.size, reply);
    for (const [server, group] of groups) {
      this.send(
        server,
        encodeRetrieval(request.command, group.keys, request.exptime),
        get.part(group.keys, group.positions),
      );
    }
  }

  /**
   * flush_all to every server on the ring; one ejected now, or whose flush fails on the way,
   * owes it (see sendOwedFlush). Sent with a reply even for noreply, which the client does not
   * get: a failure must be seen.
   */
  private flushAll(delay: number, reply: ReplySink | undefined): void {
    const owed = { at: Date.now(), delay };
    const live = this.pool.liveServers();
    for (const server of this.pool.servers) if (server.ejectedUntil !== 0) server.flushOwed = owed;
    const all = reply && new Broadcast(live.length, STATUS_LINES.OK, reply);
    const request = encodeFlushAll(delay > 0 ? delay : undefined);
    for (const server of live) {
      const part = all?.waiter();
      this.send(server, request, {
        expect: 'line',
        item: (r) => part?.item(r),
        end: () => part?.end(),
        fail: (message) => {
          server.flushOwed = owed;
          part?.fail(message);
        },
      });
    }
  }

  private broadcast(request: Buffer, reply: ReplySink | undefined): void {
    const servers = this.pool.liveServers();
    const all = reply && new Broadcast(servers.length, STATUS_LINES.OK, reply);
    for (const server of servers) this.send(server, request, all?.waiter());
  }

  private send(
    server: Server,
    parts: Buffer | Buffer[],
    waiter: ForwardWaiter | ReturnType<Broadcast['waiter']> | undefined,
  ): void {
    const connection = this.pool.connection(server);
    if (!this.corked.has(connection)) {
      connection.cork();
      this.corked.add(connection);
      // Sends also happen outside a client read (follow-up requests from reply callbacks), so
      // every cork schedules its uncork.
      this.flush();
    }
    if (server.flushOwed !== undefined && !server.flushSending) this.sendOwedFlush(server, connection);
    connection.send(parts, waiter);
    if (connection.backlog > MAX_BACKLOG_BYTES) this.behind = connection;
  }

  /**
   * The flush_all a server missed while ejected, ahead of the first request it gets back on the
   * ring (same connection: it runs first). Kept owed until the server answers OK.
   */
  private sendOwedFlush(server: Server, connection: BackendConnection): void {
    const owed = server.flushOwed!;
    // A delayed flush keeps its moment: what is left of the delay, or now.
    const left = Math.max(0, Math.ceil((owed.at + owed.delay * 1000 - Date.now()) / 1000));
    server.flushSending = true;
    connection.send(encodeFlushAll(left > 0 ? left : undefined), {
      expect: 'line',
      item: () => {},
      end: () => {
        server.flushSending = false;
        // Answered: done — or refused (memcached -F), which asking again would not change.
        if (server.flushOwed === owed) server.flushOwed = undefined;
      },
      fail: () => {
        server.flushSending = false;
      },
    });
  }
}
