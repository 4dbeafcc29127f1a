// Event handlers that turn informer events into work-queue keys. They never
// look at what changed: the key is enough (level-triggered).
import type { OwnerReference } from '../store/index.js';
import type { EventHandler } from './informer.js';
import { keyOf, objectKey, type ObjectLike } from './keys.js';

/** Anything keys can be added to (a Controller or a WorkQueue). */
export interface Enqueuer {
  add(key: string): void;
}

/** Enqueues the object's own key on add, update and delete. */
export function enqueueObject<T extends ObjectLike>(target: Enqueuer): EventHandler<T> {
  const add = (o: T): void => target.add(keyOf(o));
  return { onAdd: add, onUpdate: (_old, o) => add(o), onDelete: add };
}

/** The controller owner reference of an object, if it has one. */
export function controllerRef(object: Pick<ObjectLike, 'metadata'>): OwnerReference | undefined {
  return object.metadata.ownerReferences.find((r) => r.controller === true);
}

/**
 * Enqueues the key of the object's controller owner of kind `ownerKind` (same
 * namespace), as controller-runtime's EnqueueRequestForOwner with
 * OnlyControllerOwner. On update the old owner is enqueued too if it changed.
 */
export function enqueueOwner<T extends ObjectLike>(
  target: Enqueuer,
  ownerKind: string,
): EventHandler<T> {
  const add = (o: T): void => {
    const ref = controllerRef(o);
    if (ref && ref.kind === ownerKind) target.add(objectKey(o.metadata.namespace, ref.name));
  };
  return {
    onAdd: add,
    onUpdate: (old, o) => {
      add(o);
      const a = controllerRef(old);
      const b = controllerRef(o);
      if (a && a.uid !== b?.uid) add(old);
    },
    onDelete: add,
  };
}

/** Enqueues whatever keys `map` derives from the object (old and new state on update). */
export function enqueueMapped<T extends ObjectLike>(
  target: Enqueuer,
  map: (object: T) => readonly string[],
): EventHandler<T> {
  const add = (o: T): void => {
    for (const k of map(o)) target.add(k);
  };
  return {
    onAdd: add,
    onUpdate: (old, o) => {
      add(o);
      if (old !== o) add(old);
    },
    onDelete: add,
  };
}
