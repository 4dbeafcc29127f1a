// The WAL writer: appends frames to the current segment with group commit.
//
// Every append() joins a queue. One flush at a time takes the whole queue,
// writes it with a single write() and makes it durable with a single
// fdatasync(); appends arriving meanwhile wait for the next flush. So N
// concurrent appends cost about two fsyncs, not N, and each promise resolves
// only once its bytes are on stable storage. An append that need not be
// durable by itself (sync false: Raft's commit index alone) is written but
// not fsynced; the next synced batch, a segment roll or close() covers it.
import { noopWalMetrics, type WalMetricsSink } from '../metrics.js';
import type { HardState } from '../types.js';
import { StorageClosedError, StorageFailedError } from './errors.js';
import { syncDir, writeAll } from './fs.js';
import type { StorageFile, StorageFs } from './fs.js';
import { encodeFrame } from './record.js';
import type { WalRecord } from './record.js';
import { segmentPath } from './segment.js';

export interface SegmentInfo {
  readonly seq: number;
  readonly path: string;
  /** Highest entry index written to this segment (0 if none). */
  maxIndex: number;
}

export interface WalOptions {
  readonly fs: StorageFs;
  readonly walDir: string;
  readonly segmentBytes: number;
  /** Recovered segments, ascending; the last one is appended to. */
  readonly segments: SegmentInfo[];
  /** Open handle on the last segment and its size, if there is one. */
  readonly file: StorageFile | undefined;
  readonly size: number;
  /** The durable hard state; written at the head of every new segment. */
  readonly hardState: HardState;
  /** Write + fdatasync latency of each batch (monitoring). */
  readonly metrics?: WalMetricsSink;
}

export interface WalStats {
  /** fdatasync calls on segments (one per flushed batch). */
  fsyncs: number;
  /** append() calls. */
  appends: number;
  /** Flushed batches. */
  batches: number;
  bytesWritten: number;
}

/**
 * Told where an appended frame was written, once it is: the segment's
 * sequence number, and each record's byte offset within that segment.
 */
export type OnWritten = (seq: number, recordPositions: readonly number[]) => void;

