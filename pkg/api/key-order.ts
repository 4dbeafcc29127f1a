// The key order the store keeps (pkg/store/canonical.ts: every object's keys
// sorted), given to an admitted object before it becomes a store command.
// Every replica JSON.parses the command from its Raft entry and canonicalizes
// it; canonicalize keeps (freezes in place) an object whose keys are sorted
// already and copies every other one. A client's manifest is rarely in that
// order, and schema defaults are appended after the keys a client wrote, so
// without this pass each of a Job's spec, status, annotations and conditions
// was copied again on every node. Sorting once here, on the node that admits
// the write, spares those copies on all of them (and the adopted objects take
// less memory: see adoptingInput). The stored value is the same either way.

/**
 * `value` with the members of every plain object in sorted key order. Arrays
 * and objects already in order are reused (their members put in order in
 * place); others are rebuilt. The caller must own `value` (admission's own
 * copy): it is changed in place.
 */
export function inStoreKeyOrder(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = inStoreKeyOrder(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    for (const k of keys) obj[k] = inStoreKeyOrder(obj[k]);
    return obj;
  }
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // defineProperty, so that a "__proto__" member stays an ordinary member (as in cloneJson).
    if (k === '__proto__') {
      Object.defineProperty(out, k, {
        value: inStoreKeyOrder(obj[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = inStoreKeyOrder(obj[k]);
  }
  return out;
}
