// Agent: the per-node reconcile loop between the Runs bound to this node and
// the container runtime (DESIGN.md §3 "Agent").
//
// Moving parts, each in its own module:
//   Informer (pkg/reconcile) over NodeScopedClient   this node's Runs, watch-fed cache
//   Controller + WorkQueue (pkg/reconcile)           per-key serialization, back-off, resync
//   RunReconciler (./reconciler.ts)                  reconcile(key): Run <-> container
//   ContainerTable (./containers.ts)                 containers by Run uid (inventory + starts)
//   StatusReporter (./reporter.ts)                   batched, fenced status writes (1 Raft entry)
//   RuntimeHealth (./runtime-health.ts)              ping + back-off; runtimeReady()
//
// The sweep (at start once the cache has synced, then every sweepMs) lists the
// runtime's containers: new ones are adopted (their Runs enqueued), containers
// whose uid has no Run bound here are orphans and are killed and removed.
// Until the first sweep has succeeded the agent starts nothing: it cannot yet
// know which Runs already have a container (restart adoption).
import type { ResourceClient } from '../client/index.js';
import type { Runtime } from '../runtime/index.js';
import type { Proposer, Run } from '../store/index.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { errorMessage, isReason, Reason } from '../util/errors.js';
import {
  Controller,
  DEFAULT_RESYNC_MS,
  Informer,
  keyOf,
  noopRecorder,
  silentLogger,
  type EventRecorder,
  type Logger,
} from '../reconcile/index.js';
import { ContainerTable } from './containers.js';
import { isFinal } from './status.js';
import { NODE_LABEL, RunReconciler, type ShutdownStage } from './reconciler.js';
import { StatusReporter, type Report, type ReportOutcome, type ReporterStats } from './reporter.js';
import { RuntimeHealth, type RuntimeReadiness } from './runtime-health.js';
import { NodeScopedClient } from './scoped-client.js';
import { noopAgentMetrics, type AgentMetrics } from './metrics.js';

/** Tuning; every field has a default. */
export interface AgentTuning {
  /** Status transitions within this window are written as one Raft entry. Default 50. */
  readonly statusFlushMs?: number;
  /** SIGTERM → SIGKILL grace when the agent kills a container. Default 10 000. */
  readonly killGraceMs?: number;
  /** Informer resync period (a safety net: pkg/reconcile/informer.ts). Default DEFAULT_RESYNC_MS (10 h). */
  readonly resyncMs?: number;
  /** Container sweep period (adopts unknown containers, removes orphans). Default 30 000. */
  readonly sweepMs?: number;
  /** Runtime ping period while healthy. Default 5 000. */
  readonly pingIntervalMs?: number;
  /** First re-ping after a failure (doubles up to 30 s). Default 500. */
  readonly pingRetryMs?: number;
  /** Requeue delay while the runtime is unavailable. Default 1 000. */
  readonly retryMs?: number;
  /** Concurrent reconciles (different Runs). Default 16 (starts may wait on image pulls). */
  readonly workers?: number;
}

export interface AgentOptions {
  /** This node's name: the agent handles Runs with spec.nodeName equal to it. */
  readonly nodeName: string;
  /** In-process client (reads + watch of Runs). */
  readonly client: ResourceClient;
  /** Where the batched, fenced status commands go (the node's RaftProposer). */
  readonly proposer: Proposer;
  readonly runtime: Runtime;
  /** The node's data dir: logs go to <dataDir>/logs/<runUid>.log. */
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Events: Pulling, Pulled, Started, Completed, Failed, Killing. */
  readonly recorder?: EventRecorder;
  readonly options?: AgentTuning;
  /** Container starts, finished Runs, image pulls, reconciles (monitoring); default none. */
  readonly metrics?: AgentMetrics;
  /** Where the logs of finished Runs go to be copied to other nodes (./log-copies.ts); default none. */
  readonly logCopies?: FinishedRunLogs;
}