interface Pending {
  readonly frame: Uint8Array | undefined;
  /** Offsets of the frame's records within the frame (when onWritten is set). */
  readonly recordStarts: readonly number[] | undefined;
  readonly onWritten: OnWritten | undefined;
  readonly maxIndex: number;
  readonly hardState: HardState | undefined;
  /** Must resolve before this frame may be written (a snapshot file it refers to). */
  readonly barrier: Promise<void> | undefined;
  /** Resolve only after fdatasync (false: once written). */
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class Wal {
  readonly stats: WalStats = { fsyncs: 0, appends: 0, batches: 0, bytesWritten: 0 };
  private readonly fs: StorageFs;
  private readonly walDir: string;
  private readonly segmentBytes: number;
  private readonly segments: SegmentInfo[];
  private file: StorageFile | undefined;
  private size: number;
  /** Hard state as of the frames written so far (the header of the next segment). */
  private writtenHardState: HardState;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: StorageFailedError | undefined;
  private closed = false;
  /** Bytes written to the current segment since its last fdatasync. */
  private unsynced = false;
  private readonly metrics: WalMetricsSink;

  constructor(opts: WalOptions) {
    this.fs = opts.fs;
    this.walDir = opts.walDir;
    this.segmentBytes = opts.segmentBytes;
    this.segments = opts.segments;
    this.file = opts.file;
    this.size = opts.size;
    this.writtenHardState = opts.hardState;
    this.metrics = opts.metrics ?? noopWalMetrics;
  }

  /** The error that failed the WAL, if any: every later append rejects with it. */
  get failed(): StorageFailedError | undefined {
    return this.failure;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Appends records (possibly none: then it just waits for everything queued
   * before it to be durable). Resolves after fdatasync, or with `sync` false
   * once written (durable with the next synced append, roll or close).
   * `onWritten` learns where the records were written, before the promise
   * resolves, and only if the write succeeded.
   */
  append(
    records: readonly WalRecord[],
    barrier?: Promise<void>,
    sync = true,
    onWritten?: OnWritten,
  ): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new StorageClosedError(this.walDir));
    this.stats.appends++;
    let maxIndex = 0;
    let hardState: HardState | undefined;
    for (const r of records) {
      if (r.type === 'entry') maxIndex = Math.max(maxIndex, r.entry.index);
      else if (r.type === 'hardState') hardState = r.hardState;
    }
    const recordStarts = onWritten && records.length > 0 ? [] : undefined;
    const frame = records.length > 0 ? encodeFrame(records, recordStarts) : undefined;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        frame,
        recordStarts,
        onWritten,
        maxIndex,
        hardState,
        barrier,
        sync,
        resolve,
        reject,
      });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Marks the WAL failed (also used when a snapshot write fails). */
  fail(err: StorageFailedError): void {
    if (!this.failure) this.failure = err;
  }

  /**
   * Deletes the oldest segments whose entries are all <= index. The current
   * segment is never deleted, and neither is anything after a segment that
   * must stay, so the remaining segments are always a contiguous suffix.
   */
  async deleteSegmentsThrough(index: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const oldest = this.segments[0];
      if (!oldest || this.segments.length < 2 || oldest.maxIndex > index) break;
      this.segments.shift();
      await this.fs.unlink(oldest.path);
      // One directory fsync per unlink keeps "a contiguous suffix" true even
      // across a crash: a later unlink can't persist while an earlier one doesn't.
      await syncDir(this.fs, this.walDir);
      deleted++;
    }
    return deleted;
  }

  /** Waits for queued appends, then closes the current segment. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    try {
      if (this.unsynced && !this.failure) await file.datasync();
      this.unsynced = false;
    } finally {
      await file.close();
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.failure) {
          for (const p of batch) p.reject(this.failure);
          continue;
        }
        try {
          await this.writeBatch(batch);
        } catch (err) {
          this.fail(
            err instanceof StorageFailedError
              ? err
              : new StorageFailedError('wal', this.walDir, err),
          );
          for (const p of batch) p.reject(this.failure);
          continue;
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: readonly Pending[]): Promise<void> {
    for (const p of batch) if (p.barrier) await p.barrier;
    if (this.failure) throw this.failure;
    const frames: Uint8Array[] = [];
    let bytes = 0;
    let maxIndex = 0;
    let hardState: HardState | undefined;
    let sync = false;
    for (const p of batch) {
      sync ||= p.sync;
      if (p.frame) {
        frames.push(p.frame);
        bytes += p.frame.length;
      }
      maxIndex = Math.max(maxIndex, p.maxIndex);
      hardState = p.hardState ?? hardState;
    }
    if (frames.length === 0) {
      // Only waiters: everything before them is written; make it durable.
      if (sync) await this.syncUnsynced();
      return;
    }
    if (!this.file || (this.size > 0 && this.size + bytes > this.segmentBytes)) await this.roll();
    // A segment must begin with the hard state, so that deleting older
    // segments never loses it (an empty segment can also be a torn-away one).
    let headerBytes = 0;
    if (this.size === 0) {
      const header = encodeFrame([{ type: 'hardState', hardState: this.writtenHardState }]);
      frames.unshift(header);
      headerBytes = header.length;
      bytes += headerBytes;
    }
    const buf = frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames, bytes);
    const file = this.file as StorageFile;
    const started = performance.now();
    const at = this.size;
    await writeAll(file, buf, at);
    this.size += buf.length;
    this.stats.bytesWritten += buf.length;
    this.stats.batches++;
    this.unsynced = true;
    if (sync) {
      await file.datasync();
      this.unsynced = false;
      this.metrics.fsynced((performance.now() - started) / 1000, buf.length);
      this.stats.fsyncs++;
    }
    const current = this.segments[this.segments.length - 1];
    if (current) current.maxIndex = Math.max(current.maxIndex, maxIndex);
    if (hardState) this.writtenHardState = hardState;
    if (current) tellWhereWritten(batch, current.seq, at + headerBytes);
  }

  /** fdatasync of what unsynced appends left in the current segment, if anything. */
  private async syncUnsynced(): Promise<void> {
    if (!this.unsynced || !this.file) return;
    await this.file.datasync();
    this.unsynced = false;
    this.stats.fsyncs++;
  }

  /** Seals the current segment (fsynced first if unsynced appends wrote to it) and starts the next one. */
  private async roll(): Promise<void> {
    await this.syncUnsynced();
    const last = this.segments[this.segments.length - 1];
    const seq = last ? last.seq + 1 : 1;
    const path = segmentPath(this.walDir, seq);
    const file = await this.fs.open(path, 'wx');
    const old = this.file;
    this.file = file;
    this.size = 0;
    this.segments.push({ seq, path, maxIndex: 0 });
    if (old) await old.close();
    // The new name must be durable before anything in it is acknowledged.
    await syncDir(this.fs, this.walDir);
  }
}

/**
 * Tells each append of a written batch where its records are: the batch's
 * frames lie back to back in segment `seq` from `firstFrameAt` on (after the
 * segment's header frame, if this batch began the segment).
 */
function tellWhereWritten(batch: readonly Pending[], seq: number, firstFrameAt: number): void {
  let at = firstFrameAt;
  for (const p of batch) {
    if (!p.frame) continue;
    if (p.onWritten && p.recordStarts) {
      const frameAt = at;
      p.onWritten(
        seq,
        p.recordStarts.map((s) => frameAt + s),
      );
    }
    at += p.frame.length;
  }
}
