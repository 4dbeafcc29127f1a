export {
  SCHEDULER_CONTROLLER,
  schedulerController,
  type SchedulerControllerOptions,
} from './controller.js';
export {
  FitReason,
  addUsage,
  allocationAfter,
  compareRuns,
  matchesSelector,
  nodeReadiness,
  nodeState,
  unfitReasons,
  unschedulableMessage,
  type NodeState,
  type NodeUsage,
} from './fit.js';
export { noopSchedulerMetrics, type SchedulerMetrics } from './metrics.js';
export {
  MAX_PLANS_IN_FLIGHT,
  MAX_UNSCHEDULABLE_WRITES,
  SCHEDULE_KEY,
  SchedulerReconciler,
  type SchedulerDeps,
} from './reconciler.js';
export {
  QUEUE_POSITIONS_SHOWN,
  gateQueues,
  type QueueGate,
  type QueueGateInput,
  type WaitingRun,
} from './queues.js';
export { previewPlacement, type PlacementPreview } from './preview.js';
