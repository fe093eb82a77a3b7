import type { TenantState } from './tenant-state.js';

/**
 * The tenants that may be served next (a waiter and room under their cap), as an indexed binary
 * min-heap on (priority class descending, start tag, ready order). Keys live in typed arrays
 * beside the items so a comparison touches two cache lines, not two tenant objects; each tenant
 * knows its index, so re-keying or removing any tenant is O(log n) without a search.
 */
export class ReadyHeap {
  #items: TenantState[] = [];
  #priority = new Float64Array(16);
  #tag = new Float64Array(16);
  #seq = new Float64Array(16);

  get size(): number {
    return this.#items.length;
  }

  peek(): TenantState | undefined {
    return this.#items[0];
  }

  push(state: TenantState): void {
    const i = this.#items.length;
    if (i === this.#tag.length) this.#grow();
    this.#items.push(state);
    this.#place(state, i);
    this.#up(i);
  }

  /** Removes `state` if it is in the heap. */
  remove(state: TenantState): void {
    const i = state.heapIndex;
    if (i < 0) return;
    const last = this.#items.pop()!;
    state.heapIndex = -1;
    if (last === state) return;
    this.#items[i] = last;
    this.#place(last, i);
    this.#restore(i);
  }

  /** Restores order after `state`'s tag or priority changed. */
  update(state: TenantState): void {
    const i = state.heapIndex;
    if (i < 0) return;
    this.#place(state, i);
    this.#restore(i);
  }

  /** Re-reads every key from its tenant, after all tags moved by the same amount (a rebase). */
  refreshKeys(): void {
    for (let i = 0; i < this.#items.length; i++) this.#place(this.#items[i]!, i);
  }

  #place(state: TenantState, i: number): void {
    state.heapIndex = i;
    this.#priority[i] = state.priority;
    this.#tag[i] = state.tag;
    this.#seq[i] = state.readySeq;
  }

  #before(i: number, j: number): boolean {
    const pi = this.#priority[i]!;
    const pj = this.#priority[j]!;
    if (pi !== pj) return pi > pj;
    const ti = this.#tag[i]!;
    const tj = this.#tag[j]!;
    if (ti !== tj) return ti < tj;
    return this.#seq[i]! < this.#seq[j]!;
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    b.heapIndex = i;
    a.heapIndex = j;
    swapIn(this.#priority, i, j);
    swapIn(this.#tag, i, j);
    swapIn(this.#seq, i, j);
  }

  #restore(i: number): void {
    if (i > 0 && this.#before(i, (i - 1) >> 1)) this.#up(i);
    else this.#down(i);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }

  #grow(): void {
    const size = this.#tag.length * 2;
    const grow = (old: Float64Array) => {
      const next = new Float64Array(size);
      next.set(old);
      return next;
    };
    this.#priority = grow(this.#priority);
    this.#tag = grow(this.#tag);
    this.#seq = grow(this.#seq);
  }
}

function swapIn(array: Float64Array, i: number, j: number): void {
  const t = array[i]!;
  array[i] = array[j]!;
  array[j] = t;
}
