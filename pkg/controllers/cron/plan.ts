// The cron controller's decisions as a pure function: a CronJob, its Jobs and
// the time go in; the status to converge to, the slot to fire (if any), the
// Jobs to delete and the Events come out. The reconciler (reconciler.ts)
// performs them. Kubernetes CronJob semantics, with two choices of our own:
//
// - Progress is `status.lastSlotTime`: every slot up to it has been dealt
//   with (fired, skipped or missed, each with an Event) and is never looked at
//   again, whoever leads and whatever its clock says. Firing a slot writes it
//   in the same Raft entry that creates the slot's Job (reconciler.ts), so a
//   failover can neither fire a slot twice nor forget that it fired.
// - Missed slots (downtime, no leader, a clock jump forward): at most one
//   catch-up run, for the latest slot, if it is within
//   startingDeadlineSeconds; one Event says how many were missed. Slots that
//   pass while suspended, or while a Job runs under Forbid, are skipped for
//   good (Kubernetes would run one of them late).
import {
  jobFinished,
  type CronJob,
  type CronJobStatus,
  type Job,
  type ObjectReference,
} from '../../store/index.js';
import { parseCron, CronError, type CronSchedule } from '../../util/cron.js';
import { isoTime, parseTime } from '../common/time.js';
import { byJobTime, jobRef, slotJobName } from './jobs.js';
import { dueSlots } from './slots.js';

export interface PlannedEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface SlotToFire {
  readonly slotMs: number;
  readonly jobName: string;
  /** Active Jobs to delete in the same write (concurrencyPolicy Replace). */
  readonly replace: readonly Job[];
}

export interface CronPlan {
  /**
   * The status to converge to. With `fire`, it already says the slot was
   * fired (lastScheduleTime, lastSlotTime); the reconciler adds the new Job to
   * `active` and writes both in one entry.
   */
  readonly status: CronJobStatus;
  readonly fire?: SlotToFire;
  /** Finished Jobs beyond the history limits, oldest first. */
  readonly deleteJobs: readonly Job[];
  /** Recorded once the status (and firing) write succeeded. */
  readonly events: readonly PlannedEvent[];
  /** Look again then (the next slot); undefined when the schedule is unusable. */
  readonly requeueAfter?: number;
}

/** Drops undefined fields, so the status compares equal to the stored (canonical) one. */
export function cleanStatus(status: CronJobStatus): CronJobStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) if (v !== undefined) out[k] = v;
  return out as CronJobStatus;
}

function maxTime(...isos: (string | undefined)[]): number | undefined {
  const ms = isos.map(parseTime).filter((t): t is number => t !== undefined);
  return ms.length === 0 ? undefined : Math.max(...ms);
}

/** Finished Jobs past the limits: the oldest succeeded beyond one, failed beyond the other. */
function overHistory(cronJob: CronJob, finished: readonly Job[]): Job[] {
  const succeeded = finished.filter((j) => jobFinished(j) === 'Complete');
  const failed = finished.filter((j) => jobFinished(j) === 'Failed');
  const excess = (jobs: Job[], keep: number): Job[] =>
    jobs.slice(0, Math.max(0, jobs.length - Math.max(0, keep)));
  return [
    ...excess(succeeded, cronJob.spec.successfulJobsHistoryLimit ?? 3),
    ...excess(failed, cronJob.spec.failedJobsHistoryLimit ?? 1),
  ].sort(byJobTime);
}

/** "3 scheduled times", "more than 999 scheduled times". */
function slotsText(n: number, capped: boolean): string {
  return `${capped ? 'more than ' : ''}${n} scheduled time${n === 1 && !capped ? '' : 's'}`;
}

/**
 * Plans one reconcile of `cronJob`. `jobs` are the Jobs it controls (any
 * order). Pure: the same inputs always give the same plan.
 */
