// The objects of one kind: a map for point lookups plus the keys in sorted
// order for paginated listing. Keys are `namespace/name` ('/name' for
// cluster-scoped kinds), so every namespace is one contiguous key range and a
// page starts with a binary search instead of a scan.
//
// The sorted keys live in chunks of at most 2*512 keys (as Python's
// sortedcontainers does): an insert or delete moves at most one chunk's worth of
// entries, where one flat array would memmove up to the whole kind (100k keys)
// on every write into the middle of the order.
import type { Resource } from './types.js';

const DEFAULT_CHUNK = 512;

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Index of the first element >= key in a sorted array. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class KindTable {
  private readonly objects = new Map<string, Resource>();
  /** Sorted, non-empty chunks; every key of chunk i is < every key of chunk i+1. */
  private chunks: string[][] = [];
  /** The last (largest) key of each chunk. */
  private maxes: string[] = [];

  /** `chunk` is half the largest chunk size (small values exercise splits in tests). */
  constructor(private readonly chunk = DEFAULT_CHUNK) {}

  get size(): number {
    return this.objects.size;
  }

  get(key: string): Resource | undefined {
    return this.objects.get(key);
  }

  /** Inserts or replaces. */
  set(key: string, object: Resource): void {
    if (!this.objects.has(key)) this.insertKey(key);
    this.objects.set(key, object);
  }

  delete(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    const i = lowerBound(this.maxes, key);
    const chunk = this.chunks[i] as string[];
    chunk.splice(lowerBound(chunk, key), 1);
    if (chunk.length === 0) {
      this.chunks.splice(i, 1);
      this.maxes.splice(i, 1);
    } else {
      this.maxes[i] = chunk[chunk.length - 1] as string;
    }
    return true;
  }

  /**
   * Calls `visit` with each object whose key is >= `from` (and < `to`, when
   * given), in key order, until it returns false.
   */
  scan(from: string, to: string | undefined, visit: (object: Resource) => boolean): void {
    for (let i = lowerBound(this.maxes, from); i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as string[];
      for (let j = lowerBound(chunk, from); j < chunk.length; j++) {
        const key = chunk[j] as string;
        if (to !== undefined && key >= to) return;
        if (!visit(this.objects.get(key) as Resource)) return;
      }
    }
  }

  /** Every object in key order. */
  values(): Resource[] {
    const out: Resource[] = [];
    for (const chunk of this.chunks)
      for (const key of chunk) out.push(this.objects.get(key) as Resource);
    return out;
  }

  clear(): void {
    this.objects.clear();
    this.chunks = [];
    this.maxes = [];
  }

  private insertKey(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxes.push(key);
      return;
    }
    // The first chunk whose max is >= key, or the last chunk for a new maximum.
    const i = Math.min(lowerBound(this.maxes, key), this.chunks.length - 1);
    const chunk = this.chunks[i] as string[];
    chunk.splice(lowerBound(chunk, key), 0, key);
    this.maxes[i] = chunk[chunk.length - 1] as string;
    if (chunk.length > 2 * this.chunk) {
      const tail = chunk.splice(this.chunk);
      this.chunks.splice(i + 1, 0, tail);
      this.maxes.splice(i, 1, chunk[chunk.length - 1] as string, tail[tail.length - 1] as string);
    }
  }
}