/** Told of every final Run bound to this node and of Runs gone. */
export interface FinishedRunLogs {
  offer(run: Run): void;
  forget(runUid: string): void;
  /** At every container sweep: try again what could not be done (no resync offers it again). */
  retryFailed(): void;
}

/** How a graceful shutdown (Agent.drain) went. */
export interface DrainResult {
  /** Runs that were still running when the grace period ended (stopped, reported Lost/NodeShutdown). */
  readonly stopped: number;
  /** Runs not final in this node's cache when drain() returned (reports that did not commit). */
  readonly left: number;
}

/** How often drain() looks whether this node's Runs are all final. */
const DRAIN_POLL_MS = 100;

export interface AgentStats extends ReporterStats {
  readonly reconciles: number;
  /** runtime.start() calls that returned a container (an idempotent one included). */
  readonly starts: number;
  readonly orphansRemoved: number;
}

/** Cache index: Runs by uid (orphan detection). */
const RUNS_BY_UID = 'metadata.uid';

export class Agent {
  readonly nodeName: string;
  private readonly runtime: Runtime;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sweepMs: number;
  private readonly logCopies: FinishedRunLogs | undefined;
  private readonly informer: Informer<'Run'>;
  private readonly controller: Controller;
  private readonly reconciler: RunReconciler;
  private readonly reporter: StatusReporter;
  private readonly health: RuntimeHealth;
  private readonly table = new ContainerTable();
  private abort: AbortController | undefined;
  private informerDone: Promise<void> | undefined;
  private sweepTimer: Timer | undefined;
  private sweeping: Promise<void> | undefined;
  private inventoryLoaded = false;
  private stopped = false;
  private stage: ShutdownStage = 'running';
  private readonly killGraceMs: number;
  private orphans = 0;

