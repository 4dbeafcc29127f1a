// Recovery on open: newest valid snapshot, then every WAL segment replayed on
// top of it. Pure bookkeeping apart from reading files and truncating a torn
// tail; the result seeds DiskStorage's in-memory state and the WAL writer.
import { join } from 'node:path';
import type { Entry, HardState, Snapshot } from '../types.js';
import { StorageCorruptError } from './errors.js';
import { errnoCode } from './fs.js';
import type { StorageFile, StorageFs } from './fs.js';
import { listSegments, scanSegment, segmentPath } from './segment.js';
import type { SegmentScan } from './segment.js';
import { decodeSnapshot, listSnapshotFiles } from './snapshot-file.js';
import type { SnapshotFileName } from './snapshot-file.js';
import type { SegmentInfo } from './wal.js';
import type { WalPlace } from './wal-backed-log.js';

export const emptySnapshot: Snapshot = {
  metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
  data: new Uint8Array(0),
};

export interface Recovered {
  readonly snapshot: Snapshot;
  /** Snapshot files kept on disk, newest first (the loaded one need not be first). */
  readonly snapshotFiles: SnapshotFileName[];
  readonly hardState: HardState;
  /** Entries after the snapshot, contiguous from snapshot.index + 1. */
  readonly entries: Entry[];
  /** Where each of `entries` lies in the WAL. */
  readonly places: WalPlace[];
  readonly segments: SegmentInfo[];
  /** The last segment, open for appending, and its (possibly truncated) size. */
  readonly file: StorageFile | undefined;
  readonly size: number;
}

export interface RecoverOptions {
  readonly fs: StorageFs;
  readonly walDir: string;
  readonly snapDir: string;
  readonly warn: (message: string) => void;
}

export async function recover(opts: RecoverOptions): Promise<Recovered> {
  const { fs, walDir, snapDir, warn } = opts;
  const { snapshot, snapshotFiles, skipped, skippedNames } = await loadSnapshot(opts);

  // Replay state: the log is `entries`, starting right after `base`.
  const base = snapshot.metadata.index;
  let entries: Entry[] = [];
  let places: WalPlace[] = [];
  let hardState: HardState = { term: 0, vote: 0, commit: 0 };
  const whyMissing =
    skipped.length > 0 ? ` (snapshot ${skipped.join(', ')} could not be used)` : '';

  const seqs = listSegments(await fs.readdir(walDir));
  const segments: SegmentInfo[] = [];
  let file: StorageFile | undefined;
  let size = 0;
  let tail: { path: string; scan: SegmentScan; fileBytes: number } | undefined;
  for (const [i, seq] of seqs.entries()) {
    const path = segmentPath(walDir, seq);
    const prev = seqs[i - 1];
    if (prev !== undefined && prev + 1 !== seq) {
      throw new StorageCorruptError(
        `wal: segment ${segmentPath(walDir, prev + 1)} is missing (found ${path}); refusing to start`,
        path,
        0,
      );
    }
    const isLast = i === seqs.length - 1;
    const buf = await fs.readFile(path);
    const scan = scanSegment(path, buf, isLast);
    const info: SegmentInfo = { seq, path, maxIndex: 0 };
    for (const frame of scan.frames) {
      for (const [j, r] of frame.records.entries()) {
        if (r.type === 'hardState') {
          hardState = r.hardState;
        } else if (r.type === 'snapshot') {
          // A snapshot from the leader replaced the whole log at this point.
          if (r.index > base) {
            throw new StorageCorruptError(
              `wal: ${path} offset ${frame.offset} records snapshot ${r.index} but the newest usable ` +
                `snapshot is ${base}${whyMissing}; refusing to start`,
              path,
              frame.offset,
            );
          }
          entries = [];
          places = [];
        } else {
          const e = r.entry;
          info.maxIndex = Math.max(info.maxIndex, e.index);
          if (e.index <= base) continue; // covered by the snapshot
          const last = base + entries.length;
          if (e.index > last + 1) {
            throw new StorageCorruptError(
              `wal: log gap at ${path} offset ${frame.offset}: entry ${e.index} follows ${last}` +
                `${whyMissing}; refusing to start`,
              path,
              frame.offset,
            );
          }
          // An entry at index i replaces everything from i on (a conflicting suffix).
          entries.length = e.index - base - 1;
          places.length = entries.length;
          entries.push(e);
          places.push({ seq, start: frame.starts[j] as number });
        }
      }
    }
    segments.push(info);
    if (isLast) tail = { path, scan, fileBytes: buf.length };
  }

  // Only now that the log is known to be usable without them: move damaged
  // snapshots aside (kept for inspection) so retention never counts them.
  for (const name of skippedNames) {
    await fs.rename(join(snapDir, name), join(snapDir, `${name}.corrupt`));
  }

  // Hard state and log are known good; only now touch the WAL files.
  if (tail) {
    file = await fs.open(tail.path, 'r+');
    size = tail.scan.validBytes;
    const torn = tail.scan.tornTail;
    if (torn) {
      warn(
        `wal: truncated torn tail of ${tail.path} at offset ${torn.offset} (${torn.reason}); ` +
          `${tail.fileBytes - size} bytes of an unacknowledged write discarded`,
      );
      try {
        await file.truncate(size);
        await file.datasync();
      } catch (err) {
        await file.close();
        throw err;
      }
    }
  }

  // The snapshot is committed state, even if a crash came between writing its
  // file and the hard state that goes with it. Raising the term drops the vote:
  // no vote in the higher term was ever made durable.
  if (hardState.term < snapshot.metadata.term) {
    hardState = { term: snapshot.metadata.term, vote: 0, commit: hardState.commit };
  }
  if (hardState.commit < base) hardState = { ...hardState, commit: base };

  return { snapshot, snapshotFiles, hardState, entries, places, segments, file, size };
}

/** Newest snapshot that verifies; a damaged one is skipped with a warning. */
async function loadSnapshot(opts: RecoverOptions): Promise<{
  snapshot: Snapshot;
  snapshotFiles: SnapshotFileName[];
  skipped: string[];
  skippedNames: string[];
}> {
  const { fs, snapDir, warn } = opts;
  const names = await fs.readdir(snapDir);
  for (const name of names) {
    // Leftovers of a write the crash interrupted; never renamed, never used.
    if (name.endsWith('.tmp')) await unlinkQuietly(fs, join(snapDir, name));
  }
  const files = listSnapshotFiles(names);
  const skipped: string[] = [];
  const skippedNames: string[] = [];
  for (const f of files) {
    const path = join(snapDir, f.name);
    try {
      const snapshot = decodeSnapshot(await fs.readFile(path), f);
      const usable = files.filter((x) => !skippedNames.includes(x.name));
      return { snapshot, snapshotFiles: usable, skipped, skippedNames };
    } catch (err) {
      if (errnoCode(err) !== undefined) throw err; // an I/O error, not a bad file
      const reason = err instanceof Error ? err.message : String(err);
      warn(`snap: ignoring corrupt snapshot ${path} (${reason}); trying an older one`);
      skipped.push(`${path}: ${reason}`);
      skippedNames.push(f.name);
    }
  }
  return { snapshot: emptySnapshot, snapshotFiles: [], skipped, skippedNames };
}

async function unlinkQuietly(fs: StorageFs, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}
