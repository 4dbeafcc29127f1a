// The in-memory copy of one kind that an informer keeps and reconcilers read
// (client-go's Indexer). Objects are frozen: a reconciler that wants to change
// one copies it first (cloneResource), so an accidental mutation throws
// instead of silently diverging from the store. Secondary indexes (e.g. Runs
// by owning Job uid, Runs by node) make "the Runs of this Job" O(result).
import { keyOf, objectKey, type ObjectLike } from './keys.js';

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
  private readonly objects = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** indexName -> value -> keys. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.objects.size;
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
    for (const [key, obj] of this.objects) this.file(name, fn, key, obj);
  }

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(objectKey(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(object: T): T | undefined {
    const frozen = freezeDeep(object);
    const key = keyOf(frozen);
    const old = this.objects.get(key);
    if (old) this.unfileAll(key, old);
    this.objects.set(key, frozen);
    for (const [name, fn] of this.indexFuncs) this.file(name, fn, key, frozen);
    return old;
  }

  /** Removes by key; returns what was cached. */
  remove(key: string): T | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.unfileAll(key, old);
    this.objects.delete(key);
    return old;
  }

  private file(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.indexes.get(name) as Map<string, Set<string>>;
    for (const value of fn(obj)) {
      let set = index.get(value);
      if (!set) index.set(value, (set = new Set()));
      set.add(key);
    }
  }

  private unfileAll(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(obj)) {
        const set = index.get(value);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(value);
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
