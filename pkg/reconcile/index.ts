// Public API of pkg/reconcile: the work queue and rate limiters, the
// watch-fed cache (informer), the controller runner and the leader-only
// manager that controllers (pkg/controllers) and the agent build on.
export { Cache, freezeDeep, type IndexFunc, type Lister } from './cache.js';
export {
  Controller,
  type ControllerOptions,
  type ControllerStats,
  type Reconciler,
  type Result,
} from './controller.js';
export { TerminalError, isTerminal } from './errors.js';
export {
  EventType,
  MemoryRecorder,
  noopRecorder,
  type EventRecorder,
  type RecordedEvent,
} from './events.js';
export {
  controllerRef,
  enqueueMapped,
  enqueueObject,
  enqueueOwner,
  type Enqueuer,
} from './handlers.js';
export {
  DEFAULT_RESYNC_MS,
  LIST_PAGE_SIZE,
  Informer,
  abortableSleep,
  type EventHandler,
  type InformerOptions,
} from './informer.js';
export { keyOf, objectKey, splitKey, type ObjectLike } from './keys.js';
export { MemoryLogger, silentLogger, type LogLine, type Logger } from '../util/logger.js';
export {
  Manager,
  type ControllerFactory,
  type ManagerContext,
  type ManagerOptions,
} from './manager.js';
export { noopReconcileMetrics, type ReconcileMetrics, type ReconcileOutcome } from './metrics.js';
export { WorkQueue, type WorkQueueOptions } from './queue.js';
export {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  defaultRateLimiter,
  type DefaultRateLimiterOptions,
  type RateLimiter,
} from './ratelimit.js';
export { DEFAULT_SLICE_MS, TurnBudget, nextTurn, turnBudgetOf } from './turns.js';
