// The job controller's reconcile: read the Job and its Runs from the caches,
// plan (plan.ts), then act: cancel Runs, create Runs, write the status on a
// copy only when it changed, delete the Job when its TTL is up. Level-triggered
// and idempotent: a repeated or concurrent-leader reconcile converges on the
// same state, and Run names are deterministic per attempt, so AlreadyExists
// (not in-memory bookkeeping) keeps an attempt from being created twice.
//
// New Runs and the Job status that counts them (status.attempts, active) are
// one atomic store batch when the controller has a proposer: both commit or
// neither, so status.attempts is exactly the number of attempts created, and
// the batch is guarded by the Job's resourceVersion, so a Job cache that is
// behind (a status written since) refuses it whole (Conflict: nothing is
// created, the reconcile is retried). A Run cache behind the Job cache is
// caught by currentRuns below (status.attempts says more Runs exist than the
// cache shows). Those two guards are what keep the duplicate-Run bug (a fresh
// attempt while earlier ones are still active) impossible without a probe
// create. The workers' batches travel together in one Raft entry (group
// commit), so one round creates the Runs of many Jobs.
import { randomUUID } from 'node:crypto';
import type { ResourceClient } from '../../client/index.js';
import type {
  Job,
  JobStatus,
  Proposer,
  ResourceInput,
  Run,
  RunCancelReason,
  SingleCommand,
} from '../../store/index.js';
import { JOB_NAME_LABEL, cloneResource, jsonEqual, resultError } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { isReason, Reason } from '../../util/errors.js';
import {
  splitKey,
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
} from '../../reconcile/index.js';
import { RUNS_BY_OWNER, isActiveRun } from '../common/runs.js';
import { isoTime } from '../common/time.js';
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from './options.js';
import { countRuns, planJob, type PlanOptions } from './plan.js';
import type { OwnWrites } from './own-writes.js';
import { isControlledBy, newRun, runName } from './runs.js';

export interface JobReconcilerDeps {
  readonly client: ResourceClient;
  readonly jobs: Lister<Job>;
  /** Needs the RUNS_BY_OWNER index. */
  readonly runs: Lister<Run>;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /**
   * The node's Raft proposer: a Job's new Runs and its status go as one atomic
   * batch (no ResourceClient call expresses one). Without it (tests of the
   * write sequence), Runs are created through the client, the first alone.
   */
  readonly proposer?: Proposer;
  /** uids of created Runs in batches (default crypto.randomUUID). */
  readonly newUid?: () => string;
  /** Told of every status write and batch-created Run, so their events can be skipped. */
  readonly ownWrites?: OwnWrites;
}

/** The Job's status write, guarded by the uid and resourceVersion the cache saw. */
function statusTarget(job: Job, status: JobStatus): ResourceInput & { status: JobStatus } {
  return {
    apiVersion: job.apiVersion,
    kind: job.kind,
    metadata: {
      name: job.metadata.name,
      namespace: job.metadata.namespace,
      uid: job.metadata.uid,
      resourceVersion: job.metadata.resourceVersion,
    },
    status,
  };
}

/** How many foreign objects squatting on our Run names we skip before giving up a reconcile. */
const MAX_NAME_SKIPS = 10;

export class JobReconciler implements Reconciler {
  private readonly d: JobReconcilerDeps;
  private readonly planOpts: PlanOptions;
  /** Job uid -> failed count a BackOff event was recorded for (avoids repeats). */
  private readonly backoffEvents = new Map<string, number>();
  /**
   * Run uid -> when this controller first saw it Failed (its clock), so that back-off
   * never waits on another node's clock (PlanOptions.failureSeenAt). Lost with
   * leadership: a new leader counts from when it first looks, one delay at most.
   */
  private readonly failureSeen = new Map<string, number>();

  constructor(deps: JobReconcilerDeps) {
    this.d = deps;
    this.planOpts = {
      backoffBaseMs: deps.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
      backoffMaxMs: deps.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      failureSeenAt: (run) => this.failureSeen.get(run.metadata.uid),
    };
  }

