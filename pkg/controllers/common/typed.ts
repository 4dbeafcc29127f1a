// ResourceClient is typed over the generic Resource (spec/status as records);
// the kinds in pkg/store/types.ts have exact interfaces without index
// signatures. These two casts are the one place the controllers cross over.
import type { Resource, ResourceInput } from '../../store/index.js';

/** A typed object (Job, Run, Node) as a write input. */
export function asInput(object: object): ResourceInput {
  return object as unknown as ResourceInput;
}

/** A client result as the typed kind it is. */
export function asKind<T>(object: Resource): T {
  return object as unknown as T;
}
