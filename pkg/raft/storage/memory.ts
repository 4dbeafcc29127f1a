// An in-memory Storage + LogStore (etcd's MemoryStorage): the reference
// implementation of the storage contract, used by unit tests and the
// simulator. "Durable" here means "survives a RawNode being replaced": a
// simulated crash keeps the MemoryStorage and builds a new RawNode on it.
import type { ConfState, Entry, HardState, NodeId, Snapshot } from '../types.js';
import type { LogStore } from './storage.js';
import { CompactedError, UnavailableError } from './storage.js';
import { EntryType } from '../types.js';

export interface MemoryStorageOptions {
  /** Initial voters (as if a snapshot at index 0 recorded them). */
  readonly peers?: readonly NodeId[];
  /** Initial membership; wins over `peers`. */
  readonly confState?: ConfState;
}

const emptyConf: ConfState = { voters: [], learners: [] };

export class MemoryStorage implements LogStore {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot;
  /**
   * ents[0] is a dummy standing for the snapshot's last entry (its index and
   * term), so ents[i] has index snapIndex + i and term(firstIndex - 1) works.
   */
  private ents: Entry[];

  constructor(opts: MemoryStorageOptions = {}) {
    const confState =
      opts.confState ?? (opts.peers ? { voters: [...opts.peers], learners: [] } : emptyConf);
    this.snap = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
    this.ents = [dummy(0, 0)];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(index: number): number {
    const off = this.offset();
    if (index < off) throw new CompactedError(index);
    if (index > this.lastIndex()) throw new UnavailableError(index);
    return (this.ents[index - off] as Entry).term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - off] as Entry;
      size += e.data.byteLength;
      // Always at least one entry, so a huge entry still makes progress.
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  async save(update: {
    hardState?: HardState;
    entries: readonly Entry[];
    snapshot?: Snapshot;
  }): Promise<void> {
    this.saveSync(update);
  }

  /** save() without the promise, for synchronous test drivers. */
  saveSync(update: {
    hardState?: HardState;
    entries: readonly Entry[];
    snapshot?: Snapshot;
  }): void {
    if (update.snapshot) this.applySnapshot(update.snapshot);
    this.append(update.entries);
    if (update.hardState) this.hardState = update.hardState;
  }

  /** Replaces the whole log with a received snapshot (older snapshots are ignored). */
  applySnapshot(s: Snapshot): void {
    if (s.metadata.index <= this.snap.metadata.index) return;
    this.snap = s;
    this.ents = [dummy(s.metadata.index, s.metadata.term)];
  }

  /** Appends entries; an entry at index i replaces everything from i on. */
  append(entries: readonly Entry[]): void {
    const firstNew = entries[0];
    if (!firstNew) return;
    const first = this.firstIndex();
    const lastNew = firstNew.index + entries.length - 1;
    // Entries already compacted into the snapshot are skipped.
    if (lastNew < first) return;
    const ents = firstNew.index < first ? entries.slice(first - firstNew.index) : entries;
    const start = (ents[0] as Entry).index;
    const off = this.offset();
    if (start > this.lastIndex() + 1) {
      throw new Error(
        `memory storage: missing log entries [last ${this.lastIndex()}, append at ${start}]`,
      );
    }
    this.ents = [...this.ents.slice(0, start - off), ...ents];
  }

  async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    return this.createSnapshotSync(index, confState, data);
  }

  /** createSnapshot() without the promise. An out-of-date index returns the current snapshot. */
  createSnapshotSync(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) return this.snap;
    if (index > this.lastIndex()) {
      throw new Error(
        `memory storage: snapshot index ${index} is beyond last index ${this.lastIndex()}`,
      );
    }
    const term = this.term(index);
    this.snap = { metadata: { index, term, confState }, data };
    this.compact(index);
    return this.snap;
  }

  /** Drops entries up to and including index (must be <= lastIndex). */
  compact(index: number): void {
    const off = this.offset();
    if (index <= off) return;
    if (index > this.lastIndex()) {
      throw new Error(`memory storage: compact ${index} is beyond last index ${this.lastIndex()}`);
    }
    const term = this.term(index);
    this.ents = [dummy(index, term), ...this.ents.slice(index - off + 1)];
  }

  async close(): Promise<void> {}
}

function dummy(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}
