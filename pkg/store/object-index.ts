// Where the store keeps objects: one sorted KindTable per kind, plus two
// cross-kind indexes that cascading deletes need: uid -> object (does an owner
// still exist?) and owner uid -> dependents. insert/remove keep all three in
// step, which is also what makes an atomic batch's undo a matter of calling
// them in reverse. Runs also feed what each node has in use (node-usage.ts) and
// how full each Queue is (queue-usage.ts). Most Events are kept compact
// (compact-event.ts), in the table and the uid index alike; what goes in and
// comes out is always the object.
import { CompactEvent, compactEvent } from './compact-event.js';
import { NodeUsageIndex } from './node-usage.js';
import { QueueUsageIndex } from './queue-usage.js';
import { KindTable, objectKey, type StoredObject } from './table.js';
import type { OwnerReference, Resource } from './types.js';

/** kind + NUL + namespace/name: identifies an object across kinds. */
export type FullKey = string;

export function fullKey(kind: string, key: string): FullKey {
  return `${kind}\u0000${key}`;
}

export function splitFullKey(fk: FullKey): [kind: string, key: string] {
  const i = fk.indexOf('\u0000');
  return [fk.slice(0, i), fk.slice(i + 1)];
}

export class ObjectIndex {
  private readonly tables = new Map<string, KindTable>();
  /**
   * uid -> the object itself, not its FullKey: a key string per object
   * (about 60 B) that nothing else holds, where the object is held anyway.
   */
  private readonly uids = new Map<string, StoredObject>();
  private readonly dependents = new Map<string, Set<FullKey>>();
  /** What the non-final Runs bound to each node take of it. */
  readonly nodeUsage = new NodeUsageIndex();
  /** How many Runs of each Queue hold a slot. */
  readonly queueUsage = new QueueUsageIndex();

  constructor(kinds: readonly string[]) {
    for (const kind of kinds) this.tables.set(kind, new KindTable());
  }

  /** The table of a registered kind. */
  table(kind: string): KindTable {
    const table = this.tables.get(kind);
    if (!table) throw new Error(`store: kind ${kind} is not registered`);
    return table;
  }

  getFull(fk: FullKey): Resource | undefined {
    const [kind, key] = splitFullKey(fk);
    return this.tables.get(kind)?.get(key);
  }

  /** The object that has this uid, if it exists. */
  byUid(uid: string): FullKey | undefined {
    const stored = this.uids.get(uid);
    if (stored === undefined) return undefined;
    if (stored instanceof CompactEvent) return fullKey(stored.kind, stored.key);
    return fullKey(stored.kind, objectKey(stored.metadata.namespace, stored.metadata.name));
  }

  /** Objects naming `uid` as an owner, sorted (so every replica visits them alike). */
  dependentsOf(uid: string): FullKey[] {
    return [...(this.dependents.get(uid) ?? [])].sort();
  }

  /** Stores `object` (replacing `old` at the same key, if given) and indexes it. */
  insert(kind: string, object: Resource, old?: Resource): void {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const fk = fullKey(kind, key);
    if (old) {
      this.unindexOwners(old.metadata.ownerReferences, fk);
      if (old.metadata.uid !== object.metadata.uid) this.uids.delete(old.metadata.uid);
    }
    if (kind === 'Run') {
      this.nodeUsage.update(old, object);
      this.queueUsage.update(old, object);
    }
    const stored = (kind === 'Event' && compactEvent(object, key, this.storedByUid)) || object;
    this.table(kind).set(key, stored);
    this.uids.set(object.metadata.uid, stored);
    for (const ref of object.metadata.ownerReferences) {
      let set = this.dependents.get(ref.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(ref.uid, set);
      }
      set.add(fk);
    }
  }

  /** An object that is not a compact Event, by uid: what an Event may borrow strings from. */
  private readonly storedByUid = (uid: string): Resource | undefined => {
    const stored = this.uids.get(uid);
    return stored instanceof CompactEvent ? undefined : stored;
  };

  remove(kind: string, object: Resource): void {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const fk = fullKey(kind, key);
    if (kind === 'Run') {
      this.nodeUsage.update(object, undefined);
      this.queueUsage.update(object, undefined);
    }
    this.table(kind).delete(key);
    this.uids.delete(object.metadata.uid);
    this.unindexOwners(object.metadata.ownerReferences, fk);
  }

  clear(): void {
    for (const table of this.tables.values()) table.clear();
    this.uids.clear();
    this.dependents.clear();
    this.nodeUsage.clear();
    this.queueUsage.clear();
  }

  private unindexOwners(refs: readonly OwnerReference[], fk: FullKey): void {
    for (const ref of refs) {
      const set = this.dependents.get(ref.uid);
      if (!set) continue;
      set.delete(fk);
      if (set.size === 0) this.dependents.delete(ref.uid);
    }
  }
}
