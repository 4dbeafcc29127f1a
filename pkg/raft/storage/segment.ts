// WAL segment files: naming and the recovery scan of one segment.
// Segments are named by a sequence number (16 hex digits, so names sort in
// order) and are only ever appended to; a new one starts when the current one
// reaches segmentBytes.
import { join } from 'node:path';
import { StorageCorruptError } from './errors.js';
import { findValidFrame, readFrame } from './record.js';
import type { WalRecord } from './record.js';

const SEGMENT_RE = /^([0-9a-f]{16})\.wal$/;

export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal`;
}

/** The sequence number of a segment file name, or undefined for other files. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m?.[1] === undefined ? undefined : parseInt(m[1], 16);
}

/** Segment sequence numbers present in dir, ascending. */
export function listSegments(names: readonly string[]): number[] {
  const seqs: number[] = [];
  for (const name of names) {
    const seq = parseSegmentName(name);
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}

export function segmentPath(walDir: string, seq: number): string {
  return join(walDir, segmentName(seq));
}

export interface ScannedFrame {
  readonly offset: number;
  readonly records: WalRecord[];
  /** Where each record begins in the segment. */
  readonly starts: number[];
}

export interface SegmentScan {
  readonly frames: ScannedFrame[];
  /** Bytes of valid frames; the file is cut here if a torn tail was found. */
  readonly validBytes: number;
  /** Set when the last segment ends in a torn or corrupt frame with nothing valid after it. */
  readonly tornTail?: { readonly offset: number; readonly reason: string };
}

/**
 * Verifies every frame of one segment. A bad frame is forgiven only at the
 * tail of the last segment (a write the crash interrupted, never acknowledged);
 * anywhere else it means acknowledged data is damaged, so we refuse to start
 * rather than silently serve a log with a hole in it.
 */
export function scanSegment(path: string, buf: Uint8Array, isLast: boolean): SegmentScan {
  const frames: ScannedFrame[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const res = readFrame(buf, offset);
    if (res.ok) {
      frames.push({ offset, records: res.records, starts: res.starts });
      offset = res.next;
      continue;
    }
    if (!isLast) {
      throw new StorageCorruptError(
        `wal: corrupt record at ${path} offset ${offset} (${res.reason}) in a sealed segment; refusing to start`,
        path,
        offset,
      );
    }
    const later = findValidFrame(buf, offset + 1);
    if (later >= 0) {
      throw new StorageCorruptError(
        `wal: corrupt record at ${path} offset ${offset} (${res.reason}) before the tail ` +
          `(a valid record follows at offset ${later}); refusing to start`,
        path,
        offset,
      );
    }
    return { frames, validBytes: offset, tornTail: { offset, reason: res.reason } };
  }
  return { frames, validBytes: offset };
}
