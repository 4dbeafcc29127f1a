// A simulated disk for one node. It separates what the shell has written (the
// "page cache", which the core reads) from what has been fsynced (the platter).
// A crash throws away every write that was not synced, except that, like a
// real write-ahead log, a prefix of the unsynced writes may happen to have
// reached the disk (a torn tail). Writes are applied twice, once to the cached
// view at write time and once to the durable view at sync time, so neither
// view is ever copied wholesale on the hot path.
import type { Rng } from '../../util/rng.js';
import { CompactedError, UnavailableError } from '../storage/storage.js';
import type { Storage } from '../storage/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../types.js';

/** One state of the disk: hard state, latest snapshot, and the log after it. */
interface DiskState {
  hardState: HardState;
  snapshot: Snapshot;
  /** entries[k] has index snapshot.metadata.index + 1 + k. */
  entries: Entry[];
}

/** A write as the shell issued it, replayed onto the durable view at sync time. */
interface Write {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
}

export const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };
// An empty voter list tells the core to take its membership from config.peers.
export const emptyConfState: ConfState = { voters: [], learners: [] };
export const emptySnapshot: Snapshot = {
  metadata: { index: 0, term: 0, confState: emptyConfState },
  data: new Uint8Array(0),
};

/** Thrown when the shell writes something no correct core could ask for. */
export class StorageMisuseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageMisuseError';
  }
}

function cloneDisk(d: DiskState): DiskState {
  return { hardState: d.hardState, snapshot: d.snapshot, entries: d.entries.slice() };
}

/** Applies one write to a disk state: snapshot first, then entries, then hard state. */
function applyWrite(d: DiskState, w: Write): void {
  if (w.snapshot !== undefined) {
    // Installing a snapshot replaces the whole log it covers (etcd's ApplySnapshot).
    d.snapshot = w.snapshot;
    d.entries = [];
  }
  if (w.entries.length > 0) {
    const first = w.entries[0] as Entry;
    const base = d.snapshot.metadata.index;
    const last = base + d.entries.length;
    if (first.index > last + 1) {
      throw new StorageMisuseError(
        `append leaves a gap: log ends at ${last}, entries start at ${first.index}`,
      );
    }
    // Entries at or below the snapshot are already covered by it; skip them.
    const skip = Math.max(0, base + 1 - first.index);
    if (skip < w.entries.length) {
      // Truncate the conflicting suffix, then append.
      const from = first.index + skip;
      d.entries.length = from - base - 1;
      for (let k = skip; k < w.entries.length; k++) d.entries.push(w.entries[k] as Entry);
    }
  }
  if (w.hardState !== undefined) d.hardState = w.hardState;
}

function entryBytes(e: Entry): number {
  return e.data.length;
}

export class SimStorage implements Storage {
  private durable: DiskState;
  private cache: DiskState;
  private pending: Write[] = [];
  /** Writes made so far (pending ones are the last pending.length of them). */
  private written = 0;

  constructor(initial?: { hardState: HardState; snapshot: Snapshot; entries: readonly Entry[] }) {
    this.durable = initial
      ? {
          hardState: initial.hardState,
          snapshot: initial.snapshot,
          entries: initial.entries.slice(),
        }
      : { hardState: emptyHardState, snapshot: emptySnapshot, entries: [] };
    this.cache = cloneDisk(this.durable);
  }

  // ---- Storage (read side, used by the core; reads the cached view) -------

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.cache.hardState, confState: this.cache.snapshot.metadata.confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const base = this.cache.snapshot.metadata.index;
    if (lo <= base) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.cache.entries[i - base - 1] as Entry;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(index: number): number {
    const base = this.cache.snapshot.metadata.index;
    if (index === base) return this.cache.snapshot.metadata.term;
    if (index < base) throw new CompactedError(index);
    const e = this.cache.entries[index - base - 1];
    if (e === undefined) throw new UnavailableError(index);
    return e.term;
  }

