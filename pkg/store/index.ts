// Public API of pkg/store: the replicated resource state machine, its types,
// commands and read/watch surface. Other packages import from here only.
export * from './types.js';
export {
  BUILTIN_KINDS,
  COMMON_FIELD_SELECTORS,
  KindRegistry,
  defaultKinds,
  type KindInfo,
} from './kinds.js';
export {
  Outcome,
  decodeCommand,
  encodeCommand,
  isErrorResult,
  resultError,
  type ApplyCommand,
  type BatchCommand,
  type BatchResult,
  type Command,
  type CommandResult,
  type CreateCommand,
  type DeleteCommand,
  type DeletePreconditions,
  type ErrorResult,
  type ObjectResult,
  type Proposer,
  type SingleCommand,
  type UpdateCommand,
  type UpdateStatusCommand,
} from './commands.js';
export {
  fieldValue,
  labelKeyProblem,
  labelValueProblem,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelRequirement,
  type LabelSelector,
} from './selector.js';
export { canonicalize, cloneResource, jsonEqual } from './canonical.js';
export { isDns1123Label } from './input.js';
export { WatchEventType, type WatchEvent, type WatchHandle, type WatchListener } from './watch.js';
export {
  DEFAULT_HISTORY_SIZE,
  ResourceStore,
  type ListOptions,
  type ListResult,
  type ResourceStoreOptions,
  type StoreStats,
  type WatchOptions,
} from './store.js';
