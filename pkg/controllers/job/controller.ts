// Wires the job controller into a Manager session: Job events enqueue the
// Job, Run events enqueue their controlling Job.
import {
  Controller,
  enqueueObject,
  enqueueOwner,
  type ControllerFactory,
} from '../../reconcile/index.js';
import { RUNS_BY_OWNER, runOwnerIndex } from '../common/runs.js';
import type { JobControllerOptions } from './options.js';
import { JobReconciler } from './reconciler.js';

export const JOB_CONTROLLER = 'job';

export function jobController(opts: JobControllerOptions = {}): ControllerFactory {
  return (ctx) => {
    const jobs = ctx.informer('Job');
    const runs = ctx.informer('Run');
    runs.cache.addIndex(RUNS_BY_OWNER, runOwnerIndex);
    const reconciler = new JobReconciler({
      client: ctx.client,
      jobs: jobs.cache,
      runs: runs.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
      backoffBaseMs: opts.backoffBaseMs,
      backoffMaxMs: opts.backoffMaxMs,
      ...(opts.proposer ? { proposer: opts.proposer } : {}),
    });
    const controller = new Controller({
      name: JOB_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: opts.workers ?? 64,
    });
    jobs.addHandler(enqueueObject(controller));
    runs.addHandler(enqueueOwner(controller, 'Job'));
    return controller;
  };
}
