// The job controller's decisions as a pure function: a Job, its Runs and the
// time go in; the desired status and the actions to take come out (Runs to
// create, Runs to cancel, delete the Job, when to look again). The reconciler
// (reconciler.ts) performs them. Keeping this free of I/O makes each rule of
// DESIGN.md §3 testable on its own and keeps reconciles idempotent: the same
// inputs always give the same plan.
import {
  JOB_NAME_LABEL,
  type Condition,
  type Job,
  type JobConditionType,
  type JobPhase,
  type JobStatus,
  type Run,
  type RunCancelReason,
} from '../../store/index.js';
import { backoffDelay } from '../../util/backoff.js';
import { findCondition, isConditionTrue, setCondition } from '../common/conditions.js';
import { isActiveRun, runPhase } from '../common/runs.js';
import { isoTime, parseTime } from '../common/time.js';

export interface PlanOptions {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /**
   * When this controller first saw a failed Run (its own clock). A Run's finishedAt
   * is stamped by the clock of the node that ran it; one running ahead would push
   * the back-off (counted from the failure) out by the skew. The earlier of the two
   * is used.
   */
  readonly failureSeenAt?: (run: Run) => number | undefined;
}

export interface PlannedEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface RunToCancel {
  readonly run: Run;
  readonly reason: RunCancelReason;
}

export interface JobPlan {
  /** The status to converge to (before counting Runs this reconcile creates). */
  readonly status: JobStatus;
  /** New Runs to create now (attempts status.attempts, +1, ...). */
  readonly create: number;
  /** Active Runs to stop; includes ones already flagged whose unbound status is not final yet. */
  readonly cancel: readonly RunToCancel[];
  readonly deleteJob: boolean;
  /** Look again after this many ms (back-off end, deadline, TTL). */
  readonly requeueAfter?: number;
  /** Events that go with a transition made by this plan. */
  readonly events: readonly PlannedEvent[];
  /** When creation waits for failure back-off: the failed count it waits for. */
  readonly backoffFor?: number;
}

/** What the Runs of a Job add up to. */
export interface RunCounts {
  readonly active: Run[];
  readonly succeeded: number;
  /** Failed Runs not cancelled by us (count against backoffLimit). */
  readonly failed: number;
  /** Latest finishedAt (ms) of a counted failure. */
  readonly lastFailureMs?: number;
  /** Some Run got as far as Running (or finished on its own). */
  readonly started: boolean;
  /** 1 + the highest attempt number present (0 without Runs). */
  readonly nextAttempt: number;
}

export function countRuns(
  runs: readonly Run[],
  failureSeenAt?: PlanOptions['failureSeenAt'],
): RunCounts {
  const active: Run[] = [];
  let succeeded = 0;
  let failed = 0;
  let lastFailureMs: number | undefined;
  let started = false;
  let nextAttempt = 0;
  for (const run of runs) {
    const phase = runPhase(run);
    nextAttempt = Math.max(nextAttempt, (run.spec.attempt ?? 0) + 1);
    if (isActiveRun(run)) active.push(run);
    if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') started = true;
    if (phase === 'Succeeded') succeeded++;
    // A Run we cancelled may die with a non-zero exit: that is not a failure.
    if (phase === 'Failed' && !run.spec.cancelled) {
      failed++;
      const stamped =
        parseTime(run.status.finishedAt) ?? parseTime(run.metadata.creationTimestamp) ?? 0;
      const at = Math.min(stamped, failureSeenAt?.(run) ?? Infinity);
      lastFailureMs = lastFailureMs === undefined ? at : Math.max(lastFailureMs, at);
    }
  }
  return { active, succeeded, failed, lastFailureMs, started, nextAttempt };
}

/**
 * Whether two states of a Run look the same to its Job: everything of a Run
 * that countRuns, toCancel and the reconciler's choice of Runs read (phase as
 * far as it tells active, started, succeeded or failed apart; the attempt;
 * the cancel flag and reason, and whether a cancelled Run is still unbound;
 * finishedAt and creationTimestamp, which date a failure; the Job name label).
 * A Run event between two such states cannot change its Job's plan (a bind,
 * for one: Pending to Scheduled with a node), so the job controller does not
 * enqueue the Job for it. Keep in step with what those functions read.
 */
export function sameForJob(a: Run, b: Run): boolean {
  return phaseForJob(a) === phaseForJob(b) && sameApartFromPhase(a, b);
}

