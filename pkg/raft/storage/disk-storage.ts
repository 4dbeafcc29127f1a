// DiskStorage: the durable LogStore. Hard state and entries go to a segmented,
// CRC-checked write-ahead log (wal.ts) with group commit; snapshots go to
// their own files (snapshot-file.ts). Of the entries since the snapshot, the
// newest (logMemoryBytes of data) are also kept in memory, so the synchronous
// Storage reads the Raft core makes in steady state (the last entries, to send
// and to apply) never touch the disk; older ones are read back from the WAL
// (wal-backed-log.ts).
//
// Layout of the data directory:
//   LOCK                          pid of the owning process (lock.ts)
//   wal/0000000000000001.wal ...  segments, appended to in order
//   snap/<index>-<term>.snap      the newest two snapshots
//
// In-memory state changes when save() is *called*, in call order, so reads
// always agree with the order records reach the WAL; the promise tells the
// caller when that state is durable.
import { dirname, join } from 'node:path';
import type { ConfState, Entry, HardState, Snapshot } from '../types.js';
import type { WalMetricsSink } from '../metrics.js';
import { JobctlError, Reason } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { CompactedError, UnavailableError } from './storage.js';
import type { LogStore, SaveOptions } from './storage.js';
import { StorageClosedError, StorageFailedError } from './errors.js';
import { errnoCode, nodeFs, syncDir } from './fs.js';
import type { StorageFs } from './fs.js';
import { acquireLock } from './lock.js';
import type { DirLock } from './lock.js';
import type { WalRecord } from './record.js';
import { recover } from './recovery.js';
import {
  decodeSnapshot,
  snapshotFileName,
  streamSnapshotFile,
  writeSnapshotFile,
} from './snapshot-file.js';
import type { SnapshotFileName } from './snapshot-file.js';
import { Wal } from './wal.js';
import { segmentPath } from './segment.js';
import { WalBackedLog } from './wal-backed-log.js';
import type { WalBackedLogStats, WalPlace } from './wal-backed-log.js';

/** What the WAL logs: warnings (torn tails, truncations), and info when given. */
export type StorageLogger = Pick<Logger, 'warn'> & Partial<Pick<Logger, 'info'>>;

export interface DiskStorageOptions {
  /** The data directory; created if missing. */
  readonly dir: string;
  readonly logger?: StorageLogger;
  /** A new WAL segment starts once the current one would exceed this. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** File-system calls (default node:fs/promises); tests inject faults here. */
  readonly fs?: StorageFs;
  /** Monitoring of WAL writes (fsync latency); default none. */
  readonly metrics?: WalMetricsSink;
  /**
   * Entry data of the newest written entries kept in memory; older entries
   * are read back from the WAL when Raft asks for them (a follower far
   * behind, a replay after restart). Default 8 MiB.
   */
  readonly logMemoryBytes?: number;
}

