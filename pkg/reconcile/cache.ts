// The in-memory copy of one kind that an informer keeps and reconcilers read
// (client-go's Indexer). Objects are frozen: a reconciler that wants to change
// one copies it first (cloneResource), so an accidental mutation throws
// instead of silently diverging from the store. Secondary indexes (e.g. Runs
// by owning Job uid, Runs by node) make "the Runs of this Job" O(result).
import { objectKey, splitKey, type ObjectLike } from './keys.js';

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
  /**
   * namespace -> name -> object. Keyed by the object's own strings: a
   * "namespace/name" key made for each object cost ~60 bytes per object per
   * cache, which at 100,000 finished Jobs (a Job, a Run and Events each, in
   * the leader's caches and an agent's) was tens of MB on the leader.
   */
  private readonly objects = new Map<string, Map<string, T>>();
  private count = 0;
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /**
   * indexName -> value -> the object filed under it, or a Set of them when
   * there are several. Most values hold one object (a Job's one Run, a Run's
   * uid): a Set for each cost ~200 bytes.
   */
  private readonly indexes = new Map<string, Map<string, T | Set<T>>>();

  get size(): number {
    return this.count;
  }

  /**
   * Adds an index; objects already cached are filed at once. Controllers that
   * share an informer may both ask for an index: the first function given for
   * a name is kept (so use shared constants for both).
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) return;
    const index = new Map<string, T | Set<T>>();
    this.indexFuncs.set(name, fn);
    this.indexes.set(name, index);
    for (const obj of this.list()) file(index, fn, obj);
  }

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(namespace)?.get(name);
  }

  getByKey(key: string): T | undefined {
    const { namespace, name } = splitKey(key);
    return this.get(namespace, name);
  }

  list(): T[] {
    const out: T[] = [];
    for (const names of this.objects.values()) for (const obj of names.values()) out.push(obj);
    return out;
  }

  keys(): string[] {
    const out: string[] = [];
    for (const [namespace, names] of this.objects) {
      for (const name of names.keys()) out.push(objectKey(namespace, name));
    }
    return out;
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index ${indexName}`);
    const filed = index.get(value);
    if (filed === undefined) return [];
    return filed instanceof Set ? [...filed] : [filed];
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(object: T): T | undefined {
    const frozen = freezeDeep(object);
    const { namespace, name } = frozen.metadata;
    let names = this.objects.get(namespace);
    if (!names) this.objects.set(namespace, (names = new Map()));
    const old = names.get(name);
    if (old) this.unfileAll(old);
    else this.count++;
    names.set(name, frozen);
    for (const [indexName, fn] of this.indexFuncs) {
      file(this.indexes.get(indexName) as Map<string, T | Set<T>>, fn, frozen);
    }
    return old;
  }

  /** Removes by key; returns what was cached. */
  remove(key: string): T | undefined {
    const { namespace, name } = splitKey(key);
    const names = this.objects.get(namespace);
    const old = names?.get(name);
    if (!names || !old) return undefined;
    this.unfileAll(old);
    names.delete(name);
    if (names.size === 0) this.objects.delete(namespace);
    this.count--;
    return old;
  }

  private unfileAll(obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name) as Map<string, T | Set<T>>;
      for (const value of fn(obj)) {
        const filed = index.get(value);
        if (filed === obj) index.delete(value);
        else if (filed instanceof Set) {
          filed.delete(obj);
          // Back to the object alone once one is left.
          if (filed.size === 1) index.set(value, filed.values().next().value as T);
          else if (filed.size === 0) index.delete(value);
        }
      }
    }
  }
}

/** Files `obj` under each of its values in `index`. */
function file<T>(index: Map<string, T | Set<T>>, fn: IndexFunc<T>, obj: T): void {
  for (const value of fn(obj)) {
    const filed = index.get(value);
    if (filed === undefined) index.set(value, obj);
    else if (filed instanceof Set) filed.add(obj);
    else if (filed !== obj) index.set(value, new Set([filed, obj]));
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
