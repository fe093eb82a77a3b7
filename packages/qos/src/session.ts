import type { AcquireOptions } from './acquire-options.js';
import type { Lease } from './lease.js';
import type { TenantState } from './tenant-state.js';
import type { AcquireCallback, Ticket } from './waiter.js';

/** @internal What a session needs from its scheduler. */
export interface SessionOwner {
  acquire(tenant: string | undefined, callback: AcquireCallback, options?: AcquireOptions): Ticket | null;
  acquireAsync(tenant: string | undefined, options?: AcquireOptions): Promise<Lease>;
  closeSession(session: TenantSession): boolean;
}

/**
 * A client connection counted against its tenant's `max_connections` (from
 * `QosScheduler.connect`). Close it when the client disconnects.
 */
export class TenantSession {
  /** @internal */ closed = false;

  /** @internal */
  constructor(
    /** @internal */ readonly owner: SessionOwner,
    /** @internal */ readonly state: TenantState,
  ) {}

  /** The tenant the connection counts against. */
  get tenant(): string {
    return this.state.name;
  }

  /** `QosScheduler.acquire` for this connection's tenant. */
  acquire(callback: AcquireCallback, options?: AcquireOptions): Ticket | null {
    return this.owner.acquire(this.state.name, callback, options);
  }

  /** `QosScheduler.acquireAsync` for this connection's tenant. */
  acquireAsync(options?: AcquireOptions): Promise<Lease> {
    return this.owner.acquireAsync(this.state.name, options);
  }

  /** Stops counting the connection. Returns false if it was already closed. */
  close(): boolean {
    return this.owner.closeSession(this);
  }
}
