import type { TenantState } from './tenant-state.js';

/** @internal What a lease needs from its scheduler. */
export interface LeaseOwner {
  releaseLease(lease: Lease): boolean;
}

/**
 * One granted slot. Hold it while the backend is in use and call {@link Lease.release} once the
 * work is done: the scheduler charges the tenant for the time the slot was actually held.
 */
export class Lease {
  /** @internal */ released = false;

  /** @internal */
  constructor(
    /** @internal */ readonly owner: LeaseOwner,
    /** @internal */ readonly state: TenantState,
    /** When the slot was granted (clock milliseconds). */
    readonly grantedAt: number,
    /**
     * @internal What the grant added to the tenant's tag (estimated cost / weight then), taken
     * back on release — exactly, even if the weight changed meanwhile.
     */
    readonly tagCharged: number,
  ) {}

  /** The tenant holding the slot. */
  get tenant(): string {
    return this.state.name;
  }

  /** Gives the slot back. Returns false (and does nothing) if it was already released. */
  release(): boolean {
    return this.owner.releaseLease(this);
  }
}
