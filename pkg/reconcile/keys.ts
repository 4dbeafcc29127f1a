// Work-queue keys: "namespace/name" for namespaced objects and "name" for
// cluster-scoped ones (Nodes), as client-go's MetaNamespaceKeyFunc. A request
// carries only the key, never the object or the event (level-triggered).
import type { ObjectMeta } from '../store/index.js';

/**
 * Any stored object, typed or not (Job, Run, Node or plain Resource): what the
 * cache, informer and handlers need of it.
 */
export interface ObjectLike {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(object: Pick<ObjectLike, 'metadata'>): string {
  return objectKey(object.metadata.namespace, object.metadata.name);
}

/** Splits a key back into namespace ('' for cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