  constructor(opts: AgentOptions) {
    const t = opts.options ?? {};
    this.nodeName = opts.nodeName;
    this.runtime = opts.runtime;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? silentLogger;
    this.sweepMs = t.sweepMs ?? 30_000;
    this.logCopies = opts.logCopies;
    this.killGraceMs = t.killGraceMs ?? 10_000;
    const retryMs = t.retryMs ?? 1_000;

    this.informer = new Informer({
      client: new NodeScopedClient(opts.client, opts.nodeName),
      kind: 'Run',
      clock: this.clock,
      logger: this.logger,
      resyncMs: t.resyncMs ?? DEFAULT_RESYNC_MS,
    });
    this.informer.cache.addIndex(RUNS_BY_UID, (r) => [r.metadata.uid]);

    this.health = new RuntimeHealth({
      runtime: opts.runtime,
      clock: this.clock,
      logger: this.logger,
      intervalMs: t.pingIntervalMs ?? 5_000,
      retryMs: t.pingRetryMs ?? 500,
      onChange: (ready) => {
        if (!ready || this.stopped) return;
        // Back: catch up on the inventory and look at every Run again.
        void this.sweep();
        for (const run of this.informer.cache.list()) this.controller.add(keyOf(run));
      },
    });

    this.reporter = new StatusReporter({
      proposer: opts.proposer,
      nodeName: opts.nodeName,
      clock: this.clock,
      logger: this.logger,
      flushMs: t.statusFlushMs ?? 50,
      onOutcome: (report, outcome) => this.onReportOutcome(report, outcome),
    });

    this.reconciler = new RunReconciler({
      nodeName: opts.nodeName,
      runs: this.informer.cache,
      runtime: opts.runtime,
      table: this.table,
      reporter: this.reporter,
      health: this.health,
      clock: this.clock,
      logger: this.logger,
      recorder: opts.recorder ?? noopRecorder,
      dataDir: opts.dataDir,
      killGraceMs: this.killGraceMs,
      retryMs,
      inventoryLoaded: () => this.inventoryLoaded,
      enqueue: (key) => this.controller.add(key),
      stopped: () => this.stopped,
      shutdown: () => this.stage,
      metrics: opts.metrics ?? noopAgentMetrics,
      finished: (run) => opts.logCopies?.offer(run),
    });

    this.controller = new Controller({
      name: `agent/${opts.nodeName}`,
      reconciler: this.reconciler,
      clock: this.clock,
      logger: this.logger,
      workers: t.workers ?? 16,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    const enqueue = (run: Run): void => this.controller.add(keyOf(run));
    this.informer.addHandler({
      onAdd: enqueue,
      onUpdate: (_old, run) => enqueue(run),
      onDelete: (run) => {
        opts.logCopies?.forget(run.metadata.uid);
        enqueue(run);
      },
    });
  }

  /** Starts watching, reconciling and pinging. Returns at once. */
  start(): void {
    if (this.abort) throw new Error(`agent for ${this.nodeName} already started`);
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.health.start();
    this.informerDone = this.informer.run(signal);
    this.controller.start();
    void this.informer.waitForSync(signal).then(() => {
      if (!signal.aborted) void this.sweep();
    });
    const tick = (): void => {
      if (signal.aborted) return;
      void this.sweep();
      this.logCopies?.retryFailed();
      this.sweepTimer = this.clock.setTimer(this.sweepMs, tick);
    };
    this.sweepTimer = this.clock.setTimer(this.sweepMs, tick);
    this.logger.info('agent started', { node: this.nodeName, runtime: this.runtime.name });
  }

  /**
   * Stops the loop and flushes pending status reports. Containers keep running
   * (a restarted agent adopts them); the runtime is not closed (the node owns it).
   * Waits for reconciles in flight (a kill may take up to killGraceMs).
   */
  async stop(): Promise<void> {
    if (!this.abort || this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.sweepTimer?.cancel();
    this.health.stop();
    await this.controller.stop();
    await this.informerDone;
    await this.sweeping;
    await this.reporter.stop();
    this.logger.info('agent stopped', { node: this.nodeName });
  }

  /**
   * The agent's part of a graceful node shutdown (jobd SIGTERM, DESIGN.md §5):
   * start nothing new (a Run bound here that has no container yet is reported
   * Lost/NodeShutdown, so the job controller replaces it at once), let running
   * containers finish for up to `graceMs` or until `cutShort` aborts, then
   * kill what still runs and report it Lost/NodeShutdown. Returns once every
   * Run bound here is final in the cache (or the kills' grace is over too).
   * The node must be cordoned first, or replacements may land here again.
   */
  async drain(opts: { graceMs: number; cutShort?: AbortSignal }): Promise<DrainResult> {
    if (!this.abort || this.stopped) return { stopped: 0, left: 0 };
    this.stage = 'draining';
    this.requeueAll();
    const finished = await this.waitForNoActiveRuns(opts.graceMs, opts.cutShort);
    let stopped = 0;
    if (!finished) {
      stopped = this.activeRuns();
      this.logger.info('grace period over; stopping the Runs still running', {
        node: this.nodeName,
        runs: stopped,
      });
      this.stage = 'stopping';
      this.requeueAll();
      // Kills take up to killGraceMs; their reports need a commit after that.
      await this.waitForNoActiveRuns(this.killGraceMs + 5_000);
    }
    await this.reporter.flush();
    return { stopped, left: this.activeRuns() };
  }

  /** Runs bound to this node that are not final yet (as the cache sees them). */
  private activeRuns(): number {
    return this.informer.cache.list().filter((r) => !isFinal(r)).length;
  }

  private requeueAll(): void {
    for (const run of this.informer.cache.list()) this.controller.add(keyOf(run));
  }

  /** Polls activeRuns() until 0 (true), `ms` pass or `cut` aborts (false). */
  private waitForNoActiveRuns(ms: number, cut?: AbortSignal): Promise<boolean> {
    const deadline = this.clock.monotonic() + ms;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.activeRuns() === 0) return resolve(true);
        if (cut?.aborted || this.stopped || this.clock.monotonic() >= deadline) {
          return resolve(false);
        }
        this.clock.setTimer(DRAIN_POLL_MS, check);
      };
      check();
    });
  }

  /** For the node's heartbeat: condition RuntimeReady (False while the runtime is unreachable). */
  runtimeReady(): RuntimeReadiness {
    return this.health.current();
  }

  /** True once the Run cache is synced and the runtime's containers have been listed. */
  isSynced(): boolean {
    return this.informer.hasSynced() && this.inventoryLoaded;
  }

  /** Whether the Run with this uid is final or gone as far as this node knows (logs -f). */
  isRunFinished(runUid: string): boolean {
    const run = this.informer.cache.byIndex(RUNS_BY_UID, runUid)[0];
    if (!run) return true;
    return isFinal(run);
  }

  /** Keys waiting in the agent's work queue (metrics). */
  get queueDepth(): number {
    return this.controller.queue.length;
  }

  get stats(): AgentStats {
    return {
      ...this.reporter.stats,
      reconciles: this.controller.stats.reconciles,
      starts: this.reconciler.starts,
      orphansRemoved: this.orphans,
    };
  }

  /** Writes pending status reports now (tests, shutdown). */
  flushStatus(): Promise<void> {
    return this.reporter.flush();
  }

  /** Runs a sweep now and waits for it (tests). */
  sweepNow(): Promise<void> {
    return this.sweep();
  }

  // -------------------------------------------------------------------------

  /** Lists the runtime's containers: adopt new ones, remove orphans. Never throws. */
  private sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((err: unknown) => {
        this.logger.warn('container sweep failed', { err: errorMessage(err) });
      })
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    if (this.stopped || !this.informer.hasSynced()) return;
    const listedAt = this.table.sequence;
    let infos;
    try {
      // Containers another node's agent started (a shared engine without a runtime
      // scope) are none of our business: never adopt or remove them.
      infos = (await this.runtime.list()).filter((c) => {
        const node = c.labels[NODE_LABEL];
        return node === undefined || node === this.nodeName;
      });
    } catch (err) {
      if (isReason(err, Reason.Unavailable)) this.health.markUnavailable(err);
      throw err;
    }
    this.table.merge(infos, listedAt);
    const listed = new Set(infos.map((i) => i.runUid));
    const firstTime = !this.inventoryLoaded;
    this.inventoryLoaded = true;
    for (const t of this.table.all()) {
      if (this.stopped) return;
      const run = this.informer.cache.byIndex(RUNS_BY_UID, t.runUid)[0];
      if (run) {
        const key = keyOf(run);
        this.table.setKey(t, key);
        if (firstTime || t.adopted) this.controller.add(key);
        continue;
      }
      if (t.state === 'starting') continue; // its Run was just deleted: reconcile handles it
      if (listed.has(t.runUid) && t.state !== 'removed') {
        this.orphans++;
        this.logger.info('removing orphan container', {
          runUid: t.runUid,
          containerId: t.containerId,
        });
        await this.reconciler
          .dispose(t, 'no Run bound to this node has its uid')
          .catch((err: unknown) =>
            this.logger.warn('could not remove orphan container', {
              containerId: t.containerId,
              err: errorMessage(err),
            }),
          );
      } else {
        this.table.delete(t.runUid); // a tombstone or a vanished container of a vanished Run
      }
    }
    if (firstTime) {
      for (const run of this.informer.cache.list()) this.controller.add(keyOf(run));
    }
  }

  private onReportOutcome(report: Report, outcome: ReportOutcome): void {
    if (outcome.kind === 'accepted') return; // the watch brings the new state
    if (outcome.kind === 'failed') {
      this.logger.error('status report failed', {
        run: `${report.namespace}/${report.name}`,
        reason: outcome.reason,
        err: outcome.message,
      });
      return;
    }
    this.logger.info('status report refused; stopping the container', {
      run: `${report.namespace}/${report.name}`,
      uid: report.uid,
      err: outcome.message,
    });
    const t = this.table.get(report.uid);
    if (t) {
      t.refused = outcome.message;
      this.table.touch(t);
    }
    this.controller.add(`${report.namespace}/${report.name}`);
  }
}