  /** Notes the failed Runs not seen before; forgets them once the Job is finished. */
  private observeFailures(job: Job, runs: readonly Run[], nowMs: number): void {
    const finished = job.status.phase === 'Succeeded' || job.status.phase === 'Failed';
    for (const run of runs) {
      if (finished) this.failureSeen.delete(run.metadata.uid);
      else if (run.status.phase === 'Failed' && !this.failureSeen.has(run.metadata.uid))
        this.failureSeen.set(run.metadata.uid, nowMs);
    }
    // Bounded: Jobs deleted while failing leave entries behind; forgetting only
    // lets a stamped finishedAt count again.
    if (this.failureSeen.size > 100_000) this.failureSeen.clear();
  }

  /** The Job's Runs: controlled by its uid and labelled with its name. */
  runsOf(job: Job): Run[] {
    return this.d.runs
      .byIndex(RUNS_BY_OWNER, job.metadata.uid)
      .filter((r) => r.metadata.labels[JOB_NAME_LABEL] === job.metadata.name);
  }

  /**
   * The Job's Runs from the cache, unless the cache is evidently behind: the
   * Job's status says more Runs were created than the cache shows (the Job
   * informer can be ahead of the Run informer). Creating from that view would
   * pick a fresh attempt number while earlier Runs are still active, so then
   * the missing Runs are read through the client. (Runs deleted by hand keep
   * this path taken for their Job: one NotFound get each.)
   */
  private async currentRuns(job: Job): Promise<Run[]> {
    const cached = this.runsOf(job);
    const created = job.status?.attempts ?? 0;
    const known = countRuns(cached).nextAttempt;
    if (created <= known) return cached;
    // Creation is sequential and the Run watch is ordered, so what the cache
    // lacks is exactly attempts known..created-1: fetch those by name.
    const fetched: Run[] = [];
    for (let attempt = known; attempt < created; attempt++) {
      try {
        const run = await this.d.client.get('Run', job.metadata.namespace, runName(job, attempt));
        if (isControlledBy(run, job)) fetched.push(run);
      } catch (err) {
        if (!isReason(err, Reason.NotFound)) throw err;
      }
    }
    return [...cached, ...fetched];
  }

  async reconcile(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const job = this.d.jobs.get(namespace, name);
    if (!job) return {}; // deleted: the store removed its Runs with it
    const nowMs = this.d.clock.now();
    const runs = await this.currentRuns(job);
    this.observeFailures(job, runs, nowMs);
    const plan = planJob(job, runs, nowMs, this.planOpts);

    if (plan.deleteJob) {
      await this.deleteJob(job);
      return {};
    }
    const status: JobStatus = { ...plan.status };
    for (const { run, reason } of plan.cancel) {
      if (await this.cancelRun(job, run, reason, nowMs)) status.active = (status.active ?? 1) - 1;
    }
    let statusWritten = false;
    if (plan.create > 0) {
      const batched = this.d.proposer
        ? await this.createWithStatus(this.d.proposer, job, status, plan.create, nowMs)
        : 'fallback';
      // The cache was behind (the Job's status moved on): nothing was written.
      if (batched === 'stale') return { requeue: true };
      if (batched === 'done') statusWritten = true;
      else {
        const made = await this.createRuns(job, status.attempts ?? 0, plan.create, nowMs);
        // Our cache is behind our own writes: a status computed from it would be
        // stale too (and conflict). Look again once the cache has caught up.
        if (made.stale) return { requeue: true };
        status.attempts = made.nextAttempt;
        status.active = (status.active ?? 0) + made.created;
      }
    }

    if (!statusWritten) await this.writeStatus(job, status);
    // Once the status that says so is written, as Kubernetes' job controller does:
    // a write refused (the Job cache behind a write of ours, Conflict) records
    // nothing, so its retry records the Event once instead of bumping it to 2.
    for (const e of plan.events) {
      if (e.reason === 'BackOff') {
        if (this.backoffEvents.get(job.metadata.uid) === plan.backoffFor) continue;
        this.backoffEvents.set(job.metadata.uid, plan.backoffFor ?? 0);
      }
      this.d.recorder.record(job, e.type, e.reason, e.message);
    }
    return { requeueAfter: plan.requeueAfter };
  }