/**
 * Whether the only thing its Job can see of a Run event is that the Run
 * started: Pending (or Scheduled) to Running, nothing else that sameForJob
 * reads changed. The job controller lets such an event wait
 * (STARTED_WRITE_DELAY_MS), so that a Run that ends meanwhile costs its Job one
 * status write.
 */
export function startedForJob(a: Run, b: Run): boolean {
  return phaseForJob(a) === 'Pending' && phaseForJob(b) === 'Running' && sameApartFromPhase(a, b);
}

function sameApartFromPhase(a: Run, b: Run): boolean {
  return (
    a.spec.attempt === b.spec.attempt &&
    a.spec.cancelled === b.spec.cancelled &&
    a.spec.cancelReason === b.spec.cancelReason &&
    (a.spec.cancelled === true && a.spec.nodeName === '') ===
      (b.spec.cancelled === true && b.spec.nodeName === '') &&
    a.status?.finishedAt === b.status?.finishedAt &&
    a.metadata.creationTimestamp === b.metadata.creationTimestamp &&
    a.metadata.labels[JOB_NAME_LABEL] === b.metadata.labels[JOB_NAME_LABEL]
  );
}

/** Pending and Scheduled are alike to a Job (active, not started); other phases are themselves. */
function phaseForJob(run: Run): string {
  const phase = runPhase(run);
  return phase === 'Scheduled' ? 'Pending' : phase;
}

/** The reason a finished Job gives the Runs it still has to stop. */
function finishedCancelReason(status: JobStatus): RunCancelReason {
  const failed = findCondition(status.conditions, 'Failed');
  if (failed?.status === 'True') {
    if (failed.reason === 'DeadlineExceeded') return 'DeadlineExceeded';
    if (failed.reason === 'BackoffLimitExceeded') return 'BackoffLimitExceeded';
  }
  return 'JobFinished';
}

/** Active Runs that are not yet flagged, or flagged but still unbound (status not final yet). */
function toCancel(active: readonly Run[], reason: RunCancelReason): RunToCancel[] {
  return active
    .filter((r) => !r.spec.cancelled || r.spec.nodeName === '')
    .map((run) => ({ run, reason: run.spec.cancelReason ?? reason }));
}

function ttlRequeue(
  job: Job,
  status: JobStatus,
  nowMs: number,
): { deleteJob: boolean; requeueAfter?: number } {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null) return { deleteJob: false };
  const done = parseTime(status.completionTime) ?? nowMs;
  const expires = done + ttl * 1000;
  return expires <= nowMs
    ? { deleteJob: true }
    : { deleteJob: false, requeueAfter: expires - nowMs };
}

function minDefined(...xs: (number | undefined)[]): number | undefined {
  const ds = xs.filter((x): x is number => x !== undefined);
  return ds.length === 0 ? undefined : Math.min(...ds);
}

/** Drops undefined fields, so the status compares equal to the stored (canonical) one. */
function clean(status: JobStatus): JobStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) if (v !== undefined) out[k] = v;
  return out as JobStatus;
}

const SUSPENDED = {
  type: 'Suspended',
  status: 'True',
  reason: 'JobSuspended',
  message: 'Job suspended',
} as const;

/**
 * The status a new Job is stored with (admission sets it, pkg/api/admission.ts):
 * Pending; or, for a Job created with spec.suspend, exactly the status planJob
 * gives it with no Runs. So the job controller has nothing to write for a Job
 * created suspended, and records no Suspended Event for it: the Job never
 * changed state (its condition says Suspended from its creation). A Job that
 * is suspended later still gets the condition change and the Event.
 */
export function createdJobStatus(spec: { readonly suspend?: unknown }, nowMs: number): JobStatus {
  if (spec.suspend !== true) return { phase: 'Pending' };
  return {
    active: 0,
    attempts: 0,
    conditions: setCondition<JobConditionType>(undefined, SUSPENDED, isoTime(nowMs)),
    failed: 0,
    phase: 'Suspended',
    succeeded: 0,
  };
}

