// The watch hub: a bounded history of changes plus the live watchers. Changes
// are recorded and dispatched synchronously at the end of each applied entry,
// so a watcher sees exactly the committed order. A watch from revision V first
// replays the history after V, then continues live; when V has fallen out of
// the window the caller gets Gone and must relist (Kubernetes' 410).
import { JobctlError, Reason } from '../util/errors.js';
import { deepFreeze } from './canonical.js';
import type { FieldSelector, LabelSelector } from './selector.js';
import type { Resource } from './types.js';

export const WatchEventType = {
  Added: 'ADDED',
  Modified: 'MODIFIED',
  Deleted: 'DELETED',
} as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/** What a listener receives. object.metadata.resourceVersion is the event's revision. */
export interface WatchEvent<T extends Resource = Resource> {
  readonly type: WatchEventType;
  readonly object: T;
}

export type WatchListener = (event: WatchEvent) => void;

export interface WatchHandle {
  /** Stops delivery. Idempotent. */
  cancel(): void;
  /** False once cancelled, or stopped by an error (listener threw, store restored). */
  readonly active: boolean;
}

/** One change to one object, as recorded in the history. */
export interface Change {
  readonly revision: number;
  readonly kind: string;
  readonly type: WatchEventType;
  /** The new state (the final state, with deletionTimestamp, for DELETED). */
  readonly object: Resource;
  /** The state before a MODIFIED change, so that selector transitions can be told. */
  readonly prev?: Resource;
}

export interface WatchFilter {
  readonly namespace?: string;
  readonly labels?: LabelSelector;
  readonly fields?: FieldSelector;
}

function matches(filter: WatchFilter, object: Resource): boolean {
  if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace) {
    return false;
  }
  if (filter.labels && !filter.labels.matches(object.metadata.labels)) return false;
  if (filter.fields && !filter.fields.matches(object)) return false;
  return true;
}

/** `object` stamped with another resourceVersion (frozen, sharing frozen parts). */
function atRevision(object: Resource, revision: number): Resource {
  return deepFreeze({
    ...object,
    metadata: { ...object.metadata, resourceVersion: String(revision) },
  });
}

/**
 * How a change looks through a filter, as in Kubernetes' watch cache: an object
 * that starts matching is ADDED, one that stops matching is DELETED (its last
 * matching state, stamped with the change's revision).
 */
export function eventFor(filter: WatchFilter, change: Change): WatchEvent | undefined {
  const now = matches(filter, change.object);
  if (change.type !== WatchEventType.Modified) {
    return now ? { type: change.type, object: change.object } : undefined;
  }
  const before = change.prev !== undefined && matches(filter, change.prev);
  if (now)
    return { type: before ? WatchEventType.Modified : WatchEventType.Added, object: change.object };
  if (before && change.prev) {
    return { type: WatchEventType.Deleted, object: atRevision(change.prev, change.revision) };
  }
  return undefined;
}

/** A fixed-capacity ring of changes in revision order. */
export class HistoryRing {
  private readonly buf: (Change | undefined)[];
  private head = 0;
  private count = 0;
  /**
   * Every change after this revision is still in the ring, so a watch from any
   * V >= compacted is served exactly. Raised as old changes are evicted.
   */
  private compacted = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array<Change | undefined>(Math.max(0, capacity));
  }

  get size(): number {
    return this.count;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  push(change: Change): void {
    if (this.capacity <= 0) {
      this.compacted = Math.max(this.compacted, change.revision);
      return;
    }
    if (this.count === this.capacity) {
      const evicted = this.buf[this.head] as Change;
      // Each change has its own revision (store.ts), so a watch from the
      // evicted revision on is still served exactly; one from before is not.
      this.compacted = Math.max(this.compacted, evicted.revision);
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    this.buf[(this.head + this.count) % this.capacity] = change;
    this.count++;
  }

  private at(i: number): Change {
    return this.buf[(this.head + i) % this.capacity] as Change;
  }

  /** Changes with revision > v, oldest first (binary search, then a walk). */
  *since(v: number): IterableIterator<Change> {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= v) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count; i++) yield this.at(i);
  }

  /** Forgets everything: only watches from `revision` onwards can be served. */
  reset(revision: number): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.compacted = revision;
  }
}