  /**
   * Proposes the Job's status (attempts and active counting the new Runs),
   * guarded by its resourceVersion, and `count` new Runs from attempt
   * status.attempts on, as one atomic batch. On success `status` is what was
   * written. 'stale': the Job changed since the cache saw it, or one of the
   * Runs exists already (ours: the cache is behind); nothing was written.
   * 'fallback': a Run name is taken by an object this Job does not control;
   * createRuns sorts that out one Run at a time.
   */
  private async createWithStatus(
    proposer: Proposer,
    job: Job,
    status: JobStatus,
    count: number,
    nowMs: number,
  ): Promise<'done' | 'stale' | 'fallback'> {
    const first = status.attempts ?? 0;
    const attempts = Array.from({ length: count }, (_, i) => first + i);
    const next: JobStatus = {
      ...status,
      attempts: first + count,
      active: (status.active ?? 0) + count,
    };
    const now = isoTime(nowMs);
    const newUid = this.d.newUid ?? randomUUID;
    const uids = attempts.map(() => newUid());
    const commands: SingleCommand[] = [
      // First: a stale view of the Job fails here, before anything is created.
      { op: 'updateStatus', object: statusTarget(job, next) },
      ...attempts.map((a, i): SingleCommand => ({
        op: 'create',
        now,
        uid: uids[i] as string,
        object: newRun(job, a, nowMs),
      })),
    ];
    // Noted before the proposal: the Runs' add events may come before its answer.
    for (const uid of uids) this.d.ownWrites?.noteRun(uid);
    this.d.ownWrites?.beginJob(job);
    let written: Pick<Job, 'metadata'> | undefined;
    let result: Awaited<ReturnType<Proposer['propose']>>;
    try {
      result = await proposer.propose({ op: 'batch', atomic: true, commands });
      const first = result.ok && result.outcome === 'batch' ? result.results[0] : undefined;
      if (first?.ok) written = first.object;
    } finally {
      this.d.ownWrites?.settleJob(job, written);
    }
    if (!result.ok) {
      for (const uid of uids) this.d.ownWrites?.takeRun(uid);
      if (result.reason === Reason.Conflict || result.reason === Reason.NotFound) return 'stale';
      if (result.reason !== Reason.AlreadyExists) throw resultError(result);
      // Whose is it? Ours: the Run cache is behind. Someone else's: skip it, one by one.
      for (const a of attempts) {
        const existing = await this.d.client
          .get('Run', job.metadata.namespace, runName(job, a), { consistency: 'stale' })
          .catch(() => undefined);
        if (existing && !isControlledBy(existing, job)) return 'fallback';
      }
      return 'stale';
    }
    Object.assign(status, next);
    for (const a of attempts) {
      this.d.recorder.record(job, 'Normal', 'SuccessfulCreate', `Created run: ${runName(job, a)}`);
    }
    return 'done';
  }

