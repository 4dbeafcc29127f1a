// The Jobs of a CronJob: their deterministic names, the slot each was made
// for, and the input of a new one. A slot's Job is `<cronjob>-<minutes since
// the epoch>`, so two leaders (or one leader twice) firing the same slot
// collide on the name instead of running it twice.
import {
  CRONJOB_SCHEDULED_AT_ANNOTATION,
  jobFromCronJob,
  type CronJob,
  type Job,
  type ObjectReference,
} from '../../store/index.js';
import { controllerRef } from '../../reconcile/index.js';
import { childName } from '../common/names.js';
import { isoTime, parseTime } from '../common/time.js';

const MINUTE_MS = 60_000;

/** `<cronjob>-<minutes since epoch of the slot>` (cut and hashed when too long). */
export function slotJobName(cronJob: Pick<CronJob, 'metadata'>, slotMs: number): string {
  return childName(cronJob.metadata, String(Math.floor(slotMs / MINUTE_MS)));
}

/** The Job to create for a slot. */
export function newSlotJob(cronJob: CronJob, slotMs: number): ReturnType<typeof jobFromCronJob> {
  return jobFromCronJob(cronJob, slotJobName(cronJob, slotMs), isoTime(slotMs));
}

/**
 * When the Job's slot was (ms), or its creation time for Jobs made by hand
 * (`create job --from`, annotation `manual`): the order history limits and
 * `status.active` use.
 */
export function jobTime(job: Job): number {
  return (
    parseTime(job.metadata.annotations[CRONJOB_SCHEDULED_AT_ANNOTATION]) ??
    parseTime(job.metadata.creationTimestamp) ??
    0
  );
}

/** Oldest first; ties by name, so the order is total. */
export function byJobTime(a: Job, b: Job): number {
  return jobTime(a) - jobTime(b) || a.metadata.name.localeCompare(b.metadata.name);
}

export function jobRef(meta: { namespace: string; name: string; uid: string }): ObjectReference {
  return { kind: 'Job', namespace: meta.namespace, name: meta.name, uid: meta.uid };
}

/** Cache index of Jobs by their controlling CronJob's uid. */
export const JOBS_BY_CRONJOB = 'cronjob-uid';
export function jobCronJobIndex(job: Job): string[] {
  const ref = controllerRef(job);
  return ref && ref.kind === 'CronJob' ? [ref.uid] : [];
}