class Watcher implements WatchHandle {
  active = true;

  constructor(
    readonly kind: string,
    private readonly filter: WatchFilter,
    private readonly listener: WatchListener,
    private readonly onError: ((err: unknown) => void) | undefined,
    private readonly detach: (w: Watcher) => void,
    /**
     * A watch from revision V gets only changes after V. V can be ahead of this
     * replica (a client resuming on a node that lags or has just restarted): the
     * changes it then applies up to V were delivered already and must not repeat.
     */
    private readonly after: number,
  ) {}

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.detach(this);
  }

  /** Stops the watch and tells its owner why; the owner's errors are swallowed too. */
  fail(err: unknown): void {
    if (!this.active) return;
    this.cancel();
    try {
      this.onError?.(err);
    } catch {
      // A broken error handler must not break the store either.
    }
  }

  deliverChange(change: Change): void {
    if (change.revision <= this.after) return;
    const event = eventFor(this.filter, change);
    if (event) this.deliver(event);
  }

  deliver(event: WatchEvent): void {
    if (!this.active) return;
    try {
      this.listener(event);
    } catch (err) {
      // A listener that throws may have lost this event, so carrying on would
      // leave its cache silently wrong: stop it and let it relist.
      this.fail(err);
    }
  }
}

export interface SubscribeOptions {
  readonly filter: WatchFilter;
  readonly listener: WatchListener;
  readonly onError?: (err: unknown) => void;
  /** Replay history after this revision, or... */
  readonly fromRevision?: number;
  /** ...deliver these (the current state, as ADDED) before going live. */
  readonly initial?: readonly Resource[];
}

export class WatchHub {
  private readonly history: HistoryRing;
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(historySize: number) {
    this.history = new HistoryRing(historySize);
  }

  get compactedRevision(): number {
    return this.history.compactedRevision;
  }

  get historySize(): number {
    return this.history.size;
  }

  get watcherCount(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  /** Throws Gone unless a watch from `revision` can be served exactly. */
  checkRevision(revision: number): void {
    const oldest = this.history.compactedRevision;
    if (revision < oldest) {
      throw new JobctlError(
        Reason.Gone,
        `too old resource version: ${revision} (oldest available: ${oldest}); relist and watch again`,
      );
    }
  }

  /** Records the changes of one applied entry, then delivers them in order. */
  publish(changes: readonly Change[]): void {
    for (const change of changes) this.history.push(change);
    for (const change of changes) {
      const set = this.watchers.get(change.kind);
      if (!set || set.size === 0) continue;
      // A copy: listeners may cancel themselves or start other watches.
      for (const w of [...set]) w.deliverChange(change);
    }
  }

  /** Replays (history or initial state) synchronously, then registers for live changes. */
  subscribe(kind: string, opts: SubscribeOptions): WatchHandle {
    if (opts.fromRevision !== undefined) this.checkRevision(opts.fromRevision);
    const w = new Watcher(
      kind,
      opts.filter,
      opts.listener,
      opts.onError,
      (x) => {
        this.watchers.get(x.kind)?.delete(x);
      },
      opts.fromRevision ?? 0,
    );
    let set = this.watchers.get(kind);
    if (!set) {
      set = new Set();
      this.watchers.set(kind, set);
    }
    set.add(w);
    if (opts.fromRevision !== undefined) {
      for (const change of this.history.since(opts.fromRevision)) {
        if (!w.active) break;
        if (change.kind === kind) w.deliverChange(change);
      }
    } else {
      for (const object of opts.initial ?? []) {
        if (!w.active) break;
        w.deliver({ type: WatchEventType.Added, object });
      }
    }
    return w;
  }

  /** Drops the history (see HistoryRing.reset) and stops every watcher with `err`. */
  reset(revision: number, err: unknown): void {
    this.history.reset(revision);
    const all = [...this.watchers.values()].flatMap((s) => [...s]);
    for (const w of all) w.fail(err);
  }
}