  /**
   * Creates up to `count` Runs from attempt `first` on. The first attempt is
   * created alone: AlreadyExists for one of ours means the cache is behind, so
   * stop and retry once it caught up (`stale`). Attempts are created in
   * increasing order, so when the first was missing the later ones are too,
   * and the rest go out together: concurrent writes ride one Raft entry (the
   * proposer's group commit), one round for all of a Job's new Runs. A name
   * taken by something we don't control is skipped.
   */
  private async createRuns(
    job: Job,
    first: number,
    count: number,
    nowMs: number,
  ): Promise<{ created: number; nextAttempt: number; stale: boolean }> {
    let attempt = first;
    let created = 0;
    let skips = 0;
    while (created < count) {
      // One probe while nothing was created yet; then everything still wanted.
      const wave = created === 0 && skips === 0 ? 1 : count - created;
      const attempts = Array.from({ length: wave }, (_, i) => attempt + i);
      const outcomes = await Promise.allSettled(
        attempts.map((a) => this.d.client.create(newRun(job, a, nowMs))),
      );
      let stale = false;
      let failure: unknown;
      for (const [i, outcome] of outcomes.entries()) {
        const a = attempts[i] as number;
        if (outcome.status === 'fulfilled') {
          this.d.recorder.record(
            job,
            'Normal',
            'SuccessfulCreate',
            `Created run: ${runName(job, a)}`,
          );
          created++;
          continue;
        }
        if (!isReason(outcome.reason, Reason.AlreadyExists)) {
          failure ??= outcome.reason;
          continue;
        }
        const existing = await this.d.client
          .get('Run', job.metadata.namespace, runName(job, a), { consistency: 'stale' })
          .catch(() => undefined);
        if (existing && !isControlledBy(existing, job) && skips < MAX_NAME_SKIPS) {
          this.d.logger.warn('run name taken by an object this job does not control; skipping', {
            job: `${job.metadata.namespace}/${job.metadata.name}`,
            run: runName(job, a),
          });
          skips++;
          continue;
        }
        stale = true;
      }
      if (failure !== undefined) throw failure;
      attempt += wave;
      if (stale) return { created, nextAttempt: attempt, stale: true };
    }
    return { created, nextAttempt: attempt, stale: false };
  }

  /**
   * Flags the Run cancelled (spec.cancelled, for the agent), and if it is not
   * bound to a node yet, ends it here (status Cancelled): no agent owns it.
   * The Run's resourceVersion guards both writes against the scheduler
   * binding it meanwhile (Conflict -> retry with the new state). Returns true
   * when the Run was ended here (no longer active).
   */
  private async cancelRun(
    job: Job,
    run: Run,
    reason: RunCancelReason,
    nowMs: number,
  ): Promise<boolean> {
    let current = run;
    if (!run.spec.cancelled) {
      const copy = cloneResource(run) as Run;
      copy.spec.cancelled = true;
      copy.spec.cancelReason = reason;
      current = await this.d.client.update(copy);
      this.d.recorder.record(
        job,
        'Normal',
        'Killing',
        `Stopping run ${run.metadata.name}: ${reason}`,
      );
    }
    if (current.spec.nodeName === '' && isActiveRun(current)) {
      await this.d.client.updateStatus({
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: {
          name: current.metadata.name,
          namespace: current.metadata.namespace,
          uid: current.metadata.uid,
          resourceVersion: current.metadata.resourceVersion,
        },
        status: {
          ...current.status,
          phase: 'Cancelled',
          reason: current.spec.cancelReason ?? reason,
          finishedAt: isoTime(nowMs),
          message: 'cancelled before it was scheduled',
        },
      });
      return true;
    }
    return false;
  }

  /** Writes status on a copy, only when it differs; the cached resourceVersion guards it. */
  private async writeStatus(job: Job, status: JobStatus): Promise<void> {
    if (jsonEqual(status, job.status ?? {})) return;
    this.d.ownWrites?.beginJob(job);
    let written: Pick<Job, 'metadata'> | undefined;
    try {
      written = await this.d.client.updateStatus(statusTarget(job, status));
    } finally {
      this.d.ownWrites?.settleJob(job, written);
    }
  }

  private async deleteJob(job: Job): Promise<void> {
    try {
      await this.d.client.delete('Job', job.metadata.namespace, job.metadata.name, {
        preconditions: { uid: job.metadata.uid },
      });
      this.d.logger.info(
        job.metadata.deletionTimestamp !== undefined
          ? 'removed deleted job once its runs had stopped'
          : 'deleted finished job after ttlSecondsAfterFinished',
        { job: `${job.metadata.namespace}/${job.metadata.name}` },
      );
    } catch (err) {
      if (!isReason(err, Reason.NotFound)) throw err;
    }
    this.backoffEvents.delete(job.metadata.uid);
  }
}
