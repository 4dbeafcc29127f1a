// What the Raft core reads from stable storage. The core only ever reads
// through this interface; writes are performed by the shell from a Ready
// (see LogStore), so the core stays synchronous and free of I/O.
import type { ConfState, Entry, HardState, Snapshot } from '../types.js';
import { JobctlError, Reason } from '../../util/errors.js';

/** Thrown by entries()/term() for an index that was compacted into a snapshot. */
export class CompactedError extends JobctlError {
  constructor(index: number) {
    super(Reason.Gone, `raft log index ${index} is compacted`);
    this.name = 'CompactedError';
  }
}

/** Thrown by entries()/term() for an index beyond the last stored entry. */
export class UnavailableError extends JobctlError {
  constructor(index: number) {
    super(Reason.Internal, `raft log index ${index} is unavailable`);
    this.name = 'UnavailableError';
  }
}

/**
 * Read access to the durable log. Contract (as etcd's raft.Storage):
 * - entries in [firstIndex(), lastIndex()] are available; firstIndex() is
 *   snapshot.index + 1, so term(firstIndex() - 1) answers the snapshot's term;
 * - entries(lo, hi, maxBytes) returns [lo, hi), at least one entry if any,
 *   stopping before maxBytes of data would be exceeded;
 * - below firstIndex: CompactedError; above lastIndex: UnavailableError;
 * - returned arrays belong to the caller; entries themselves are immutable.
 * Any other error takes the node out of service.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /**
   * The most recent snapshot (index 0 if none yet). May throw
   * UnavailableError while its data is being read back from disk (DiskStorage
   * keeps it there once durable): the caller tries again later.
   */
  snapshot(): Snapshot;
}

export interface SaveOptions {
  /**
   * false: this save need not be durable by itself (a Ready whose mustSync is
   * false: only the commit index moved, which Raft can always learn again).
   * It is written in order with the others and becomes durable with the next
   * synced save (or close); the promise resolves once it is written. Default true.
   */
  readonly sync?: boolean;
}

/**
 * The write side, used by the shell (never by the core). Durable
 * implementations make `save` resolve only after fsync; several saves issued
 * while one fsync is in flight share the next one (group commit).
 */
export interface LogStore extends Storage {
  /**
   * Persists hard state and entries (entries may overwrite a conflicting suffix:
   * an entry at index i truncates everything from i on), and installs a
   * received snapshot (discarding the log it covers). After the promise
   * resolves, all of it survives a crash.
   */
  save(
    update: {
      hardState?: HardState;
      entries: readonly Entry[];
      snapshot?: Snapshot;
    },
    opts?: SaveOptions,
  ): Promise<void>;
  /** Records a snapshot of the state machine taken at `index` and drops the log up to it. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot>;
  /**
   * Optional: createSnapshot with the data given in pieces, written as they
   * come, so that it is never held whole in memory. If `pieces` throws,
   * nothing is recorded and the error is passed on. Resolves to the data's
   * length (0 when `index` is not newer than the snapshot held: nothing done).
   */
  createSnapshotFrom?(
    index: number,
    confState: ConfState,
    pieces: AsyncIterable<Uint8Array>,
  ): Promise<number>;
  /** Releases files and handles. */
  close(): Promise<void>;
}