export function planJob(job: Job, runs: readonly Run[], nowMs: number, opts: PlanOptions): JobPlan {
  const now = isoTime(nowMs);
  const counts = countRuns(runs, opts.failureSeenAt);
  const old = job.status ?? {};
  let conditions: Condition<JobConditionType>[] | undefined = old.conditions;
  const status: JobStatus = {
    ...old,
    active: counts.active.length,
    succeeded: counts.succeeded,
    failed: counts.failed,
    attempts: Math.max(old.attempts ?? 0, counts.nextAttempt),
  };
  const events: PlannedEvent[] = [];
  const spec = job.spec;

  // Being deleted (ordered deletion, DESIGN §3): stop every Run; once none
  // is active, delete the Job again, which now removes it and its Runs.
  if (job.metadata.deletionTimestamp !== undefined) {
    return {
      status: clean(status),
      create: 0,
      cancel: toCancel(counts.active, 'Deleted'),
      deleteJob: counts.active.length === 0,
      events,
    };
  }

  // A finished Job stays finished: only stop leftovers, count, and expire.
  if (isConditionTrue(conditions, 'Complete') || isConditionTrue(conditions, 'Failed')) {
    status.phase = isConditionTrue(conditions, 'Complete') ? 'Succeeded' : 'Failed';
    const ttl = ttlRequeue(job, status, nowMs);
    return {
      status: clean(status),
      create: 0,
      cancel: ttl.deleteJob ? [] : toCancel(counts.active, finishedCancelReason(status)),
      deleteJob: ttl.deleteJob,
      requeueAfter: ttl.requeueAfter,
      events,
    };
  }

  // Suspended: stop everything (not failures); the deadline clock stops too.
  if (spec.suspend) {
    const was = isConditionTrue(conditions, 'Suspended');
    conditions = setCondition(conditions, SUSPENDED, now);
    if (!was) events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    status.conditions = conditions;
    status.phase = 'Suspended';
    status.startTime = undefined;
    return {
      status: clean(status),
      create: 0,
      cancel: toCancel(counts.active, 'Suspended'),
      deleteJob: false,
      events,
    };
  }
  if (isConditionTrue(conditions, 'Suspended')) {
    conditions = setCondition(
      conditions,
      { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' },
      now,
    );
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
  }
  if (!status.startTime) status.startTime = now;
  const startMs = parseTime(status.startTime) ?? nowMs;

  const finish = (
    type: 'Complete' | 'Failed',
    reason: string,
    message: string,
    cancelReason: RunCancelReason,
  ): JobPlan => {
    status.conditions = setCondition(conditions, { type, status: 'True', reason, message }, now);
    status.phase = type === 'Complete' ? 'Succeeded' : 'Failed';
    status.completionTime = now;
    events.push({
      type: type === 'Complete' ? 'Normal' : 'Warning',
      reason: type === 'Complete' ? 'Completed' : reason,
      message,
    });
    const ttl = ttlRequeue(job, status, nowMs);
    return {
      status: clean(status),
      create: 0,
      cancel: toCancel(counts.active, cancelReason),
      deleteJob: false,
      // Even a TTL of 0 is one more reconcile away: the final status is written first.
      requeueAfter: ttl.deleteJob ? 1 : ttl.requeueAfter,
      events,
    };
  };

  if (counts.succeeded >= spec.completions) {
    return finish('Complete', 'Completed', 'Job completed', 'JobFinished');
  }
  let deadlineIn: number | undefined;
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    deadlineIn = startMs + ads * 1000 - nowMs;
    if (deadlineIn <= 0) {
      return finish(
        'Failed',
        'DeadlineExceeded',
        'Job was active longer than specified deadline',
        'DeadlineExceeded',
      );
    }
  }
  if (counts.failed > spec.backoffLimit) {
    return finish(
      'Failed',
      'BackoffLimitExceeded',
      'Job has reached the specified backoff limit',
      'BackoffLimitExceeded',
    );
  }

  // Keep min(parallelism, remaining) Runs active. Runs being stopped still
  // hold their slot until they end, so parallelism is never exceeded.
  const want = Math.max(0, Math.min(spec.parallelism, spec.completions - counts.succeeded));
  let create = Math.max(0, want - counts.active.length);
  let backoffIn: number | undefined;
  let backoffFor: number | undefined;
  if (create > 0 && counts.failed > 0) {
    const delay = backoffDelay(
      { initialMs: opts.backoffBaseMs, maxMs: opts.backoffMaxMs },
      counts.failed - 1,
    );
    const wait = (counts.lastFailureMs ?? nowMs) + delay - nowMs;
    if (wait > 0) {
      backoffIn = wait;
      backoffFor = counts.failed;
      create = 0;
      events.push({
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off ${formatMs(delay)} restarting failed run (${counts.failed} failed)`,
      });
    }
  }
  const phase: JobPhase = counts.started ? 'Running' : 'Pending';
  status.phase = phase;
  status.conditions = conditions;
  return {
    status: clean(status),
    create,
    cancel: [],
    deleteJob: false,
    requeueAfter: minDefined(deadlineIn, backoffIn),
    events,
    backoffFor,
  };
}

/** 10000 -> "10s", 90000 -> "1m30s", 250 -> "250ms". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