export function planCronJob(cronJob: CronJob, jobs: readonly Job[], nowMs: number): CronPlan {
  const spec = cronJob.spec;
  const old = cronJob.status ?? {};
  // A Job being deleted (Replace, or by hand) is on its way out: the job
  // controller stops its Runs and removes it. It no longer counts.
  const sorted = jobs.filter((j) => j.metadata.deletionTimestamp === undefined).sort(byJobTime);
  const active = sorted.filter((j) => jobFinished(j) === undefined);
  const finished = sorted.filter((j) => jobFinished(j) !== undefined);
  const lastSuccess = maxTime(
    old.lastSuccessfulTime,
    ...finished.filter((j) => jobFinished(j) === 'Complete').map((j) => j.status.completionTime),
  );
  const status: CronJobStatus = {
    ...old,
    active: active.map((j) => jobRef(j.metadata)),
    lastSuccessfulTime: lastSuccess !== undefined ? isoTime(lastSuccess) : undefined,
  };
  if (status.active?.length === 0) delete status.active;
  const events: PlannedEvent[] = [];
  // Being deleted (ordered deletion): its running Jobs were marked with it and
  // are stopped by the job controller; the store removes the CronJob with the
  // last of them. Nothing more fires.
  if (cronJob.metadata.deletionTimestamp !== undefined) {
    return { status: cleanStatus(status), deleteJobs: [], events };
  }
  const deleteJobs = overHistory(cronJob, finished);

  let schedule: CronSchedule;
  const timeZone = spec.timeZone || 'UTC';
  try {
    schedule = parseCron(spec.schedule);
    schedule.next(new Date(nowMs), timeZone); // throws for an unknown zone
  } catch (err) {
    // Admission refuses these; an object stored by an older release could have one.
    if (!(err instanceof CronError)) throw err;
    events.push({
      type: 'Warning',
      reason: 'InvalidSchedule',
      message: `cannot schedule "${spec.schedule}" in ${timeZone}: ${err.message}`,
    });
    return { status: cleanStatus(status), deleteJobs, events };
  }

  // Everything up to here was dealt with by some leader.
  const done =
    maxTime(old.lastSlotTime, old.lastScheduleTime, cronJob.metadata.creationTimestamp) ?? nowMs;
  const due = dueSlots(schedule, timeZone, done, nowMs);
  const nextAfter = (t: number): number => schedule.next(new Date(t), timeZone).getTime();
  const requeue = (watermark: number): number =>
    Math.max(1, nextAfter(Math.max(watermark, nowMs)) - nowMs);

  if (due.latest === undefined) {
    return { status: cleanStatus(status), deleteJobs, events, requeueAfter: requeue(done) };
  }
  const slot = due.latest;
  const slotIso = isoTime(slot);
  status.lastSlotTime = slotIso;

  if (spec.suspend) {
    // Slots passing while suspended are skipped without an Event: suspending says so.
    return { status: cleanStatus(status), deleteJobs, events, requeueAfter: requeue(slot) };
  }

  const deadline = spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && nowMs - slot > deadline * 1000) {
    events.push({
      type: 'Warning',
      reason: 'MissedSchedule',
      message:
        `missed ${slotsText(due.count, due.capped)}` +
        ` (the latest ${slotIso}), all more than startingDeadlineSeconds (${deadline}s) ago;` +
        ` next at ${isoTime(nextAfter(nowMs))}`,
    });
    return { status: cleanStatus(status), deleteJobs, events, requeueAfter: requeue(slot) };
  }

  if (due.count > 1) {
    events.push({
      type: 'Warning',
      reason: 'MissedSchedule',
      message: `missed ${slotsText(due.count - 1, due.capped)} before ${slotIso}; starting only the latest`,
    });
  }

  const policy = spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'JobAlreadyActive',
      message:
        `skipped the run scheduled at ${slotIso}: ${active.map((j) => j.metadata.name).join(', ')}` +
        ` still running (concurrencyPolicy Forbid)`,
    });
    return { status: cleanStatus(status), deleteJobs, events, requeueAfter: requeue(slot) };
  }

  const replace = policy === 'Replace' ? active : [];
  const jobName = slotJobName(cronJob, slot);
  for (const j of replace) {
    events.push({
      type: 'Normal',
      reason: 'SuccessfulDelete',
      message: `Deleted job ${j.metadata.name} (concurrencyPolicy Replace)`,
    });
  }
  events.push({
    type: 'Normal',
    reason: 'SuccessfulCreate',
    message: `Created job ${jobName} for ${slotIso}`,
  });
  status.lastScheduleTime = slotIso;
  const replaced = new Set(replace.map((j) => j.metadata.uid));
  const stillActive: ObjectReference[] = (status.active ?? []).filter((r) => !replaced.has(r.uid));
  status.active = stillActive.length > 0 ? stillActive : undefined;
  return {
    status: cleanStatus(status),
    fire: { slotMs: slot, jobName, replace },
    deleteJobs,
    events,
    requeueAfter: requeue(slot),
  };
}
