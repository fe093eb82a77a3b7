/** An item that remembers its own position in one {@link IndexedHeap} (-1 when not in it). */
export interface HeapItem {
  heapIndex: number;
}

/**
 * A binary min-heap whose items know their index, so removing or re-keying any item is
 * O(log n) without a search. Each item type belongs to at most one heap at a time.
 */
export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  /** `before(a, b)` is true when `a` must come out before `b`. */
  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `item` if it is in the heap. */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const items = this.#items;
    const last = items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    items[i] = last;
    last.heapIndex = i;
    this.#restore(i);
  }

  /** Restores order after `item`'s key changed in either direction. */
  update(item: T): void {
    if (item.heapIndex >= 0) this.#restore(item.heapIndex);
  }

  /** Every item, in heap (not sorted) order. */
  items(): readonly T[] {
    return this.#items;
  }

  #restore(i: number): void {
    if (i > 0 && this.#before(this.#items[i]!, this.#items[(i - 1) >> 1]!)) this.#up(i);
    else this.#down(i);
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.#before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#before(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!this.#before(child, item)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
