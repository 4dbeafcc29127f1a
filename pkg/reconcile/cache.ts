// The in-memory copy of one kind that an informer keeps and reconcilers read
// (client-go's Indexer). Objects are frozen: a reconciler that wants to change
// one copies it first (cloneResource), so an accidental mutation throws
// instead of silently diverging from the store. Secondary indexes (e.g. Runs
// by owning Job uid, Runs by node) make "the Runs of this Job" O(result).
//
// With a Compactor, some objects are kept in a compact form and unpacked on
// every read. On a node the compactor is the store's (pkg/store/packed.ts):
// the store keeps finished Runs and Jobs and Events packed, and an object the
// store handed out maps back to the store's own packed form, so the cache and
// the store share one copy instead of the cache keeping the parsed object.
import { keyOf, objectKey, type ObjectLike } from './keys.js';

/** Keeps objects in a compact form (see the header). */
export interface Compactor {
  /** The compact form to keep for `object`, or undefined to keep the object itself. */
  pack(object: ObjectLike): object | undefined;
  /** Whether a cached value is a compact form (something pack returned). */
  isPacked(value: unknown): boolean;
  /** The object a compact form was made from: equal to it, frozen. */
  unpack(packed: object): ObjectLike;
}

export interface CacheOptions {
  readonly compactor?: Compactor;
}

/** Maps an object to the index values it is filed under ([] for none). */
export type IndexFunc<T> = (object: T) => readonly string[];

/** The read side reconcilers get. */
export interface Lister<T extends ObjectLike> {
  get(namespace: string, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  list(): T[];
  /** Objects filed under `value` in the index `indexName` (added with addIndex). */
  byIndex(indexName: string, value: string): T[];
  readonly size: number;
}

export class Cache<T extends ObjectLike> implements Lister<T> {
  /** The object, or its compact form (only with a compactor). */
  private readonly objects = new Map<string, T | object>();
  private readonly compactor: Compactor | undefined;
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /**
   * indexName -> value -> keys. Most values have one key (a Job's one Run, a
   * Run's uid): that key is kept as it is, a Set (about 150 B more) only from
   * the second key on.
   */
  private readonly indexes = new Map<string, Map<string, string | Set<string>>>();

  constructor(opts: CacheOptions = {}) {
    this.compactor = opts.compactor;
  }

  get size(): number {
    return this.objects.size;
  }

  /** A cached value as the object (unpacking a compact form). */
  private read(value: T | object): T {
    const c = this.compactor;
    // Only objects of type T were packed into this cache, so what unpacks is a T.
    return c !== undefined && c.isPacked(value) ? (c.unpack(value) as T) : (value as T);
  }

  /**
   * Whether `object` is what the cache holds for its key now (the very
   * object, or the compact form it came from).
   */
  holds(object: T): boolean {
    const value = this.objects.get(keyOf(object));
    if (value === undefined) return false;
    if (value === object) return true;
    const c = this.compactor;
    return c !== undefined && c.isPacked(value) && c.pack(object) === value;
  }

  /**
   * Adds an index; objects already cached are filed at once. Controllers that
   * share an informer may both ask for an index: the first function given for
   * a name is kept (so use shared constants for both).
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) return;
    this.indexFuncs.set(name, fn);
    this.indexes.set(name, new Map());
    for (const [key, value] of this.objects) this.file(name, fn, key, this.read(value));
  }

  get(namespace: string, name: string): T | undefined {
    return this.getByKey(objectKey(namespace, name));
  }

  getByKey(key: string): T | undefined {
    const value = this.objects.get(key);
    return value === undefined ? undefined : this.read(value);
  }

  list(): T[] {
    const out: T[] = [];
    for (const value of this.objects.values()) out.push(this.read(value));
    return out;
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index ${indexName}`);
    const keys = index.get(value);
    if (keys === undefined) return [];
    if (typeof keys === 'string') {
      const o = this.getByKey(keys);
      return o ? [o] : [];
    }
    const out: T[] = [];
    for (const k of keys) {
      const o = this.getByKey(k);
      if (o) out.push(o);
    }
    return out;
  }

  /**
   * Inserts or replaces; returns the previous object. `object` is frozen in
   * place (deeply), so after the call it is what reads give back (or equal to
   * it, when it is kept packed).
   */
  upsert(object: T): T | undefined {
    const frozen = freezeDeep(object);
    const key = keyOf(frozen);
    const old = this.getByKey(key);
    if (old) this.unfileAll(key, old);
    this.objects.set(key, this.compactor?.pack(frozen) ?? frozen);
    for (const [name, fn] of this.indexFuncs) this.file(name, fn, key, frozen);
    return old;
  }

  /** Removes by key; returns what was cached. */
  remove(key: string): T | undefined {
    const old = this.getByKey(key);
    if (!old) return undefined;
    this.unfileAll(key, old);
    this.objects.delete(key);
    return old;
  }

  private file(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.indexes.get(name) as Map<string, string | Set<string>>;
    for (const value of fn(obj)) {
      const keys = index.get(value);
      if (keys === undefined) index.set(value, key);
      else if (typeof keys !== 'string') keys.add(key);
      else if (keys !== key) index.set(value, new Set([keys, key]));
    }
  }

  private unfileAll(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name) as Map<string, string | Set<string>>;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (keys === undefined) continue;
        if (typeof keys === 'string') {
          if (keys === key) index.delete(value);
          continue;
        }
        keys.delete(key);
        if (keys.size === 1) index.set(value, keys.values().next().value as string);
      }
    }
  }
}

/**
 * Freezes an object and everything under it. The store already hands out
 * deep-frozen objects, so a frozen root is taken as frozen throughout (cheap);
 * objects decoded from the wire (gRPC client) are frozen here.
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const v of Object.values(value as Record<string, unknown>)) freezeDeep(v);
  return Object.freeze(value);
}
