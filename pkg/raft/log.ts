// The Raft log as the core sees it: the durable part lives in Storage (read
// only from here), the not-yet-persisted tail and a received-but-not-yet-
// persisted snapshot live in Unstable. Modelled on etcd's raftLog/unstable:
// the core appends to Unstable, hands those entries out in a Ready (marking
// them in progress, so a later Ready does not hand them out again while their
// write is still running), and only after the shell has persisted them
// (RawNode.persisted) marks them stable.
import type { Entry, Snapshot } from './types.js';
import type { Storage } from './storage/storage.js';
import { CompactedError, UnavailableError } from './storage/storage.js';

/** Bytes an entry counts for when batching (only the payload matters to us). */
export function entrySize(e: Entry): number {
  return e.data.byteLength;
}

/**
 * Entries and an optional snapshot not yet written to storage. `entries[i]`
 * has index `offset + i`. A pending snapshot always precedes the entries.
 */
export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;
  /**
   * Entries up to this index were handed to the shell to persist and are
   * being written (etcd's offsetInProgress - 1). Always in [offset - 1, last].
   */
  inProgress: number;
  /** The pending snapshot was handed to the shell to persist. */
  snapshotInProgress = false;

  constructor(offset: number) {
    this.offset = offset;
    this.inProgress = offset - 1;
  }

  /** Entries not yet handed to the shell. */
  notInProgress(): Entry[] {
    return this.entries.slice(this.inProgress + 1 - this.offset);
  }

  hasNotInProgress(): boolean {
    return this.offset + this.entries.length - 1 > this.inProgress;
  }

  /** Everything unstable now was handed to the shell in a Ready. */
  acceptInProgress(): void {
    this.inProgress = this.offset + this.entries.length - 1;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /** First index if a snapshot is pending (everything before it is gone). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && this.snapshot.metadata.index === i
        ? this.snapshot.metadata.term
        : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]?.term;
  }

  /**
   * Entries up to (i, t) are now durable. If the entry at i was replaced
   * meanwhile (a conflicting append while the shell was persisting), the
   * persisted one is stale and the replacement stays unstable.
   */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    this.inProgress = Math.max(this.inProgress, i);
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
    this.inProgress = s.metadata.index;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (!first) return;
    const from = first.index;
    // Entries replaced while being written are handed out again (their
    // replacements), so whatever is in progress stops before them.
    this.inProgress = Math.min(this.inProgress, from - 1);
    if (from === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (from <= this.offset) {
      // Replaces everything unstable (and, once persisted, the storage suffix).
      this.offset = from;
      this.entries = [...ents];
    } else {
      this.entries = [...this.entries.slice(0, from - this.offset), ...ents];
    }
  }

  /** Entries in [lo, hi); the caller guarantees the range is within bounds. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be committed by a quorum. */
  committed: number;
  /** Highest index the shell has applied (acknowledged via advance). */
  applied: number;

  constructor(storage: Storage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * The last index known durable: the log before the unstable tail (0 while a
   * received snapshot is still unstable, since storage then holds an older log).
   */
  lastPersistedIndex(): number {
    if (this.unstable.snapshot) return 0;
    return Math.min(this.lastIndex(), this.unstable.offset - 1);
  }

  /** Term of entry i. Throws CompactedError / UnavailableError outside the log. */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  /** term(i), or 0 if i is outside the log (compacted or not yet there). */
  termOrZero(i: number): number {
    // Checked up front: an append that extends the log asks for the term of an
    // index past the end on every call, and throwing there is costly on the hot path.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return 0;
    try {
      return this.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return 0;
      throw err;
    }
  }

  lastTerm(): number {
    return this.termOrZero(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    // Index 0 is the empty prefix every log shares.
    if (i === 0) return t === 0;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return false;
    try {
      return this.term(i) === t;
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return false;
      throw err;
    }
  }

  /** Raft §5.4.1: is a log ending at (lasti, term) at least as up to date as ours? */
  isUpToDate(lasti: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lasti >= this.lastIndex());
  }

  /**
   * Appends after verifying that entry `index` has term `logTerm` (the MsgApp
   * consistency check). Returns the last index of the new entries, or
   * undefined if the check failed. Conflicting suffixes are replaced; an
   * attempt to replace a committed entry is a safety violation and throws.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    ents: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new Error(
          `raft: entry ${ci} conflicts with committed entry (committed ${this.committed})`,
        );
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (!first) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw new Error(`raft: append after ${first.index - 1} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in ents that is new or conflicts with ours
   * (0 if all are already present). Entries must be contiguous.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term, with that term: the
   * point where two logs may agree, used to skip a whole divergent term per
   * round trip (etcd's findConflictByTerm). An unknown (compacted) term
   * answers (index, 0): "maybe a match".
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      let ours: number;
      try {
        ours = this.term(i);
      } catch (err) {
        if (err instanceof CompactedError || err instanceof UnavailableError) {
          return { index: i, term: 0 };
        }
        throw err;
      }
      if (ours <= term) return { index: i, term: ours };
    }
    return { index: 0, term: 0 };
  }

  commitTo(to: number): void {
    if (to <= this.committed) return;
    if (to > this.lastIndex()) {
      throw new Error(`raft: commit ${to} is beyond last index ${this.lastIndex()}`);
    }
    this.committed = to;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new Error(`raft: applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  /**
   * Entries in [lo, hi) holding at most maxBytes of data (but at least one).
   * Throws CompactedError if lo is below the first index.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1);
    let out: Entry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      out = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      // Storage stopped early for size: don't add unstable entries behind a gap.
      if (out.length < Math.min(hi, off) - lo) return out;
    }
    if (hi > off) {
      out = out.concat(this.unstable.slice(Math.max(lo, off), hi));
    }
    return limitSize(out, maxBytes);
  }

  /**
   * Committed entries after index `after` (what the shell was already handed
   * to apply), at most maxBytes of them (but at least one).
   */
  nextCommittedEntries(after: number, maxBytes: number): Entry[] {
    const lo = Math.max(after + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, maxBytes);
  }

  hasNextCommittedEntries(after: number): boolean {
    return this.committed + 1 > Math.max(after + 1, this.firstIndex());
  }

  /** Replaces the whole log with a snapshot (follower installing InstallSnapshot). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }
}

/** Cuts ents so their data fits in maxBytes, keeping at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = 0;
  for (let i = 0; i < ents.length; i++) {
    size += entrySize(ents[i] as Entry);
    if (i > 0 && size > maxBytes) return ents.slice(0, i);
  }
  return ents;
}