  firstIndex(): number {
    return this.cache.snapshot.metadata.index + 1;
  }

  lastIndex(): number {
    return this.cache.snapshot.metadata.index + this.cache.entries.length;
  }

  snapshot(): Snapshot {
    return this.cache.snapshot;
  }

  // ---- Inspection (the simulator and the checker) -------------------------

  hardState(): HardState {
    return this.cache.hardState;
  }

  durableHardState(): HardState {
    return this.durable.hardState;
  }

  /**
   * Whether the durable view holds the entry (index, term): on the platter, or
   * compacted into a durable snapshot (which holds only committed entries).
   */
  durablyHolds(index: number, term: number): boolean {
    const snap = this.durable.snapshot.metadata;
    if (index < snap.index) return true;
    if (index === snap.index) return snap.term === term;
    return this.durable.entries[index - snap.index - 1]?.term === term;
  }

  /** The durable log's last index (its snapshot's if it has no entries after it). */
  durableLastIndex(): number {
    return this.durable.snapshot.metadata.index + this.durable.entries.length;
  }

  /** The entry at `index` in the cached view, or undefined if compacted or absent. */
  entryAt(index: number): Entry | undefined {
    return this.cache.entries[index - this.cache.snapshot.metadata.index - 1];
  }

  /** The cached log after the snapshot (do not mutate). */
  logEntries(): readonly Entry[] {
    return this.cache.entries;
  }

  hasUnsynced(): boolean {
    return this.pending.length > 0;
  }

  // ---- Write side (the shell) ---------------------------------------------

  /**
   * Writes into the cache; durable only after sync(). Returns the number of
   * writes made so far, which sync() takes to make durable only up to here.
   */
  write(w: Write): number {
    if (w.hardState === undefined && w.entries.length === 0 && w.snapshot === undefined) {
      return this.written;
    }
    applyWrite(this.cache, w);
    this.pending.push(w);
    return ++this.written;
  }

  /**
   * fsync: every write so far becomes durable, or (with `through`, a number
   * write() returned) the writes up to that one. A pipelined shell completes
   * each Ready's write in turn: the acknowledgements of one are judged
   * against the disk as that write left it, the point of this node's history
   * they speak for, even when later writes (a new term, a truncation) are in
   * the cache already (a real fsync may have made those durable too; that is
   * a later point of the same history, as if the ack had been delayed).
   */
  sync(through?: number): void {
    const n =
      through === undefined
        ? this.pending.length
        : Math.max(0, this.pending.length - (this.written - through));
    for (let k = 0; k < n; k++) applyWrite(this.durable, this.pending[k] as Write);
    this.pending = this.pending.slice(n);
  }

  /**
   * Records a snapshot of the state machine at `index` (which must be applied,
   * hence in the log) and compacts the log through it. Like a WAL snapshot
   * record, it is fsynced, which also makes every earlier write durable.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.sync();
    const term = this.term(index);
    const snap: Snapshot = { metadata: { index, term, confState }, data };
    for (const d of [this.cache, this.durable]) {
      const base = d.snapshot.metadata.index;
      if (index <= base) continue;
      const keepFrom = index - base; // entries[keepFrom] has index `index + 1`
      d.entries = keepFrom >= d.entries.length ? [] : d.entries.slice(keepFrom);
      d.snapshot = snap;
    }
    return snap;
  }

  /**
   * Power loss: the cache is lost. With `torn`, a random prefix of the unsynced
   * writes made it to disk anyway (a WAL is written in order, so only a prefix).
   * Returns how many unsynced writes survived.
   */
  crash(torn: Rng | undefined): number {
    let survived = 0;
    if (torn !== undefined && this.pending.length > 0) {
      survived = torn.int(0, this.pending.length + 1);
      for (let k = 0; k < survived; k++) applyWrite(this.durable, this.pending[k] as Write);
    }
    this.pending = [];
    this.cache = cloneDisk(this.durable);
    return survived;
  }
}
