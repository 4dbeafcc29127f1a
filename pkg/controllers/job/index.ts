export { JOB_CONTROLLER, jobController, jobEvents, runEvents } from './controller.js';
export { OwnWrites } from './own-writes.js';
export {
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  STARTED_WRITE_DELAY_MS,
  type JobControllerOptions,
} from './options.js';
export {
  countRuns,
  createdJobStatus,
  formatMs,
  planJob,
  sameForJob,
  startedForJob,
  type JobPlan,
  type PlanOptions,
} from './plan.js';
export { JobReconciler, type JobReconcilerDeps } from './reconciler.js';
export { containerOf, isControlledBy, newRun, runName } from './runs.js';
