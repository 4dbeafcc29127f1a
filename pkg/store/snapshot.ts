// Snapshot encoding: one JSON document with the revision and every object,
// kinds in name order and objects in key order. Stored objects have sorted keys
// (canonical.ts), so identical state always gives identical bytes, which lets
// tests and operators compare replicas byte for byte.
import type { Resource } from './types.js';

const FORMAT = 'jobctl.dev/store-snapshot/v1';

export interface DecodedSnapshot {
  readonly revision: number;
  readonly kinds: Readonly<Record<string, readonly unknown[]>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeSnapshot(
  revision: number,
  kinds: Readonly<Record<string, readonly Resource[]>>,
): Uint8Array {
  // Built piecewise: one JSON.stringify per object keeps peak memory near the
  // size of the output instead of doubling it for a giant intermediate tree.
  const parts: string[] = [`{"format":${JSON.stringify(FORMAT)},"revision":${revision},"kinds":{`];
  const names = Object.keys(kinds).sort();
  names.forEach((kind, i) => {
    parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(kind)}:[`);
    const objects = kinds[kind] ?? [];
    for (let j = 0; j < objects.length; j++) {
      parts.push(`${j > 0 ? ',' : ''}${JSON.stringify(objects[j])}`);
    }
    parts.push(']');
  });
  parts.push('}}');
  return encoder.encode(parts.join(''));
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
