// StatusReporter: the agent's only writer. Status transitions submitted within
// one window (flushMs) are proposed as ONE store `batch` command of fenced
// updateStatus items (non-atomic: one refused item does not fail the others),
// so 100 Runs finishing together cost one Raft entry.
//
// - A later report for the same Run replaces a pending one (Running then
//   Succeeded within a window writes only Succeeded, which carries the
//   containerID and startedAt as well).
// - Every item is fenced: metadata.uid plus `fence: {nodeName}` (pkg/store/fence.ts),
//   so the store refuses it if the Run was deleted, recreated, rebound, or is
//   already final (e.g. declared Lost while this node was away).
// - One proposal is in flight at a time, so reports reach the store in order.
// - A proposal that fails as a whole (Timeout, Unavailable, TooManyRequests, ...)
//   is retried with back-off; the items go back unless a newer report replaced
//   them. A retried final report whose first attempt did commit is refused as
//   "already final", which is harmless: a result is recorded at most once.
import {
  API_VERSION,
  type Proposer,
  type Run,
  type RunStatus,
  type UpdateStatusCommand,
} from '../store/index.js';
import type { Clock, Timer } from '../util/clock.js';
import { errorMessage, Reason } from '../util/errors.js';
import type { Logger } from '../reconcile/index.js';
import { sameStatus } from './status.js';

/** One Run's report. */
export interface Report {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: RunStatus;
}

/** What became of a report. */
export type ReportOutcome =
  | { readonly kind: 'accepted'; readonly run: Run }
  /** Conflict (fenced, uid mismatch) or NotFound: the Run is not ours to report on any more. */
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string }
  /** Any other per-item failure (e.g. Invalid): a bug; logged, not retried. */
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string };

export interface StatusReporterOptions {
  readonly proposer: Proposer;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The batching window. 0 flushes on the next timer turn. */
  readonly flushMs: number;
  /** First retry delay after a failed proposal (doubles up to 5 s). Default 200. */
  readonly retryMs?: number;
  /** Told about every report's outcome (not called after stop()). */
  readonly onOutcome: (report: Report, outcome: ReportOutcome) => void;
}

export interface ReporterStats {
  /** Batch proposals made (including failed ones). */
  readonly proposals: number;
  /** Items written successfully. */
  readonly accepted: number;
  readonly refused: number;
}

const RETRY_MAX_MS = 5_000;

export class StatusReporter {
  private readonly o: StatusReporterOptions;
  /** Reports waiting for the next flush, by Run uid. */
  private pending = new Map<string, Report>();
  /** Reports in the proposal in flight, by Run uid. */
  private inflight = new Map<string, Report>();
  /** The last accepted report per uid and the revision it was written at. */
  private readonly accepted = new Map<string, { status: RunStatus; revision: number }>();
  private timer: Timer | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  private counts = { proposals: 0, accepted: 0, refused: 0 };

  constructor(opts: StatusReporterOptions) {
    this.o = opts;
  }

  get stats(): ReporterStats {
    return { ...this.counts };
  }

  /** Queues a report; a pending report for the same Run is replaced. */
  submit(report: Report): void {
    if (this.stopped) return;
    this.pending.set(report.uid, report);
    this.schedule(this.o.flushMs);
  }

  /**
   * True if writing `status` for `run` now would be redundant: it is pending or
   * in flight, or it was accepted at a revision the caller's copy has not caught
   * up with yet (a cache lagging behind our own write).
   */
  isSent(run: Run, status: RunStatus): boolean {
    const uid = run.metadata.uid;
    const queued = this.pending.get(uid) ?? this.inflight.get(uid);
    if (queued) return sameStatus(queued.status, status);
    const acc = this.accepted.get(uid);
    return (
      acc !== undefined &&
      sameStatus(acc.status, status) &&
      Number(run.metadata.resourceVersion) < acc.revision
    );
  }

  /** Whether a report for this uid is waiting or in flight. */
  has(uid: string): boolean {
    return this.pending.has(uid) || this.inflight.has(uid);
  }

  /** Drops what is remembered about a Run (it is final or gone). Pending reports stay. */
  forget(uid: string): void {
    this.accepted.delete(uid);
  }

  /** Writes everything pending now and waits for it (and for the write in flight). */
  async flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.size > 0) await this.runFlush();
  }

  /** Flushes what is pending (best effort), then reports nothing more. */
  async stop(): Promise<void> {
    try {
      await this.flush();
    } catch (err) {
      this.o.logger.warn('final status flush failed', { err: errorMessage(err) });
    }
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = this.o.clock.setTimer(ms, () => {
      this.timer = undefined;
      void this.runFlush();
    });
  }

  private runFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.propose().finally(() => {
      this.flushing = undefined;
      if (this.pending.size > 0 && !this.stopped) {
        const delay =
          this.failures > 0
            ? Math.min(RETRY_MAX_MS, (this.o.retryMs ?? 200) * 2 ** (this.failures - 1))
            : this.o.flushMs;
        this.schedule(delay);
      }
    });
    return this.flushing;
  }

  private async propose(): Promise<void> {
    if (this.pending.size === 0) return;
    this.inflight = this.pending;
    this.pending = new Map();
    const reports = [...this.inflight.values()];
    const commands: UpdateStatusCommand[] = reports.map((r) => ({
      op: 'updateStatus',
      object: {
        apiVersion: API_VERSION,
        kind: 'Run',
        metadata: { name: r.name, namespace: r.namespace, uid: r.uid },
        status: r.status,
      },
      fence: { nodeName: this.o.nodeName },
    }));
    this.counts.proposals++;
    let results: readonly (
      { ok: true; object: unknown } | { ok: false; reason: string; message: string }
    )[];
    try {
      const result = await this.o.proposer.propose({ op: 'batch', commands });
      if (!result.ok) {
        // The batch as a whole was refused (malformed): every item failed alike.
        results = reports.map(() => result);
      } else if (result.outcome === 'batch') {
        results = result.results;
      } else {
        results = [result];
      }
    } catch (err) {
      this.failures++;
      this.o.logger.warn('status batch not written; retrying', {
        reports: reports.length,
        retries: this.failures,
        err: errorMessage(err),
      });
      // Put them back unless a newer report for the same Run arrived meanwhile.
      for (const r of reports) if (!this.pending.has(r.uid)) this.pending.set(r.uid, r);
      this.inflight = new Map();
      return;
    }
    this.failures = 0;
    this.inflight = new Map();
    reports.forEach((report, i) => {
      const res = results[i];
      let outcome: ReportOutcome;
      if (res?.ok) {
        const run = res.object as Run;
        this.accepted.set(report.uid, {
          status: report.status,
          revision: Number(run.metadata.resourceVersion),
        });
        this.counts.accepted++;
        outcome = { kind: 'accepted', run };
      } else {
        const reason = res?.reason ?? Reason.Internal;
        const message = res?.message ?? 'no result for this batch item';
        const refused = reason === Reason.Conflict || reason === Reason.NotFound;
        if (refused) this.counts.refused++;
        outcome = { kind: refused ? 'refused' : 'failed', reason, message };
      }
      if (!this.stopped) this.o.onOutcome(report, outcome);
    });
  }
}
