export { SCHEDULER_CONTROLLER, schedulerController } from './controller.js';
export {
  FitReason,
  allocationAfter,
  compareRuns,
  matchesSelector,
  nodeReadiness,
  nodeState,
  unfitReasons,
  unschedulableMessage,
  type NodeState,
} from './fit.js';
export { noopSchedulerMetrics, type SchedulerMetrics } from './metrics.js';
export { SCHEDULE_KEY, SchedulerReconciler, type SchedulerDeps } from './reconciler.js';
