// How a Job ended, read from its status: shared by `wait` and the progress
// lines that `apply --wait` and `wait` draw.
import type { Job } from '../../store/types.js';

export { jobFinished } from '../../store/types.js';

/** "BackoffLimitExceeded: Job has reached the backoff limit" from the Failed condition. */
export function failureText(job: Job): string {
  const c = (job.status?.conditions ?? []).find((x) => x.type === 'Failed');
  return [c?.reason, c?.message].filter(Boolean).join(': ') || 'Failed';
}
