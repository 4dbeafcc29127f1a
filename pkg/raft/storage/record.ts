// WAL framing. The unit written to disk is a *frame*: one group-commit batch
// of records behind a header with a CRC over the length and the payload.
//
//   frame   = magic u32 | length u32 | crc32(length bytes ++ payload) u32 | payload
//   payload = record*
//   record  = 1 u8 | term f64 | index f64 | entryType u8 | dataLength u32 | data   (entry)
//           | 2 u8 | term f64 | vote f64 | commit f64                              (hard state)
//           | 3 u8 | index f64 | term f64                                         (snapshot installed)
//
// Why a frame per batch rather than a CRC per record: a batch is written by one
// write() and made durable by one fsync, and a crash can persist its pages in
// any order. Checking the batch as a whole makes it atomic, and it means a
// valid frame *after* a bad one can only be there if the bad one had already
// been fsynced, i.e. real corruption rather than a torn write. Recovery relies
// on that to tell the two apart. All integers are little-endian; numbers are
// float64, exact for the safe-integer range Raft terms and indexes live in.
import { crc32 } from 'node:zlib';
import { EntryType } from '../types.js';
import type { Entry, HardState } from '../types.js';

export const FRAME_MAGIC = 0x4c57424a; // "JBWL" read as little-endian bytes
export const FRAME_HEADER_BYTES = 12;
/** Frames larger than this are treated as corrupt lengths, not read. */
export const MAX_FRAME_BYTES = 1 << 30;

const TAG_ENTRY = 1;
const TAG_HARD_STATE = 2;
const TAG_SNAPSHOT = 3;

export type WalRecord =
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  /** A snapshot received from the leader was installed: the log before it is void. */
  | { readonly type: 'snapshot'; readonly index: number; readonly term: number };

function recordBytes(r: WalRecord): number {
  switch (r.type) {
    case 'entry':
      return 22 + r.entry.data.byteLength;
    case 'hardState':
      return 25;
    case 'snapshot':
      return 17;
  }
}

/**
 * Encodes records into one frame, ready to be appended to a segment. With
 * `recordStarts`, the offset of each record within the frame is pushed onto
 * it (DiskStorage remembers where entries lie, to read them back later).
 */
export function encodeFrame(records: readonly WalRecord[], recordStarts?: number[]): Uint8Array {
  let payloadBytes = 0;
  for (const r of records) payloadBytes += recordBytes(r);
  const buf = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  const view = new DataView(buf.buffer);
  let at = FRAME_HEADER_BYTES;
  for (const r of records) {
    recordStarts?.push(at);
    switch (r.type) {
      case 'entry': {
        const e = r.entry;
        view.setUint8(at, TAG_ENTRY);
        view.setFloat64(at + 1, e.term, true);
        view.setFloat64(at + 9, e.index, true);
        view.setUint8(at + 17, e.type === EntryType.ConfChange ? 1 : 0);
        view.setUint32(at + 18, e.data.byteLength, true);
        buf.set(e.data, at + 22);
        at += 22 + e.data.byteLength;
        break;
      }
      case 'hardState': {
        const hs = r.hardState;
        view.setUint8(at, TAG_HARD_STATE);
        view.setFloat64(at + 1, hs.term, true);
        view.setFloat64(at + 9, hs.vote, true);
        view.setFloat64(at + 17, hs.commit, true);
        at += 25;
        break;
      }
      case 'snapshot':
        view.setUint8(at, TAG_SNAPSHOT);
        view.setFloat64(at + 1, r.index, true);
        view.setFloat64(at + 9, r.term, true);
        at += 17;
        break;
    }
  }
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, payloadBytes, true);
  view.setUint32(8, frameCrc(buf, 0, payloadBytes), true);
  return buf;
}

/** crc32 over the length field and the payload that follows the header at `start`. */
function frameCrc(buf: Uint8Array, start: number, payloadBytes: number): number {
  const lengthField = buf.subarray(start + 4, start + 8);
  const payload = buf.subarray(
    start + FRAME_HEADER_BYTES,
    start + FRAME_HEADER_BYTES + payloadBytes,
  );
  return crc32(payload, crc32(lengthField));
}

export type FrameResult =
  | {
      readonly ok: true;
      readonly records: WalRecord[];
      /** Where each record begins in the segment's bytes. */
      readonly starts: number[];
      readonly next: number;
    }
  | { readonly ok: false; readonly reason: string };

