// Public API of pkg/controllers: the leader-only controllers and one call that
// registers them all with a reconcile Manager (see README.md for the contract
// with the agent).
import type { Manager } from '../reconcile/index.js';
import { CRON_CONTROLLER, cronController, type CronControllerOptions } from './cron/index.js';
import { JOB_CONTROLLER, jobController, type JobControllerOptions } from './job/index.js';
import {
  NODE_LIFECYCLE_CONTROLLER,
  nodeLifecycleController,
  type NodeLifecycleOptions,
} from './nodelifecycle/index.js';
import {
  SCHEDULER_CONTROLLER,
  schedulerController,
  type SchedulerControllerOptions,
} from './scheduler/index.js';

export * from './cron/index.js';
export * from './job/index.js';
export * from './nodelifecycle/index.js';
export * from './scheduler/index.js';
export { RUNS_BY_NODE, RUNS_BY_OWNER, isActiveRun, isFinalRun, runPhase } from './common/runs.js';

export interface ControllersOptions {
  readonly job?: JobControllerOptions;
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** The scheduler commits its plans through the node's Raft proposer. */
  readonly scheduler: SchedulerControllerOptions;
  /** The cron controller runs only when given (it needs the node's Raft proposer). */
  readonly cron?: CronControllerOptions;
}

/** Registers the job controller, the scheduler, node lifecycle and (with `cron`) cron with `manager`. */
export function addControllers(manager: Manager, opts: ControllersOptions): void {
  manager.add(JOB_CONTROLLER, jobController(opts.job));
  manager.add(SCHEDULER_CONTROLLER, schedulerController(opts.scheduler));
  manager.add(NODE_LIFECYCLE_CONTROLLER, nodeLifecycleController(opts.nodeLifecycle));
  if (opts.cron) manager.add(CRON_CONTROLLER, cronController(opts.cron));
}
