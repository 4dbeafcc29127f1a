// Canonical, frozen JSON values. Everything the store keeps goes through
// `canonicalize`, which copies the value with object keys sorted and freezes it.
// Sorting makes equality ("unchanged") and snapshot bytes independent of the key
// order a client happened to send; freezing makes accidental mutation of stored
// state by any caller throw instead of silently corrupting a replica.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});
// Typed as mutable like every Json this module returns, and frozen like all of them.
const EMPTY_ARRAY: Json[] = [];
Object.freeze(EMPTY_ARRAY);

/** Strings longer than this are rarely repeated (uids, messages): not worth a lookup. */
const MAX_INTERNED_LENGTH = 64;
/** Distinct strings remembered; when full the table starts afresh (bounded memory). */
const INTERN_TABLE_SIZE = 8192;
let interned = new Map<string, string>();

/**
 * One shared copy of a short string. Stored objects repeat the same values
 * ("busybox:latest", "IfNotPresent", "500m", a namespace, a phase) in every
 * object, and each JSON.parse of an entry or snapshot makes new copies of
 * them: sharing them is about a sixth of a stored object's heap. Only the
 * memory changes, never a value.
 */
export function intern(s: string): string {
  if (s.length > MAX_INTERNED_LENGTH) return s;
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size >= INTERN_TABLE_SIZE) interned = new Map();
  interned.set(s, s);
  return s;
}

/** Members of an object or array that may be shared at most. */
const MAX_SHARED_MEMBERS = 8;
/** Distinct subtrees remembered; when full the table starts afresh (bounded memory). */
const SHARE_TABLE_SIZE = 8192;
let sharedTrees = new Map<string, object>();

/**
 * What canonicalize may do beyond copying, each set only while a function
 * runs (withMode): `sharing` small subtrees (sharingSubtrees), `adopting` the
 * values it is given (adoptingInput).
 */
const mode = { sharing: false, adopting: false };

function withMode<T>(key: keyof typeof mode, fn: () => T): T {
  const was = mode[key];
  mode[key] = true;
  try {
    return fn();
  } finally {
    mode[key] = was;
  }
}

/**
 * Runs `fn` with canonicalize sharing small subtrees: for the parts of an
 * object that repeat from object to object (a spec, labels), not for those
 * that rarely do (a status with its timestamps, owner references).
 */
export function sharingSubtrees<T>(fn: () => T): T {
  return withMode('sharing', fn);
}

/**
 * One shared copy of a small frozen object or array of primitives. Stored
 * objects repeat the same small ones (a Job's resources, sandbox and command,
 * copied into each of its Runs; labels) in every Job and Run written from the
 * same template, and each entry parsed makes new copies of them. Only the
 * memory changes, never a value: frozen values cannot be told apart but by
 * identity.
 */
