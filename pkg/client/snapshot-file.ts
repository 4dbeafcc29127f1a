// The backup file of `jobctl cluster snapshot save` (a consistent snapshot of
// the whole store, taken on the leader), read by `cluster snapshot status` and
// `jobd restore`. The leader encodes it; the client only writes the bytes it
// is streamed and checks them before the file gets its real name.
//
//   file = magic "JCSNAP01" | metaLength u32 BE | meta (JSON) | data | sha256(everything before)
//
// `meta.dataBytes` lets a truncated file be told from a damaged one, and the
// trailing SHA-256 (printed by `status` as the checksum) covers every byte.
import { createHash } from 'node:crypto';
import { JobctlError, Reason } from '../util/errors.js';

const MAGIC = Buffer.from('JCSNAP01', 'latin1');
const HASH_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 4;

export interface SnapshotFileMeta {
  readonly version: 1;
  /** The cluster the snapshot was taken from (a restore makes a new one). */
  readonly clusterId: string;
  /** The Raft index and term of the last entry the snapshot contains. */
  readonly index: number;
  readonly term: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Each member's address (id -> HOST:PORT) when the snapshot was taken. */
  readonly members: Readonly<Record<string, string>>;
  /** ISO time the leader took it. */
  readonly createdAt: string;
  /** Bytes of the state machine's snapshot that follow the metadata. */
  readonly dataBytes: number;
}

/** What `cluster snapshot status` prints: the metadata, the checksum and the file size. */
export interface SnapshotFileInfo extends SnapshotFileMeta {
  /** SHA-256 of the file before the checksum, hex. */
  readonly checksum: string;
  readonly fileBytes: number;
}

export function encodeSnapshotFile(meta: SnapshotFileMeta, data: Uint8Array): Uint8Array {
  const metaBytes = Buffer.from(JSON.stringify({ ...meta, dataBytes: data.byteLength }), 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + metaBytes.length + data.byteLength + HASH_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(metaBytes.length, MAGIC.length);
  metaBytes.copy(out, HEADER_BYTES);
  out.set(data, HEADER_BYTES + metaBytes.length);
  const body = out.subarray(0, out.length - HASH_BYTES);
  createHash('sha256').update(body).digest().copy(out, body.length);
  return out;
}

/**
 * Checks and decodes a backup file's bytes; `name` (its path) starts the
 * message of the Invalid error a corrupt or truncated file gets.
 */
export function decodeSnapshotFile(
  bytes: Uint8Array,
  name: string,
): { readonly info: SnapshotFileInfo; readonly data: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): JobctlError =>
    new JobctlError(Reason.Invalid, `${name}: ${why}; not a usable jobctl snapshot`);
  if (buf.length < HEADER_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw bad(buf.length < HEADER_BYTES ? 'truncated' : 'unknown format');
  }
  const metaLength = buf.readUInt32BE(MAGIC.length);
  if (HEADER_BYTES + metaLength > buf.length) throw bad('truncated (in the metadata)');
  let meta: SnapshotFileMeta;
  try {
    meta = JSON.parse(buf.subarray(HEADER_BYTES, HEADER_BYTES + metaLength).toString('utf8'));
  } catch {
    throw bad('damaged metadata');
  }
  if (meta.version !== 1 || !Number.isInteger(meta.dataBytes) || meta.dataBytes < 0) {
    throw bad('damaged metadata');
  }
  const expected = HEADER_BYTES + metaLength + meta.dataBytes + HASH_BYTES;
  if (buf.length < expected) throw bad(`truncated (${buf.length} of ${expected} bytes)`);
  if (buf.length > expected) throw bad(`${buf.length - expected} unexpected bytes at the end`);
  const bodyEnd = expected - HASH_BYTES;
  const checksum = createHash('sha256').update(buf.subarray(0, bodyEnd)).digest();
  if (!checksum.equals(buf.subarray(bodyEnd))) throw bad('checksum mismatch (damaged)');
  return {
    info: { ...meta, checksum: checksum.toString('hex'), fileBytes: buf.length },
    data: buf.subarray(HEADER_BYTES + metaLength, bodyEnd),
  };
}
