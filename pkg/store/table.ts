// The objects of one kind: a map for point lookups plus the keys in sorted
// order for paginated listing. Keys are `namespace/name` ('/name' for
// cluster-scoped kinds), so every namespace is one contiguous key range and a
// page starts with a binary search instead of a scan.
//
// The sorted keys live in chunks of at most 2*512 keys (as Python's
// sortedcontainers does): an insert or delete moves at most one chunk's worth of
// entries, where one flat array would memmove up to the whole kind (100k keys)
// on every write into the middle of the order. Each chunk of keys has a chunk
// of objects beside it, in the same order: a scan (a list page) and values()
// (a snapshot's capture) read the objects in order without a map lookup per
// key. With 100,000 finished Jobs (~700,000 objects) those lookups made a
// snapshot's capture hold a node's event loop for ~1 s under load, past the
// followers' election timeout (docs/benchmarks.md, "100,000 Jobs: a new
// leader's start, session 7"); replacing an object now finds its place by
// two binary searches instead.
//
// A value is the object itself or, for most Events, its compact form
// (compact-event.ts; ObjectIndex chooses): get and scan build the Event
// again, so callers always get the object.
import { CompactEvent } from './compact-event.js';
import type { Resource } from './types.js';

/** What a table holds for a key. */
export type StoredObject = Resource | CompactEvent;

/** The object a table holds, built again if it is compact. */
export function objectOf(stored: StoredObject): Resource {
  return stored instanceof CompactEvent ? stored.event() : stored;
}

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
  private readonly objects = new Map<string, StoredObject>();
  /** Sorted, non-empty chunks; every key of chunk i is < every key of chunk i+1. */
  private chunks: string[][] = [];
  /** The object of each key of `chunks`, at the same place. */
  private objectChunks: StoredObject[][] = [];
  /** The last (largest) key of each chunk. */
  private maxes: string[] = [];

  /** `chunk` is half the largest chunk size (small values exercise splits in tests). */
  constructor(private readonly chunk = DEFAULT_CHUNK) {}

  get size(): number {
    return this.objects.size;
  }

  get(key: string): Resource | undefined {
    const stored = this.objects.get(key);
    return stored && objectOf(stored);
  }

  /** Inserts or replaces. */
  set(key: string, object: StoredObject): void {
    if (this.objects.has(key)) {
      const i = lowerBound(this.maxes, key);
      const chunk = this.chunks[i] as string[];
      (this.objectChunks[i] as StoredObject[])[lowerBound(chunk, key)] = object;
    } else {
      this.insert(key, object);
    }
    this.objects.set(key, object);
  }

  delete(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    const i = lowerBound(this.maxes, key);
    const chunk = this.chunks[i] as string[];
    const j = lowerBound(chunk, key);
    chunk.splice(j, 1);
    (this.objectChunks[i] as StoredObject[]).splice(j, 1);
    if (chunk.length === 0) {
      this.chunks.splice(i, 1);
      this.objectChunks.splice(i, 1);
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
      const objects = this.objectChunks[i] as StoredObject[];
      for (let j = lowerBound(chunk, from); j < chunk.length; j++) {
        if (to !== undefined && (chunk[j] as string) >= to) return;
        if (!visit(objectOf(objects[j] as StoredObject))) return;
      }
    }
  }

  /**
   * Every object in key order, as stored: compact Events stay compact (a
   * snapshot's capture holds them all at once; JSON.stringify writes the
   * Event).
   */
  values(): StoredObject[] {
    const out: StoredObject[] = new Array<StoredObject>(this.objects.size);
    let at = 0;
    for (const objects of this.objectChunks) {
      for (let j = 0; j < objects.length; j++) out[at++] = objects[j] as StoredObject;
    }
    return out;
  }

  clear(): void {
    this.objects.clear();
    this.chunks = [];
    this.objectChunks = [];
    this.maxes = [];
  }

  private insert(key: string, object: StoredObject): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.objectChunks.push([object]);
      this.maxes.push(key);
      return;
    }
    // The first chunk whose max is >= key, or the last chunk for a new maximum.
    const i = Math.min(lowerBound(this.maxes, key), this.chunks.length - 1);
    const chunk = this.chunks[i] as string[];
    const objects = this.objectChunks[i] as StoredObject[];
    const j = lowerBound(chunk, key);
    chunk.splice(j, 0, key);
    objects.splice(j, 0, object);
    this.maxes[i] = chunk[chunk.length - 1] as string;
    if (chunk.length > 2 * this.chunk) {
      const tail = chunk.splice(this.chunk);
      this.chunks.splice(i + 1, 0, tail);
      this.objectChunks.splice(i + 1, 0, objects.splice(this.chunk));
      this.maxes.splice(i, 1, chunk[chunk.length - 1] as string, tail[tail.length - 1] as string);
    }
  }
}