export interface DiskStorageStats {
  /** fdatasync calls on WAL segments: one per group-commit batch. */
  readonly fsyncs: number;
  readonly saves: number;
  readonly batches: number;
  readonly bytesWritten: number;
  readonly segments: number;
  readonly snapshotsWritten: number;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * A follower a few seconds behind at a thousand writes a second is still
 * served from memory; the log beyond (up to a quarter of the state, see
 * RaftNode's snapshotLogRatio) stays on disk only.
 */
export const DEFAULT_LOG_MEMORY_BYTES = 8 * 1024 * 1024;
/** Snapshot files kept; the older one is the fallback if the newest is damaged. */
const SNAPSHOTS_KEPT = 2;

const stderrLogger: StorageLogger = {
  warn: (message) => console.warn(message),
};

export class DiskStorage implements LogStore {
  readonly dir: string;
  private readonly fs: StorageFs;
  private readonly logger: StorageLogger;
  private readonly snapDir: string;
  private readonly wal: Wal;
  private readonly lock: DirLock;
  private hardState: HardState;
  /**
   * The newest snapshot. Once its file is durable its data is dropped from
   * memory (`snapData === 'on disk'`): it is as large as the whole state, and
   * only a follower too far behind ever needs it again; snapshot() then reads
   * it back from the file.
   */
  private snap: Snapshot;
  private snapData: 'in memory' | 'on disk' = 'in memory';
  /** The read-back of the newest snapshot's data, while in flight. */
  private snapLoading: Promise<void> | undefined;
  /** Entries snap.index+1 .. lastIndex: terms and WAL places, the newest also in memory. */
  private readonly log: WalBackedLog;
  /** Snapshot files on disk, newest first. */
  private snapFiles: SnapshotFileName[];
  /** Serializes snapshot file writes and their pruning. */
  private snapChain: Promise<unknown> = Promise.resolve();
  private snapshotsWritten = 0;
  private closed = false;

  private constructor(
    opts: DiskStorageOptions,
    init: {
      fs: StorageFs;
      logger: StorageLogger;
      wal: Wal;
      lock: DirLock;
      hardState: HardState;
      snapshot: Snapshot;
      log: WalBackedLog;
      snapFiles: SnapshotFileName[];
    },
  ) {
    this.dir = opts.dir;
    this.snapDir = join(opts.dir, 'snap');
    this.fs = init.fs;
    this.logger = init.logger;
    this.wal = init.wal;
    this.lock = init.lock;
    this.hardState = init.hardState;
    this.snap = init.snapshot;
    this.log = init.log;
    this.snapFiles = init.snapFiles;
  }

  /**
   * Opens (or creates) the storage in opts.dir: takes the lock, loads the
   * newest valid snapshot, replays the WAL (truncating a torn tail with a
   * warning) and refuses with a StorageCorruptError if acknowledged data is damaged.
   */
  static async open(opts: DiskStorageOptions): Promise<DiskStorage> {
    const fs = opts.fs ?? nodeFs;
    const logger = opts.logger ?? stderrLogger;
    const warn = (m: string): void => logger.warn(m);
    const walDir = join(opts.dir, 'wal');
    const snapDir = join(opts.dir, 'snap');
    await fs.mkdir(walDir);
    await fs.mkdir(snapDir);
    // Make the directories themselves durable (they may have just been
    // created): segment fsyncs only cover entries inside wal/.
    await syncDir(fs, dirname(opts.dir));
    await syncDir(fs, opts.dir);
    const lock = await acquireLock(fs, opts.dir, warn);
    try {
      const rec = await recover({ fs, walDir, snapDir, warn });
      const wal = new Wal({
        fs,
        walDir,
        segmentBytes: opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        segments: rec.segments,
        file: rec.file,
        size: rec.size,
        hardState: rec.hardState,
        ...(opts.metrics ? { metrics: opts.metrics } : {}),
      });
      const log = new WalBackedLog(
        rec.snapshot.metadata.index,
        opts.logMemoryBytes ?? DEFAULT_LOG_MEMORY_BYTES,
        {
          read: (seq, start, end) => fs.readAtSync(segmentPath(walDir, seq), start, end - start),
          path: (seq) => segmentPath(walDir, seq),
        },
      );
      log.append(rec.entries);
      for (const [i, e] of rec.entries.entries()) log.written(e, rec.places[i] as WalPlace);
      return new DiskStorage(opts, {
        fs,
        logger,
        wal,
        lock,
        hardState: rec.hardState,
        snapshot: rec.snapshot,
        log,
        snapFiles: rec.snapshotFiles,
      });
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  // -------------------------------------------------------------------------
  // Storage: synchronous reads from memory.

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  /** Reads entries older than the ones held in memory back from the WAL. */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (lo >= hi) return [];
    return this.log.entries(lo, hi, maxBytes);
  }

  term(index: number): number {
    const base = this.snap.metadata.index;
    if (index === base) return this.snap.metadata.term;
    if (index < base) throw new CompactedError(index);
    if (index > this.lastIndex()) throw new UnavailableError(index);
    return this.log.term(index);
  }

  firstIndex(): number {
    return this.snap.metadata.index + 1;
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  /**
   * The newest snapshot. When its data has been dropped from memory this
   * starts reading it back and throws UnavailableError (raft tries again
   * later, as with etcd's ErrSnapshotTemporarilyUnavailable).
   */
  snapshot(): Snapshot {
    if (this.snapData === 'in memory') return this.snap;
    this.readBackSnapshot();
    throw new UnavailableError(this.snap.metadata.index);
  }

  /** Reads the newest snapshot's data back from its file, once at a time. */
  private readBackSnapshot(): void {
    if (this.snapLoading) return;
    const { index, term } = this.snap.metadata;
    const file = { name: snapshotFileName(index, term), index, term };
    this.snapLoading = (async () => {
      try {
        const read = decodeSnapshot(await this.fs.readFile(join(this.snapDir, file.name)), file);
        // A newer snapshot may have come meanwhile: then this one is not wanted.
        if (this.snap.metadata.index === index && this.snapData === 'on disk') {
          this.snap = { metadata: this.snap.metadata, data: read.data };
          this.snapData = 'in memory';
        }
      } catch (err) {
        this.logger.warn(`snap: could not read back ${file.name}: ${String(err)}`);
      } finally {
        this.snapLoading = undefined;
      }
    })();
  }

  /** `snapshot` (the newest) is durable: its data need not stay in memory. */
  private dropSnapshotData(snapshot: Snapshot): void {
    if (this.snap !== snapshot) return;
    this.snap = { metadata: snapshot.metadata, data: new Uint8Array() };
    this.snapData = 'on disk';
  }

  // -------------------------------------------------------------------------
  // LogStore: durable writes.

  save(
    update: {
      hardState?: HardState;
      entries: readonly Entry[];
      snapshot?: Snapshot;
    },
    opts: SaveOptions = {},
  ): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const records: WalRecord[] = [];
    let barrier: Promise<void> | undefined;
    // As in MemoryStorage, a snapshot no newer than ours is ignored (raft
    // never sends one, and installing it would move the log backwards).
    const snapshot =
      update.snapshot && update.snapshot.metadata.index > this.snap.metadata.index
        ? update.snapshot
        : undefined;
    try {
      this.checkAppend(update.entries, snapshot?.metadata.index ?? this.lastIndex());
    } catch (err) {
      return Promise.reject(err);
    }
    if (snapshot) {
      // The file must be durable before the WAL record that refers to it.
      barrier = this.persistSnapshot(snapshot);
      barrier.then(
        () => this.dropSnapshotData(snapshot),
        () => undefined, // the WAL flush reports the failure
      );
      this.snap = snapshot;
      this.snapData = 'in memory';
      this.log.reset(snapshot.metadata.index);
      records.push({
        type: 'snapshot',
        index: snapshot.metadata.index,
        term: snapshot.metadata.term,
      });
    }
    this.log.append(update.entries);
    for (const entry of update.entries) {
      if (entry.index > this.snap.metadata.index) records.push({ type: 'entry', entry });
    }
    if (update.hardState) {
      this.hardState = update.hardState;
      records.push({ type: 'hardState', hardState: update.hardState });
    }
    // A snapshot is always synced: the WAL record refers to its file.
    const done = this.wal.append(
      records,
      barrier,
      opts.sync !== false || snapshot !== undefined,
      (seq, positions) => this.noteWritten(records, seq, positions),
    );
    return snapshot ? done.then(() => this.compactWal()) : done;
  }

  async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    const refused = this.refusal();
    if (refused) throw refused;
    // Out of date (e.g. a snapshot from the leader overtook us): nothing to
    // do, answered like MemoryStorage with the snapshot we already have.
    if (index <= this.snap.metadata.index) return this.snap;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const snapshot: Snapshot = { metadata: { index, term: this.term(index), confState }, data };
    await this.persistSnapshot(snapshot);
    // Compact memory only now: until the file is durable the entries are the
    // only copy. (A snapshot from the leader may have overtaken us meanwhile.)
    if (index > this.snap.metadata.index) {
      this.log.compactTo(index);
      this.snap = snapshot;
      this.snapData = 'in memory';
      this.dropSnapshotData(snapshot);
    }
    await this.compactWal();
    return snapshot;
  }

  /**
   * createSnapshot with the data written to the file piece by piece, as it is
   * produced: a snapshot is as large as the state, and collecting it first
   * held it twice while it was copied into one array. The file is written
   * under a temporary name outside the one-at-a-time snapshot chain (a
   * snapshot from the leader is not held up behind a slow encoding) and only
   * renamed into place in it. If `pieces` throws, nothing is installed and
   * the error is passed on. Resolves to the data's length (0: out of date,
   * nothing written).
   */
  async createSnapshotFrom(
    index: number,
    confState: ConfState,
    pieces: AsyncIterable<Uint8Array>,
  ): Promise<number> {
    const refused = this.refusal();
    if (refused) throw refused;
    if (index <= this.snap.metadata.index) return 0;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const metadata = { index, term: this.term(index), confState };
    const name = snapshotFileName(index, metadata.term);
    const tmp = join(this.snapDir, `${name}.stream.tmp`);
    let bytes: number;
    try {
      bytes = await streamSnapshotFile(this.fs, tmp, metadata, pieces);
    } catch (err) {
      await this.removeQuietly(tmp);
      throw err;
    }
    await this.installSnapshotFile(metadata, async () => {
      await this.fs.rename(tmp, join(this.snapDir, name));
      await syncDir(this.fs, this.snapDir);
    });
    // As createSnapshot: compact memory only once the file is durable (a
    // snapshot from the leader may have overtaken this one meanwhile).
    if (index > this.snap.metadata.index) {
      this.log.compactTo(index);
      this.snap = { metadata, data: new Uint8Array() };
      this.snapData = 'on disk';
    }
    await this.compactWal();
    return bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.wal.close();
      await this.snapChain.catch(() => undefined);
    } finally {
      await this.lock.release();
    }
  }

  /** The log's size, what of it is held in memory, and how much was read back from the WAL. */
  logStats(): WalBackedLogStats {
    return this.log.stats();
  }

  /** Counters for tests and metrics. */
  stats(): DiskStorageStats {
    const w = this.wal.stats;
    return {
      fsyncs: w.fsyncs,
      saves: w.appends,
      batches: w.batches,
      bytesWritten: w.bytesWritten,
      segments: this.wal.segmentCount(),
      snapshotsWritten: this.snapshotsWritten,
    };
  }

  // -------------------------------------------------------------------------

  private refusal(): JobctlError | undefined {
    if (this.wal.failed) return this.wal.failed;
    if (this.closed) return new StorageClosedError(this.dir);
    return undefined;
  }

  /** Entries must be contiguous and attach to the log, whose last index is `last`. */
  private checkAppend(entries: readonly Entry[], last: number): void {
    const first = entries[0];
    if (!first) return;
    if (first.index > last + 1) {
      throw new JobctlError(
        Reason.Internal,
        `storage: entry ${first.index} does not attach to the log (last index ${last})`,
      );
    }
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as Entry).index !== first.index + i) {
        throw new JobctlError(Reason.Internal, `storage: entries to save are not contiguous`);
      }
    }
  }

  /** The records of one save are written at `positions` of segment `seq`. */
  private noteWritten(
    records: readonly WalRecord[],
    seq: number,
    positions: readonly number[],
  ): void {
    for (const [i, r] of records.entries()) {
      if (r.type === 'entry') this.log.written(r.entry, { seq, start: positions[i] as number });
    }
  }

  /** Writes a snapshot file and prunes old ones, one at a time. Fails the storage on error. */
  private persistSnapshot(snapshot: Snapshot): Promise<void> {
    return this.installSnapshotFile(snapshot.metadata, () =>
      writeSnapshotFile(this.fs, this.snapDir, snapshot),
    );
  }

  /**
   * Puts the file of the snapshot `metadata` describes in place with `write`
   * and prunes old ones, one at a time. Fails the storage on error.
   */
  private installSnapshotFile(
    metadata: Snapshot['metadata'],
    write: () => Promise<unknown>,
  ): Promise<void> {
    const run = async (): Promise<void> => {
      const refused = this.wal.failed;
      if (refused) throw refused;
      try {
        await write();
      } catch (err) {
        const failure = new StorageFailedError('snap', this.snapDir, err);
        this.wal.fail(failure);
        throw this.wal.failed;
      }
      this.snapshotsWritten++;
      const { index, term } = metadata;
      const name = snapshotFileName(index, term);
      this.snapFiles = [
        { name, index, term },
        ...this.snapFiles.filter((f) => f.name !== name),
      ].sort((a, b) => b.index - a.index || b.term - a.term);
      const old = this.snapFiles.splice(SNAPSHOTS_KEPT);
      for (const f of old) await this.removeQuietly(join(this.snapDir, f.name));
    };
    const p = this.snapChain.then(run, run);
    this.snapChain = p.catch(() => undefined);
    return p;
  }

  /**
   * Deletes WAL segments wholly covered by the *older* kept snapshot, so that
   * if the newest snapshot file is ever found damaged, the older one plus the
   * remaining log still recover everything. Failures here lose nothing
   * (the segments are merely kept), so they are only logged.
   */
  private async compactWal(): Promise<void> {
    const keep = this.snapFiles[SNAPSHOTS_KEPT - 1] ?? this.snapFiles[0];
    if (!keep) return;
    try {
      await this.wal.deleteSegmentsThrough(keep.index);
    } catch (err) {
      this.logger.warn(`wal: could not delete old segments in ${this.dir}/wal: ${String(err)}`);
    }
  }

  private async removeQuietly(path: string): Promise<void> {
    try {
      await this.fs.unlink(path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT')
        this.logger.warn(`snap: could not delete ${path}: ${String(err)}`);
    }
  }
}
