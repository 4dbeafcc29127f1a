export { JOB_CONTROLLER, jobController } from './controller.js';
export {
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  type JobControllerOptions,
} from './options.js';
export {
  countRuns,
  createdJobStatus,
  formatMs,
  planJob,
  type JobPlan,
  type PlanOptions,
} from './plan.js';
export { JobReconciler, type JobReconcilerDeps } from './reconciler.js';
export { containerOf, isControlledBy, newRun, runName } from './runs.js';