/** Reads and verifies the frame starting at `start` of a segment's bytes. */
export function readFrame(buf: Uint8Array, start: number): FrameResult {
  if (buf.length - start < FRAME_HEADER_BYTES) return { ok: false, reason: 'short header' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(start, true) !== FRAME_MAGIC) return { ok: false, reason: 'bad magic' };
  const payloadBytes = view.getUint32(start + 4, true);
  if (payloadBytes === 0 || payloadBytes > MAX_FRAME_BYTES) {
    return { ok: false, reason: `bad length ${payloadBytes}` };
  }
  const end = start + FRAME_HEADER_BYTES + payloadBytes;
  if (end > buf.length) return { ok: false, reason: 'frame extends past end of file' };
  if (view.getUint32(start + 8, true) !== frameCrc(buf, start, payloadBytes)) {
    return { ok: false, reason: 'crc mismatch' };
  }
  const starts: number[] = [];
  const records = decodePayload(view, start + FRAME_HEADER_BYTES, end, starts);
  if (typeof records === 'string') return { ok: false, reason: records };
  return { ok: true, records, starts, next: end };
}

/**
 * Looks for any valid frame beginning after `from`. Used only once a bad frame
 * is found, to decide whether it is the torn tail (nothing valid follows) or
 * damage in the middle of the log. The magic number keeps the scan cheap.
 */
export function findValidFrame(buf: Uint8Array, from: number): number {
  for (let at = from; at + FRAME_HEADER_BYTES <= buf.length; at++) {
    if (buf[at] !== 0x4a) continue; // first byte of the magic, little-endian
    if (readFrame(buf, at).ok) return at;
  }
  return -1;
}

/** A record's float64 field, which must hold a non-negative safe integer. */
function intAt(view: DataView, at: number): number {
  const n = view.getFloat64(at, true);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad number ${n}`);
  return n;
}

/**
 * Decodes the entry record at `at` (its tag included), ending at or before
 * `end`. Returns the entry and where the next record begins, or a reason.
 * The data is a copy, so the entry does not pin the buffer it was read from
 * (a whole segment at recovery).
 */
export function decodeEntryRecord(
  view: DataView,
  at: number,
  end: number,
): { readonly entry: Entry; readonly next: number } | string {
  if (at + 22 > end) return 'truncated entry record';
  if (view.getUint8(at) !== TAG_ENTRY) return `not an entry record (tag ${view.getUint8(at)})`;
  const dataBytes = view.getUint32(at + 18, true);
  if (at + 22 + dataBytes > end) return 'truncated entry data';
  const typeByte = view.getUint8(at + 17);
  if (typeByte > 1) return `bad entry type ${typeByte}`;
  const dataStart = view.byteOffset + at + 22;
  try {
    const entry: Entry = {
      term: intAt(view, at + 1),
      index: intAt(view, at + 9),
      type: typeByte === 1 ? EntryType.ConfChange : EntryType.Normal,
      data: new Uint8Array(view.buffer.slice(dataStart, dataStart + dataBytes)),
    };
    return { entry, next: at + 22 + dataBytes };
  } catch (err) {
    return err instanceof RangeError ? err.message : String(err);
  }
}

/**
 * Decodes a CRC-verified payload; returns a reason string if it is malformed.
 * Pushes where each record begins onto `starts`.
 */
function decodePayload(
  view: DataView,
  start: number,
  end: number,
  starts: number[],
): WalRecord[] | string {
  const records: WalRecord[] = [];
  const int = (at: number): number => intAt(view, at);
  let at = start;
  try {
    while (at < end) {
      const tag = view.getUint8(at);
      starts.push(at);
      if (tag === TAG_ENTRY) {
        const read = decodeEntryRecord(view, at, end);
        if (typeof read === 'string') return read;
        records.push({ type: 'entry', entry: read.entry });
        at = read.next;
      } else if (tag === TAG_HARD_STATE) {
        if (at + 25 > end) return 'truncated hard state record';
        records.push({
          type: 'hardState',
          hardState: { term: int(at + 1), vote: int(at + 9), commit: int(at + 17) },
        });
        at += 25;
      } else if (tag === TAG_SNAPSHOT) {
        if (at + 17 > end) return 'truncated snapshot record';
        records.push({ type: 'snapshot', index: int(at + 1), term: int(at + 9) });
        at += 17;
      } else {
        return `unknown record tag ${tag}`;
      }
    }
  } catch (err) {
    return err instanceof RangeError ? err.message : String(err);
  }
  return records;
}
