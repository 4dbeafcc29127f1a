// Public API of pkg/store: the replicated resource state machine, its types,
// commands and read/watch surface. Other packages import from here only.
//
// Writing: build a Command (commands.ts) with every nondeterministic choice made
// by the proposer (now, uid, nameSuffix), propose encodeCommand(cmd) through
// Raft, and read the CommandResult the store returned for that entry:
// {ok: true, outcome, object} | {ok: true, outcome: 'batch', results} |
// {ok: false, reason, message}. resultError() turns a failure into a JobctlError.
// A `plan` carries a scheduler pass's binds, each re-checked against the state
// it meets (fit.ts) and answered on its own.
// A `group` entry packs many writers' commands (group commit) and answers each
// in its own place. Every change gets its own store revision (resourceVersion),
// kept apart from the Raft index.
// `store.dryRun(cmd)` predicts a result without writing (apply --dry-run, diff).
//
// Reading: store.get(kind, ns, name), store.list(kind, {namespace, labelSelector,
// fieldSelector, limit, continue}) and store.watch(kind, {namespace,
// labelSelector, fieldSelector, resourceVersion, onError}, listener). Every
// object handed out is deep-frozen: cloneResource() before editing.
export * from './types.js';
export {
  BUILTIN_KINDS,
  COMMON_FIELD_SELECTORS,
  KindRegistry,
  defaultKinds,
  ofKind,
  type KindInfo,
} from './kinds.js';
export {
  Outcome,
  decodeCommand,
  encodeCommand,
  encodeCommandJson,
  encodeGroup,
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
  type EntryCommand,
  type ErrorResult,
  type GroupCommand,
  type GroupResult,
  type ObjectResult,
  type PlanBind,
  type PlanCommand,
  type Proposer,
  type SingleCommand,
  type StatusFence,
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
export { objectJson } from './encoded.js';
export { continueRevision } from './continue-token.js';
export { checkFence } from './fence.js';
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
export {
  FitReason,
  addUsage,
  allocationAfter,
  matchesSelector,
  nodeReadiness,
  nodeState,
  unfitReasons,
  nodePlacementKey,
  type NodeState,
  type NodeUsage,
} from './fit.js';
export {
  DEFAULT_CPU_MILLI,
  DEFAULT_MEMORY_BYTES,
  nodeAllocatable,
  nodeNotReady,
  parseCpuOr,
  parseMemoryOr,
  runRequests,
  type Allocatable,
  type Requests,
} from './requests.js';
