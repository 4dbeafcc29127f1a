// Snapshot encoding: one JSON document with the revision and every object,
// kinds in name order and objects in key order. Stored objects have sorted keys
// (canonical.ts), so identical state always gives identical bytes, which lets
// tests and operators compare replicas byte for byte.
import type { StoredObject } from './table.js';

const FORMAT = 'jobctl.dev/store-snapshot/v1';

export interface DecodedSnapshot {
  readonly revision: number;
  readonly kinds: Readonly<Record<string, readonly unknown[]>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The snapshot document in pieces of about `batch` objects each. Objects are
 * immutable, so pieces can be produced later (across event-loop turns) from
 * arrays captured at one revision and still describe exactly that revision.
 */
export function* snapshotPieces(
  revision: number,
  kinds: Readonly<Record<string, readonly StoredObject[]>>,
  batch = 1000,
): Generator<Uint8Array> {
  let parts: string[] = [`{"format":${JSON.stringify(FORMAT)},"revision":${revision},"kinds":{`];
  const names = Object.keys(kinds).sort();
  for (const [i, kind] of names.entries()) {
    parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(kind)}:[`);
    const objects = kinds[kind] ?? [];
    for (let j = 0; j < objects.length; j++) {
      parts.push(`${j > 0 ? ',' : ''}${JSON.stringify(objects[j])}`);
      if (parts.length >= batch) {
        yield encoder.encode(parts.join(''));
        parts = [];
      }
    }
    parts.push(']');
  }
  parts.push('}}');
  yield encoder.encode(parts.join(''));
}

/** The whole snapshot document as one buffer. */
export function encodeSnapshot(
  revision: number,
  kinds: Readonly<Record<string, readonly StoredObject[]>>,
): Uint8Array {
  const pieces = [...snapshotPieces(revision, kinds)];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Throws on anything that is not a snapshot of this format (a fatal bug upstream). */
export function decodeSnapshot(data: Uint8Array): DecodedSnapshot {
  const value = JSON.parse(decoder.decode(data)) as {
    format?: unknown;
    revision?: unknown;
    kinds?: unknown;
  };
  if (
    value?.format !== FORMAT ||
    typeof value.revision !== 'number' ||
    typeof value.kinds !== 'object' ||
    value.kinds === null
  ) {
    throw new Error(`store: not a ${FORMAT} snapshot`);
  }
  for (const objects of Object.values(value.kinds)) {
    if (!Array.isArray(objects)) throw new Error(`store: malformed ${FORMAT} snapshot`);
  }
  return value as DecodedSnapshot;
}
