// Tunables of the job controller. Defaults follow DESIGN.md §3; tests and e2e
// shorten the failure back-off.

export interface JobControllerOptions {
  /** Delay before the first retry after a failed Run (default 10 s), doubled per failure... */
  readonly backoffBaseMs?: number;
  /** ...up to this cap (default 6 min). */
  readonly backoffMaxMs?: number;
  /**
   * Concurrent reconciles of different Jobs (default 16). Their writes travel
   * together (group commit), so more workers mean fuller Raft entries.
   */
  readonly workers?: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 6 * 60_000;
