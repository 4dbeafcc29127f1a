// The JSON bytes of a stored object, encoded once and shared. A change is sent
// to every watcher (each gRPC Watch stream, each REST/kube watch), and the
// object a write returns is the one its watchers receive: without sharing,
// every one of them ran JSON.stringify over the same object. Stored objects
// are deep-frozen (canonical.ts), so their bytes can never go stale: the
// object itself is the key.
//
// The cache is bounded (two generations of GENERATION objects each: an
// object found in the older one moves to the newer one, and when the newer
// one is full the older one is dropped), so it holds the bytes of recent
// changes only, never one copy of the whole store.

/** Objects per generation: enough for every watcher of a burst of changes to hit. */
const GENERATION = 2048;

let young = new Map<object, Buffer>();
let old = new Map<object, Buffer>();

function remember(object: object, bytes: Buffer): void {
  if (young.size >= GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(object, bytes);
}

/**
 * The UTF-8 JSON of `object` (what JSON.stringify gives), shared by every
 * caller asking for the same frozen object. Objects that are not frozen (not
 * the store's) are encoded afresh each time, since they could change.
 * The bytes are shared: callers must not write into them.
 */
export function objectJson(object: object): Buffer {
  if (!Object.isFrozen(object)) return Buffer.from(JSON.stringify(object), 'utf8');
  let bytes = young.get(object);
  if (bytes !== undefined) return bytes;
  bytes = old.get(object);
  if (bytes === undefined) bytes = Buffer.from(JSON.stringify(object), 'utf8');
  remember(object, bytes);
  return bytes;
}
