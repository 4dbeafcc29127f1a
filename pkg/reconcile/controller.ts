// The controller runner: N workers take keys from a WorkQueue and call the
// reconciler, and the result decides the retry (controller-runtime's
// reconcileHandler):
//   - a throw                -> rate-limited requeue (per-key back-off + global bucket);
//   - TerminalError          -> logged, not retried (forgotten);
//   - {requeueAfter: ms > 0} -> back-off reset, key added again after ms;
//   - {requeue: true}        -> rate-limited requeue without logging an error;
//   - {} (success)           -> back-off reset (forget).
// The queue guarantees that one key is never reconciled by two workers at once.
// Between keys a worker spends the shared TurnBudget (turns.ts): reconciles
// that finish without I/O resume their worker as microtasks, and thousands of
// them in a row would otherwise never let the event loop turn.
import type { Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import { isTerminal } from './errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { noopReconcileMetrics, type ReconcileMetrics, type ReconcileOutcome } from './metrics.js';
import { WorkQueue } from './queue.js';
import { defaultRateLimiter, type RateLimiter } from './ratelimit.js';
import { turnBudgetOf, type TurnBudget } from './turns.js';

export interface Result {
  /** Reconcile this key again after this many ms (from the injected clock). */
  readonly requeueAfter?: number;
  /** Retry with rate-limited back-off (e.g. waiting for the cache to catch up). */
  readonly requeue?: boolean;
}

export interface Reconciler {
  /** Makes the object named `key` converge. Must be idempotent. */
  reconcile(key: string): Promise<Result>;
}

export interface ControllerOptions {
  readonly name: string;
  readonly reconciler: Reconciler;
  readonly clock: Clock;
  /** Concurrent reconciles (of different keys); default 1. */
  readonly workers?: number;
  readonly logger?: Logger;
  readonly rateLimiter?: RateLimiter;
  /** Reconcile latency and outcomes (monitoring); default none. See also observe(). */
  readonly metrics?: ReconcileMetrics;
}

export interface ControllerStats {
  readonly reconciles: number;
  readonly errors: number;
  readonly terminalErrors: number;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly workers: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly budget: TurnBudget;
  private metrics: ReconcileMetrics;
  private running: Promise<void>[] = [];
  private counts = { reconciles: 0, errors: 0, terminalErrors: 0 };

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconciler = opts.reconciler;
    this.workers = Math.max(1, opts.workers ?? 1);
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock;
    this.budget = turnBudgetOf(opts.clock);
    this.metrics = opts.metrics ?? noopReconcileMetrics;
    this.queue = new WorkQueue({
      clock: opts.clock,
      rateLimiter: opts.rateLimiter ?? defaultRateLimiter(opts.clock),
    });
  }

  get stats(): ControllerStats {
    return { ...this.counts };
  }

  /** Reports reconciles to `metrics` from now on (the Manager sets it on the controllers it builds). */
  observe(metrics: ReconcileMetrics): void {
    this.metrics = metrics;
  }

  /** Enqueues a key (event handlers call this). */
  add(key: string): void {
    this.queue.add(key);
  }

  /** Enqueues a key after `ms` (an earlier pending deadline wins; WorkQueue.addAfter). */
  addAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Starts the workers; they stop when stop() shuts the queue down. */
  start(): void {
    if (this.running.length > 0) throw new Error(`controller ${this.name} already started`);
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Stops handing out keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.running);
  }

  /** Processes one key now (tests: "sync one key"); the queue is bypassed. */
  async reconcileOnce(key: string): Promise<Result> {
    return this.reconciler.reconcile(key);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
      const turn = this.budget.spend();
      if (turn) await turn;
    }
  }

  private async process(key: string): Promise<void> {
    const started = this.clock.monotonic();
    const outcome = await this.reconcileAndRequeue(key);
    this.metrics.reconciled(this.name, (this.clock.monotonic() - started) / 1000, outcome);
  }

  private async reconcileAndRequeue(key: string): Promise<ReconcileOutcome> {
    this.counts.reconciles++;
    let result: Result;
    try {
      result = await this.reconciler.reconcile(key);
    } catch (err) {
      if (isTerminal(err)) {
        this.counts.terminalErrors++;
        this.logger.error('reconcile failed permanently; not retrying', {
          controller: this.name,
          key,
          err: errorMessage(err),
        });
        this.queue.forget(key);
        return 'terminal';
      }
      this.counts.errors++;
      const retries = this.queue.retries(key);
      // Conflicts and cache lag are routine; only persistent failures are loud.
      const log = retries >= 5 ? this.logger.warn : this.logger.info;
      log.call(this.logger, 'reconcile failed; requeueing with back-off', {
        controller: this.name,
        key,
        retries,
        err: errorMessage(err),
      });
      this.queue.addRateLimited(key);
      return 'error';
    }
    if (result.requeueAfter !== undefined && result.requeueAfter > 0) {
      this.queue.forget(key);
      this.queue.addAfter(key, result.requeueAfter);
      return 'requeue';
    } else if (result.requeue) {
      this.queue.addRateLimited(key);
      return 'requeue';
    }
    this.queue.forget(key);
    return 'success';
  }
}
