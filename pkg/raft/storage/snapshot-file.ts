// Snapshot files: one file per snapshot, written atomically.
//
//   file = magic u32 | metaLength u32 | meta (JSON) | data | crc32(everything before) u32
//
// Named <index>-<term>.snap (16 hex digits each, so names sort by index).
// Written to a .tmp name, fsynced, renamed into place and the directory
// fsynced: a crash leaves either the old set of snapshots or the new one,
// never a half-written file under a real name (leftover .tmp files are
// removed on open).
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Snapshot } from '../types.js';
import { syncDir, writeAll } from './fs.js';
import type { StorageFs } from './fs.js';

const SNAP_MAGIC = 0x534e424a; // "JBNS" as little-endian bytes
const SNAP_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export interface SnapshotFileName {
  readonly name: string;
  readonly index: number;
  readonly term: number;
}

export function snapshotFileName(index: number, term: number): string {
  return `${index.toString(16).padStart(16, '0')}-${term.toString(16).padStart(16, '0')}.snap`;
}

/** Snapshot files in a directory listing, newest (highest index) first. */
export function listSnapshotFiles(names: readonly string[]): SnapshotFileName[] {
  const out: SnapshotFileName[] = [];
  for (const name of names) {
    const m = SNAP_RE.exec(name);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    out.push({ name, index: parseInt(m[1], 16), term: parseInt(m[2], 16) });
  }
  return out.sort((a, b) => b.index - a.index || b.term - a.term);
}

/** The file's parts: header (magic, metadata length, metadata), the data itself, trailer (crc). */
function snapshotFileParts(snap: Snapshot): [Uint8Array, Uint8Array, Uint8Array] {
  const head = snapshotFileHead(snap.metadata);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc32(snap.data, crc32(head)), true);
  return [head, snap.data, tail];
}

/** Header: magic, metadata length, metadata (JSON). */
function snapshotFileHead(metadata: Snapshot['metadata']): Uint8Array {
  const meta = Buffer.from(
    JSON.stringify({
      index: metadata.index,
      term: metadata.term,
      confState: {
        voters: metadata.confState.voters,
        learners: metadata.confState.learners,
        ...(metadata.confState.contexts ? { contexts: metadata.confState.contexts } : {}),
      },
    }),
  );
  const head = new Uint8Array(8 + meta.length);
  const view = new DataView(head.buffer);
  view.setUint32(0, SNAP_MAGIC, true);
  view.setUint32(4, meta.length, true);
  head.set(meta, 8);
  return head;
}

/** Decodes and verifies a snapshot file; throws an Error whose message is the reason. */
export function decodeSnapshot(buf: Uint8Array, expect: SnapshotFileName): Snapshot {
  if (buf.length < 12) throw new Error('file too short');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(buf.length - 4, true) !== crc32(buf.subarray(0, buf.length - 4))) {
    throw new Error('crc mismatch');
  }
  if (view.getUint32(0, true) !== SNAP_MAGIC) throw new Error('bad magic');
  const metaBytes = view.getUint32(4, true);
  if (8 + metaBytes + 4 > buf.length) throw new Error('bad metadata length');
  const meta = JSON.parse(Buffer.from(buf.subarray(8, 8 + metaBytes)).toString('utf8')) as {
    index: number;
    term: number;
    confState: { voters: number[]; learners: number[]; contexts?: Record<string, string> };
  };
  if (meta.index !== expect.index || meta.term !== expect.term) {
    throw new Error(`metadata (${meta.index}/${meta.term}) does not match the file name`);
  }
  return {
    metadata: {
      index: meta.index,
      term: meta.term,
      confState: {
        voters: meta.confState.voters,
        learners: meta.confState.learners,
        ...(meta.confState.contexts ? { contexts: meta.confState.contexts } : {}),
      },
    },
    data: buf.slice(8 + metaBytes, buf.length - 4),
  };
}

/**
 * Writes a snapshot file whose data comes in pieces, each written as it comes
 * (so the data is never held whole), to `tmp`, and fsyncs it. The caller
 * renames it into place (snapshotFileName) and fsyncs the directory, as
 * writeSnapshotFile does. Returns the data's length.
 */
export async function streamSnapshotFile(
  fs: StorageFs,
  tmp: string,
  metadata: Snapshot['metadata'],
  pieces: AsyncIterable<Uint8Array>,
): Promise<number> {
  const file = await fs.open(tmp, 'w');
  try {
    const head = snapshotFileHead(metadata);
    await writeAll(file, head, 0);
    let at = head.length;
    let crc = crc32(head);
    for await (const piece of pieces) {
      await writeAll(file, piece, at);
      at += piece.length;
      crc = crc32(piece, crc);
    }
    const tail = new Uint8Array(4);
    new DataView(tail.buffer).setUint32(0, crc, true);
    await writeAll(file, tail, at);
    await file.sync();
    return at - head.length;
  } finally {
    await file.close();
  }
}

/** Writes a snapshot atomically (temp, fsync, rename, fsync dir); returns its path. */
export async function writeSnapshotFile(
  fs: StorageFs,
  dir: string,
  snap: Snapshot,
): Promise<string> {
  const name = snapshotFileName(snap.metadata.index, snap.metadata.term);
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const file = await fs.open(tmp, 'w');
  try {
    // Part by part: the data is as large as the state, and one more copy of it would not be.
    let at = 0;
    for (const part of snapshotFileParts(snap)) {
      await writeAll(file, part, at);
      at += part.length;
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
  await syncDir(fs, dir);
  return path;
}
