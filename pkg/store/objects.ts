// Building stored objects: pure functions from canonical parts to a frozen
// Resource, with keys in sorted order at every level so that an object's bytes
// do not depend on how it was built or whether it came back from a snapshot.
import { canonicalize, intern, sharingSubtrees, type Json } from './canonical.js';
import type { KindInfo } from './kinds.js';
import type { ObjectMeta, Resource } from './types.js';

/**
 * Assembles a stored object. Keys are written in sorted order (as canonicalize
 * would) so that snapshot bytes do not depend on how an object was built or
 * whether it came back from a snapshot.
 */
export function buildObject(
  info: KindInfo,
  meta: Omit<ObjectMeta, 'labels' | 'annotations' | 'ownerReferences'> & {
    labels: Json;
    annotations: Json;
    ownerReferences: Json;
  },
  spec: Json,
  status: Json,
): Resource {
  const namespace = intern(meta.namespace);
  let metadata: Record<string, unknown>;
  if (meta.deletionTimestamp === undefined && meta.generateName === undefined) {
    // The common case as one literal: V8 keeps every property inside the
    // object, where one added after another spill into a separate array.
    metadata = {
      annotations: meta.annotations,
      creationTimestamp: meta.creationTimestamp,
      generation: meta.generation,
      labels: meta.labels,
      name: meta.name,
      namespace,
      ownerReferences: meta.ownerReferences,
      resourceVersion: meta.resourceVersion,
      uid: meta.uid,
    };
  } else {
    metadata = { annotations: meta.annotations, creationTimestamp: meta.creationTimestamp };
    if (meta.deletionTimestamp !== undefined) metadata.deletionTimestamp = meta.deletionTimestamp;
    if (meta.generateName !== undefined) metadata.generateName = meta.generateName;
    metadata.generation = meta.generation;
    metadata.labels = meta.labels;
    metadata.name = meta.name;
    metadata.namespace = namespace;
    metadata.ownerReferences = meta.ownerReferences;
    metadata.resourceVersion = meta.resourceVersion;
    metadata.uid = meta.uid;
  }
  Object.freeze(metadata);
  return Object.freeze({
    apiVersion: info.apiVersion,
    kind: info.kind,
    // Built above from ObjectMeta's fields in sorted key order (a Record to keep that order).
    metadata: metadata as unknown as ObjectMeta,
    spec: spec as Record<string, unknown>,
    status: status as Record<string, unknown>,
  });
}

/** A copy of a stored object with some metadata (and maybe spec/status) replaced. */
export function rebuild(
  info: KindInfo,
  old: Resource,
  changes: {
    revision: number;
    generation?: number;
    labels?: Json;
    annotations?: Json;
    ownerReferences?: Json;
    deletionTimestamp?: string;
    spec?: Json;
    status?: Json;
  },
): Resource {
  const m = old.metadata;
  return buildObject(
    info,
    {
      ...m,
      labels: changes.labels ?? m.labels,
      annotations: changes.annotations ?? m.annotations,
      ownerReferences: changes.ownerReferences ?? m.ownerReferences,
      generation: changes.generation ?? m.generation,
      resourceVersion: String(changes.revision),
      deletionTimestamp: changes.deletionTimestamp ?? m.deletionTimestamp,
    },
    changes.spec ?? (old.spec as Json),
    changes.status ?? (old.status as Json),
  );
}

/** Canonical map (labels, spec, status...), {} when absent. */
export const canonMap = (v: unknown): Json => canonicalize(v ?? {});
/**
 * Canonical map whose small parts are shared with other objects' (a spec,
 * labels: what repeats from object to object; canonical.ts, share).
 */
export const sharedMap = (v: unknown): Json => sharingSubtrees(() => canonicalize(v ?? {}));
/** Canonical list (ownerReferences), [] when absent. */
export const canonList = (v: unknown): Json => canonicalize(v ?? []);
