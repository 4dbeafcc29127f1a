// What the job controller wrote itself, so that the watch events of those
// writes need not enqueue their Job again. A reconcile that wrote a Job's
// status (and created its Runs in the same batch) computed that state from the
// Job and Runs it read: the reconcile such an event would cause finds nothing
// to do, and a Run changed meanwhile enqueues the Job with its own event. Each
// write is told apart by what the store answered: the Job's new
// resourceVersion (its write was guarded by the version read, so nothing else
// changed between the two) and the uids of the Runs created. An event is
// skipped once; a write whose answer never came (a time-out that committed)
// is not noted, and its events enqueue as any other.
import type { Job } from '../../store/index.js';

/** Past this many notes without their events (a Job deleted meanwhile, a relist), start over. */
const MAX_NOTES = 100_000;

export class OwnWrites {
  /** Job uid -> resourceVersion of the status this controller wrote last. */
  private readonly jobVersions = new Map<string, string>();
  /** uids of Runs this controller created in a batch whose add event has not come yet. */
  private readonly runUids = new Set<string>();

  noteJob(job: Pick<Job, 'metadata'>): void {
    if (this.jobVersions.size >= MAX_NOTES) this.jobVersions.clear();
    this.jobVersions.set(job.metadata.uid, job.metadata.resourceVersion);
  }

  noteRun(uid: string): void {
    if (this.runUids.size >= MAX_NOTES) this.runUids.clear();
    this.runUids.add(uid);
  }

  /** True (once) when `job` is the very version this controller's own status write made. */
  takeJob(job: Job): boolean {
    const uid = job.metadata.uid;
    if (this.jobVersions.get(uid) !== job.metadata.resourceVersion) return false;
    this.jobVersions.delete(uid);
    return true;
  }

  /** True (once) when the Run with this uid was created by this controller. */
  takeRun(uid: string): boolean {
    return this.runUids.delete(uid);
  }

  forgetJob(job: Job): void {
    this.jobVersions.delete(job.metadata.uid);
  }
}
