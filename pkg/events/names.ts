// Event identity: an event's name is a pure function of what it is about and
// what it says, so recording the same thing twice (on any node, after any
// restart) lands on the same object and bumps its count instead of adding one.
import { createHash } from 'node:crypto';
import type { ObjectLike } from '../reconcile/index.js';
import type { EventSeverity, ObjectReference } from '../store/index.js';

/** Namespace for events about cluster-scoped objects (Nodes). */
export const CLUSTER_EVENT_NAMESPACE = 'default';

/** Hex digits of the content hash in an event name. */
const HASH_LENGTH = 10;
/** DNS-1123 label limit on object names. */
const MAX_NAME = 63;

/** The reference an Event keeps to the object it is about. */
export function involvedObjectOf(object: ObjectLike): ObjectReference {
  const m = object.metadata;
  return { kind: object.kind, namespace: m.namespace ?? '', name: m.name, uid: m.uid ?? '' };
}

/** Where events about `ref` are stored: its own namespace, or 'default' when cluster-scoped. */
export function eventNamespace(ref: ObjectReference): string {
  return ref.namespace || CLUSTER_EVENT_NAMESPACE;
}

/**
 * `<involved name>-<hash of (uid, reason, message, type)>`. Kubernetes uses
 * `<name>.<suffix>`, but jobctl names are DNS-1123 labels (no dots), so a '-'
 * separates them; the involved name is cut so the result fits 63 characters.
 * Without a uid the kind/namespace/name stand in for it.
 */
export function eventName(
  ref: ObjectReference,
  type: EventSeverity,
  reason: string,
  message: string,
): string {
  const identity = ref.uid || `${ref.kind}/${ref.namespace}/${ref.name}`;
  const hash = createHash('sha256')
    .update(JSON.stringify([identity, reason, message, type]))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const prefix = ref.name.slice(0, MAX_NAME - HASH_LENGTH - 1) || 'event';
  return `${prefix}-${hash}`;
}
