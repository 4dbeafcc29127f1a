// Wires the job controller into a Manager session: Job events enqueue the Job,
// Run events enqueue their controlling Job. Events that cannot change a Job's
// plan are left out: those of the controller's own writes (own-writes.ts) and
// Run updates its Job does not look at (sameForJob: a bind, say). A Run that
// only started enqueues its Job a second later (STARTED_WRITE_DELAY_MS), so a
// Run that ends meanwhile costs its Job one status write. A resync (old ===
// new) always enqueues.
import {
  Controller,
  controllerRef,
  enqueueOwner,
  keyOf,
  objectKey,
  type ControllerFactory,
  type EventHandler,
} from '../../reconcile/index.js';
import type { Job, Run } from '../../store/index.js';
import { RUNS_BY_OWNER, runOwnerIndex } from '../common/runs.js';
import { STARTED_WRITE_DELAY_MS, type JobControllerOptions } from './options.js';
import { OwnWrites } from './own-writes.js';
import { sameForJob, startedForJob } from './plan.js';
import { JobReconciler } from './reconciler.js';

export const JOB_CONTROLLER = 'job';

export function jobController(opts: JobControllerOptions = {}): ControllerFactory {
  return (ctx) => {
    const jobs = ctx.informer('Job');
    const runs = ctx.informer('Run');
    runs.cache.addIndex(RUNS_BY_OWNER, runOwnerIndex);
    // A held event that was not the controller's own write enqueues its Job.
    const own = new OwnWrites((key) => controller.add(key));
    const reconciler = new JobReconciler({
      client: ctx.client,
      jobs: jobs.cache,
      runs: runs.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
      backoffBaseMs: opts.backoffBaseMs,
      backoffMaxMs: opts.backoffMaxMs,
      ownWrites: own,
      ...(opts.proposer ? { proposer: opts.proposer } : {}),
    });
    const controller = new Controller({
      name: JOB_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: opts.workers ?? 64,
    });
    jobs.addHandler(jobEvents(controller, own));
    runs.addHandler(runEvents(controller, own));
    return controller;
  };
}

/** Job events enqueue the Job, except the update that is the controller's own status write. */
export function jobEvents(target: { add(key: string): void }, own: OwnWrites): EventHandler<Job> {
  return {
    onAdd: (job) => target.add(keyOf(job)),
    onUpdate: (old, job) => {
      if (old !== job && own.takeJob(job)) return;
      target.add(keyOf(job));
    },
    onDelete: (job) => {
      own.forgetJob(job);
      target.add(keyOf(job));
    },
  };
}

/**
 * Run events enqueue the controlling Job, except the add of a Run the
 * controller created itself and an update its Job does not look at; an update
 * that only says the Run started enqueues it after STARTED_WRITE_DELAY_MS.
 */
export function runEvents(
  target: { add(key: string): void; addAfter(key: string, ms: number): void },
  own: OwnWrites,
): EventHandler<Run> {
  const owner = enqueueOwner<Run>(target, 'Job');
  return {
    onAdd: (run) => {
      if (!own.takeRun(run.metadata.uid)) owner.onAdd?.(run);
    },
    onUpdate: (old, run) => {
      const ref = controllerRef(run);
      const sameOwner = controllerRef(old)?.uid === ref?.uid;
      if (old !== run && sameOwner && sameForJob(old, run)) return;
      if (old !== run && sameOwner && ref?.kind === 'Job' && startedForJob(old, run)) {
        target.addAfter(objectKey(run.metadata.namespace, ref.name), STARTED_WRITE_DELAY_MS);
        return;
      }
      owner.onUpdate?.(old, run);
    },
    onDelete: (run) => {
      own.takeRun(run.metadata.uid);
      owner.onDelete?.(run);
    },
  };
}