function share<T extends object>(node: T): T {
  if (!mode.sharing) return node;
  if (Array.isArray(node)) {
    if (node.length > MAX_SHARED_MEMBERS) return node;
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      if (typeof v === 'object' && v !== null) return node;
    }
  } else {
    let n = 0;
    for (const k in node) {
      const v: unknown = (node as Record<string, unknown>)[k];
      if ((typeof v === 'object' && v !== null) || ++n > MAX_SHARED_MEMBERS) return node;
    }
  }
  const json = JSON.stringify(node);
  const known = sharedTrees.get(json);
  if (known !== undefined) return known as T;
  if (sharedTrees.size >= SHARE_TABLE_SIZE) sharedTrees = new Map();
  sharedTrees.set(json, node);
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs `fn` with canonicalize allowed to keep the values it is given instead
 * of copying them: for input nothing else holds, such as a command just
 * decoded from a Raft entry. An array, or a plain object whose keys are in
 * sorted order already (what the store's own objects are, and most of what a
 * controller writes back), is frozen in place once its members are
 * canonical; other objects are copied as usual. The stored value is the same
 * (same members, same key order, same bytes); it takes less memory: JSON.parse
 * lays an object's properties out inside it, while a copy built key by key
 * spills those past the fourth into a separate property array (about 13% of
 * a stored Job's heap), and the copy is skipped. Frozen input is never
 * touched, so adopting a value twice is harmless.
 */
export function adoptingInput<T>(fn: () => T): T {
  return withMode('adopting', fn);
}

/** Whether canonicalize may keep `value` itself (see adoptingInput). */
function adoptable(value: object): boolean {
  return mode.adopting && !Object.isFrozen(value);
}

/** Own keys in sorted order with no undefined member: an object canonicalize may keep. */
function sortedAndDefined(value: Record<string, unknown>, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    if (value[keys[i] as string] === undefined) return false;
    if (i > 0 && (keys[i - 1] as string) >= (keys[i] as string)) return false;
  }
  return Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * A deep, frozen copy with sorted object keys. `undefined` members are dropped
 * (as JSON would) and non-JSON values (functions, symbols) are refused, so that
 * what the store holds is exactly what a snapshot can carry.
 */
export function canonicalize(value: unknown): Json {
  if (typeof value === 'string') return intern(value);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a JSON number: ${value}`);
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return EMPTY_ARRAY;
    if (adoptable(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        value[i] = canonicalize(v === undefined ? null : v);
      }
      return share(Object.freeze(value) as Json[]);
    }
    return share(
      Object.freeze(value.map((v) => canonicalize(v === undefined ? null : v))) as Json[],
    );
  }
  if (isPlainObject(value)) {
    const own = Object.keys(value);
    if (own.length > 0 && adoptable(value) && sortedAndDefined(value, own)) {
      for (const k of own) value[k] = canonicalize(value[k]);
      return share(Object.freeze(value) as { [key: string]: Json });
    }
    const keys = own.filter((k) => value[k] !== undefined).sort();
    // Empty objects (labels, annotations, status) are very common: share one.
    if (keys.length === 0) return EMPTY_OBJECT as { [key: string]: Json };
    const out: { [key: string]: Json } = {};
    for (const k of keys) out[k] = canonicalize(value[k]);
    return share(Object.freeze(out));
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/**
 * Freezes a value that is already canonical (sorted keys, JSON only), such as
 * an object parsed from a snapshot this store wrote, without copying it; empty
 * objects and arrays are replaced by the shared frozen ones. Much cheaper than
 * canonicalize when restoring 100k objects.
 */
export function freezeCanonical(value: unknown): Json {
  if (typeof value === 'string') return intern(value);
  // Frozen: done already (freezeShared ran over this part).
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value as Json;
  if (Array.isArray(value)) {
    if (value.length === 0) return EMPTY_ARRAY;
    for (let i = 0; i < value.length; i++) value[i] = freezeCanonical(value[i]);
    return share(Object.freeze(value) as Json[]);
  }
  const record = value as Record<string, unknown>;
  let empty = true;
  for (const k in record) {
    empty = false;
    record[k] = freezeCanonical(record[k]);
  }
  if (empty) return EMPTY_OBJECT as { [key: string]: Json };
  return share(Object.freeze(record) as { [key: string]: Json });
}

/** freezeCanonical sharing small subtrees (see share), for the parts that repeat. */
export function freezeShared(value: unknown): Json {
  return sharingSubtrees(() => freezeCanonical(value));
}

/**
 * Structural equality of JSON values (key order ignored, `undefined` members
 * as if absent). Walks without building key lists: the store compares every
 * written part with the stored one, on every node, for every write, and the
 * controllers compare what they would write with what is there.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) {
    const aa = a as unknown[];
    const ba = b as unknown[];
    if (aa.length !== ba.length) return false;
    for (let i = 0; i < aa.length; i++) if (!jsonEqual(aa[i], ba[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Every defined member of a is in b and equal; then b has no more of them.
  let members = 0;
  for (const k in ao) {
    if (!Object.hasOwn(ao, k) || ao[k] === undefined) continue;
    if (!jsonEqual(ao[k], bo[k])) return false;
    members++;
  }
  for (const k in bo) if (Object.hasOwn(bo, k) && bo[k] !== undefined) members--;
  return members === 0;
}

/** A mutable deep copy of a (possibly frozen) stored object, for editing. */
export function cloneResource<T>(value: T): T {
  return structuredClone(value);
}

/** Freezes an object graph in place (used for objects built from parts). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
