// The objects of one kind: a map for point lookups plus a sorted array of keys
// for ordered, paginated listing. Keys are `namespace/name` ('/name' for
// cluster-scoped kinds), so every namespace is one contiguous range and a page
// starts with a binary search instead of a scan. Inserting into a sorted array
// is a memmove, cheap next to the work of a Raft entry even at 100k objects.
import type { Resource } from './types.js';

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class KindTable {
  private readonly objects = new Map<string, Resource>();
  private readonly keys: string[] = [];

  get size(): number {
    return this.objects.size;
  }

  get(key: string): Resource | undefined {
    return this.objects.get(key);
  }

  /** Inserts or replaces. */
  set(key: string, object: Resource): void {
    if (!this.objects.has(key)) {
      this.keys.splice(this.lowerBound(key), 0, key);
    }
    this.objects.set(key, object);
  }

  delete(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    this.keys.splice(this.lowerBound(key), 1);
    return true;
  }

  /** Index of the first key >= `key`. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The half-open index range of keys in `namespace` (every key when
   * undefined). '0' is the character after '/', so `ns0` bounds `ns/...`.
   */
  range(namespace: string | undefined): [number, number] {
    if (namespace === undefined) return [0, this.keys.length];
    return [this.lowerBound(`${namespace}/`), this.lowerBound(`${namespace}0`)];
  }

  keyAt(i: number): string | undefined {
    return this.keys[i];
  }

  /** The object at sorted position i (i within [0, size)). */
  at(i: number): Resource {
    return this.objects.get(this.keys[i] as string) as Resource;
  }

  /** Every object in key order. */
  *values(): IterableIterator<Resource> {
    for (const key of this.keys) yield this.objects.get(key) as Resource;
  }

  clear(): void {
    this.objects.clear();
    this.keys.length = 0;
  }
}
