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
