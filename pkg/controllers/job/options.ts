// Tunables of the job controller. Defaults follow DESIGN.md §3; tests and e2e
// shorten the failure back-off.
import type { Proposer } from '../../store/index.js';

export interface JobControllerOptions {
  /** Delay before the first retry after a failed Run (default 10 s), doubled per failure... */
  readonly backoffBaseMs?: number;
  /** ...up to this cap (default 6 min). */
  readonly backoffMaxMs?: number;
  /**
   * Concurrent reconciles of different Jobs (default 64). Their writes travel
   * together (group commit), so more workers mean fuller Raft entries: a
   * worker waits a Raft round for each write it makes, and a Job takes several
   * (its Runs, then a status per Run transition), so the worker count, not
   * CPU, bounded Jobs per second at 16.
   */
  readonly workers?: number;
  /**
   * The node's Raft proposer: a Job's new Runs and its status commit as one
   * atomic batch. Without it Runs are created through the client.
   */
  readonly proposer?: Proposer;
}

export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 6 * 60_000;

/**
 * How long a Run's move to Running waits before it enqueues its Job. A Run that
 * ends within it (most short Runs) takes its Job from Pending straight to its
 * final phase in one status write instead of two (Running, then the end), as
 * Kubernetes' job controller batches a Job's Pod updates over a second
 * (syncJobBatchPeriod); a longer Run's Job shows Running a second after it.
 * Nothing else waits: the Run's end, counts and conditions enqueue at once.
 */
export const STARTED_WRITE_DELAY_MS = 1_000;
