// How a Job ended, read from its status: shared by `wait` and the progress
// lines that `apply --wait` and `wait` draw.
import type { Condition, Job } from '../../store/types.js';

/** How a Job ended, from its conditions (or its phase before conditions are set). */
export function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  const conds = (job.status?.conditions ?? []) as Condition[];
  const isTrue = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  if (isTrue('Complete') || job.status?.phase === 'Succeeded') return 'Complete';
  if (isTrue('Failed') || job.status?.phase === 'Failed') return 'Failed';
  return undefined;
}

/** "BackoffLimitExceeded: Job has reached the backoff limit" from the Failed condition. */
export function failureText(job: Job): string {
  const c = (job.status?.conditions ?? []).find((x) => x.type === 'Failed');
  return [c?.reason, c?.message].filter(Boolean).join(': ') || 'Failed';
}
