// The cron controller's reconcile: read the CronJob and its Jobs from the
// caches, plan (plan.ts), then act. Firing a slot is ONE atomic Raft entry:
// the CronJob's status (lastScheduleTime, lastSlotTime, guarded by its
// resourceVersion), the deletion of the Jobs it replaces (Replace) and the
// creation of the slot's Job. Either all of it is applied on every replica or
// none of it, so no leader change, pause or clock jump can fire a slot twice
// (its status says it fired) or lose it (nothing was written). A stale cache
// shows up as Conflict on the status item and is retried once it caught up.
import { randomUUID } from 'node:crypto';
import type { ResourceClient } from '../../client/index.js';
import {
  jsonEqual,
  resultError,
  type CronJob,
  type CronJobStatus,
  type Job,
  type Proposer,
  type SingleCommand,
  type UpdateStatusCommand,
} from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { isReason, Reason } from '../../util/errors.js';
import {
  controllerRef,
  splitKey,
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
} from '../../reconcile/index.js';
import { isoTime } from '../common/time.js';
import { JOBS_BY_CRONJOB, jobRef, newSlotJob } from './jobs.js';
import { cleanStatus, planCronJob, type CronPlan, type SlotToFire } from './plan.js';

export interface CronReconcilerDeps {
  readonly client: ResourceClient;
  /** Where a slot's firing is proposed as one atomic batch (the node's Raft proposer). */
  readonly proposer: Proposer;
  readonly cronJobs: Lister<CronJob>;
  /** Needs the JOBS_BY_CRONJOB index. */
  readonly jobs: Lister<Job>;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  /** uids of created Jobs (default crypto.randomUUID). */
  readonly newUid?: () => string;
}

/** The part of an object a status write names: which object, at which version. */
function statusTarget(cj: CronJob, status: CronJobStatus): UpdateStatusCommand {
  return {
    op: 'updateStatus',
    object: {
      apiVersion: cj.apiVersion,
      kind: cj.kind,
      metadata: {
        name: cj.metadata.name,
        namespace: cj.metadata.namespace,
        uid: cj.metadata.uid,
        resourceVersion: cj.metadata.resourceVersion,
      },
      status,
    },
  };
}

export class CronReconciler implements Reconciler {
  private readonly newUid: () => string;

  constructor(private readonly d: CronReconcilerDeps) {
    this.newUid = d.newUid ?? randomUUID;
  }

  /** The Jobs the CronJob controls (by uid; nothing else is ever adopted). */
  jobsOf(cj: CronJob): Job[] {
    return this.d.jobs.byIndex(JOBS_BY_CRONJOB, cj.metadata.uid);
  }

  async reconcile(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const cj = this.d.cronJobs.get(namespace, name);
    if (!cj) return {}; // deleted: the store removed its Jobs with it
    const nowMs = this.d.clock.now();
    const plan = planCronJob(cj, this.jobsOf(cj), nowMs);

    if (plan.fire) {
      const fired = await this.fire(cj, plan, plan.fire, nowMs);
      if (fired === 'stale') return { requeue: true };
    } else if (!jsonEqual(plan.status, cj.status ?? {})) {
      try {
        await this.d.client.updateStatus(statusTarget(cj, plan.status).object);
      } catch (err) {
        if (isReason(err, Reason.Conflict) || isReason(err, Reason.NotFound)) {
          return { requeue: true };
        }
        throw err;
      }
      this.recordAll(cj, plan);
    } else {
      this.recordAll(cj, plan);
    }
    for (const job of plan.deleteJobs) await this.deleteOld(cj, job);
    return plan.requeueAfter !== undefined ? { requeueAfter: plan.requeueAfter } : {};
  }

  private recordAll(cj: CronJob, plan: Pick<CronPlan, 'events'>): void {
    for (const e of plan.events) this.d.recorder.record(cj, e.type, e.reason, e.message);
  }

  /**
   * Proposes status + deletions + creation as one atomic entry. 'stale' when
   * the cache was behind (Conflict, NotFound): nothing was written.
   */
  private async fire(
    cj: CronJob,
    plan: CronPlan,
    slot: SlotToFire,
    nowMs: number,
  ): Promise<'fired' | 'skipped' | 'stale'> {
    const job = newSlotJob(cj, slot.slotMs);
    const uid = this.newUid();
    const status: CronJobStatus = {
      ...plan.status,
      active: [
        ...(plan.status.active ?? []),
        jobRef({ namespace: cj.metadata.namespace, name: slot.jobName, uid }),
      ],
    };
    const now = isoTime(nowMs);
    const commands: SingleCommand[] = [
      // First: a stale view of the CronJob fails here, before anything else.
      statusTarget(cj, status),
      ...slot.replace.map((j): SingleCommand => ({
        op: 'delete',
        now,
        kind: 'Job',
        namespace: j.metadata.namespace,
        name: j.metadata.name,
        preconditions: { uid: j.metadata.uid },
      })),
      { op: 'create', now, uid, object: job },
    ];
    const result = await this.d.proposer.propose({ op: 'batch', atomic: true, commands });
    if (result.ok) {
      this.recordAll(cj, plan);
      return 'fired';
    }
    if (result.reason === Reason.Conflict || result.reason === Reason.NotFound) return 'stale';
    if (result.reason !== Reason.AlreadyExists) throw resultError(result);
    return this.nameTaken(cj, plan, slot);
  }

  /**
   * The slot's Job name is taken by an object the status does not account
   * for: a Job of ours written by a release that fired in two writes (record
   * the slot as fired), or someone else's (skip the slot, say so).
   */
  private async nameTaken(
    cj: CronJob,
    plan: CronPlan,
    slot: SlotToFire,
  ): Promise<'fired' | 'skipped' | 'stale'> {
    const existing = await this.d.client
      .get('Job', cj.metadata.namespace, slot.jobName)
      .catch((err: unknown) => {
        if (isReason(err, Reason.NotFound)) return undefined;
        throw err;
      });
    if (!existing) return 'stale';
    const ours = controllerRef(existing)?.uid === cj.metadata.uid;
    const status: CronJobStatus = { ...plan.status };
    if (!ours) status.lastScheduleTime = cj.status?.lastScheduleTime;
    try {
      await this.d.client.updateStatus(statusTarget(cj, cleanStatus(status)).object);
    } catch (err) {
      if (isReason(err, Reason.Conflict) || isReason(err, Reason.NotFound)) return 'stale';
      throw err;
    }
    if (ours) return 'fired';
    this.d.recorder.record(
      cj,
      'Warning',
      'FailedCreate',
      `skipped the run scheduled at ${isoTime(slot.slotMs)}: job name ${slot.jobName} is taken by an object this CronJob does not control`,
    );
    return 'skipped';
  }

  /** Deletes a finished Job past the history limits (guarded by uid). */
  private async deleteOld(cj: CronJob, job: Job): Promise<void> {
    try {
      await this.d.client.delete('Job', job.metadata.namespace, job.metadata.name, {
        preconditions: { uid: job.metadata.uid },
      });
    } catch (err) {
      if (isReason(err, Reason.NotFound) || isReason(err, Reason.Conflict)) return;
      throw err;
    }
    this.d.recorder.record(
      cj,
      'Normal',
      'SuccessfulDelete',
      `Deleted job ${job.metadata.name} (history limit)`,
    );
  }
}
