// What the job controller wrote itself, so that the watch events of those
// writes need not enqueue their Job again. A reconcile that wrote a Job's
// status (and created its Runs in the same batch) computed that state from the
// Job and Runs it read: the reconcile such an event would cause finds nothing
// to do, and a Run changed meanwhile enqueues the Job with its own event. Each
// write is told apart by what the store answered: the Job's new
// resourceVersion (its write was guarded by the version read, so nothing else
// changed between the two) and the uids of the Runs created. An event is
// skipped once.
//
// The event of a write can come before its answer (the store dispatches it
// while applying the entry, and a busy leader may run the informer first).
// So a status write is announced before it is proposed (beginJob): the Job's
// update events that come while it is in flight are held, not enqueued, and
// its answer (settleJob) tells them apart: the write's own is dropped, any
// other (someone else's change, or all of them when the write failed or its
// answer never came) enqueues the Job then. Nothing is lost: a held event
// enqueues at the latest when the reconcile that holds it ends its write.
import { keyOf } from '../../reconcile/index.js';
import type { Job } from '../../store/index.js';

/** Past this many notes without their events (a Job deleted meanwhile, a relist), start over. */
const MAX_NOTES = 100_000;

export class OwnWrites {
  /** Job uid -> resourceVersion of the status this controller wrote last. */
  private readonly jobVersions = new Map<string, string>();
  /** uids of Runs this controller created in a batch whose add event has not come yet. */
  private readonly runUids = new Set<string>();
  /** Job uid -> the resourceVersions of its update events held while a status write is in flight. */
  private readonly inFlight = new Map<string, string[]>();

  /** `enqueue` is how a held event that was not this controller's write enqueues its Job. */
  constructor(private readonly enqueue: (key: string) => void = () => {}) {}

  noteJob(job: Pick<Job, 'metadata'>): void {
    if (this.jobVersions.size >= MAX_NOTES) this.jobVersions.clear();
    this.jobVersions.set(job.metadata.uid, job.metadata.resourceVersion);
  }

  noteRun(uid: string): void {
    if (this.runUids.size >= MAX_NOTES) this.runUids.clear();
    this.runUids.add(uid);
  }

  /** A status write of `job` is about to be proposed: hold its update events until settleJob. */
  beginJob(job: Pick<Job, 'metadata'>): void {
    this.inFlight.set(job.metadata.uid, []);
  }

  /**
   * The answer to the write announced by beginJob: the Job as written, or
   * undefined when it failed or its fate is unknown. The held event that is
   * the write is dropped (or, not come yet, noted for takeJob); any other
   * enqueues the Job now.
   */
  settleJob(job: Pick<Job, 'metadata'>, written: Pick<Job, 'metadata'> | undefined): void {
    const uid = job.metadata.uid;
    const held = this.inFlight.get(uid);
    this.inFlight.delete(uid);
    const version = written?.metadata.resourceVersion;
    if (written && !held?.includes(version as string)) this.noteJob(written);
    if (held?.some((v) => v !== version)) {
      this.enqueue(keyOf(job));
    }
  }

  /**
   * True when `job`'s update event needs no reconcile now: it is the very
   * version this controller's own status write made (once), or it came while
   * a write of this Job is in flight and is held until that write's answer.
   */
  takeJob(job: Job): boolean {
    const uid = job.metadata.uid;
    if (this.jobVersions.get(uid) === job.metadata.resourceVersion) {
      this.jobVersions.delete(uid);
      return true;
    }
    const held = this.inFlight.get(uid);
    held?.push(job.metadata.resourceVersion);
    return held !== undefined;
  }

  /** True (once) when the Run with this uid was created by this controller. */
  takeRun(uid: string): boolean {
    return this.runUids.delete(uid);
  }

  forgetJob(job: Job): void {
    this.jobVersions.delete(job.metadata.uid);
  }
}
