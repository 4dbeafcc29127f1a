// Wires the cron controller into a Manager session: CronJob events enqueue
// the CronJob, Job events enqueue their controlling CronJob (a Job finishing
// frees a Forbid slot, updates status.active and may exceed a history limit).
// Between events, each reconcile asks to be woken at the next slot.
import {
  Controller,
  enqueueObject,
  enqueueOwner,
  type ControllerFactory,
} from '../../reconcile/index.js';
import type { Proposer } from '../../store/index.js';
import { JOBS_BY_CRONJOB, jobCronJobIndex } from './jobs.js';
import { CronReconciler } from './reconciler.js';

export const CRON_CONTROLLER = 'cron';

export interface CronControllerOptions {
  /**
   * The node's Raft proposer: a slot is fired by one atomic batch (status,
   * replaced Jobs, new Job), which the ResourceClient has no call for.
   */
  readonly proposer: Proposer;
  /** Concurrent reconciles of different CronJobs (default 2). */
  readonly workers?: number;
}

export function cronController(opts: CronControllerOptions): ControllerFactory {
  return (ctx) => {
    const cronJobs = ctx.informer('CronJob');
    const jobs = ctx.informer('Job');
    jobs.cache.addIndex(JOBS_BY_CRONJOB, jobCronJobIndex);
    const reconciler = new CronReconciler({
      client: ctx.client,
      proposer: opts.proposer,
      cronJobs: cronJobs.cache,
      jobs: jobs.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
    });
    const controller = new Controller({
      name: CRON_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: opts.workers ?? 2,
    });
    cronJobs.addHandler(enqueueObject(controller));
    jobs.addHandler(enqueueOwner(controller, 'CronJob'));
    return controller;
  };
}
