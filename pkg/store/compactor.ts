// The store's packed form (packed.ts) offered to caches outside the store.
import { isCold, pack, PackedObject, unpack } from './packed.js';
import { objectKey } from './table.js';
import type { Resource } from './types.js';

/**
 * For caches of objects the store hands out (informers, pkg/reconcile's
 * Compactor): cold objects are kept packed, and an object the store packed
 * or unpacked gives back the store's own packed form, so both keep one copy.
 */
export const storeCompactor = {
  pack(object: Resource): PackedObject | undefined {
    if (!isCold(object)) return undefined;
    return pack(object, objectKey(object.metadata.namespace, object.metadata.name));
  },
  isPacked(value: unknown): value is PackedObject {
    return value instanceof PackedObject;
  },
  unpack(packed: object): Resource {
    if (!(packed instanceof PackedObject)) throw new TypeError('not a packed object');
    return unpack(packed);
  },
} as const;
