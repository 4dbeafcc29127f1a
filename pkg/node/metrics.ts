// /metrics of one jobd: a prom-client Registry per node (never the global
// default one: tests run several nodes in one process) and the sinks that the
// instrumented parts report to (pkg/raft, pkg/api, pkg/reconcile, the
// scheduler, the agent). Those parts know only their small sink interfaces;
// this module is the one place that knows prom-client. State that already
// lives somewhere (Raft status, store counts, queue lengths) is read when
// /metrics is scraped, so the hot paths only bump counters and histograms.
// Names: jobctl_ prefix, base units (_seconds, _bytes), counters end in _total
// (docs/observability.md lists them).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentMetrics } from '../agent/index.js';
import type { ApiObserver, ApiTransport } from '../api/index.js';
import { FitReason, type SchedulerMetrics } from '../controllers/scheduler/index.js';
import type { RaftMetricsSink, WalMetricsSink } from '../raft/index.js';
import { Role, type Status } from '../raft/index.js';
import type { ReconcileMetrics, ReconcileOutcome } from '../reconcile/index.js';
import type { ResourceStore } from '../store/index.js';
import { EVENT_LOOP_FIGURE_NAMES, registerEventLoopLag } from './event-loop-lag.js';

/** What the scrape-time collectors read; set once the node's parts exist (bind()). */
export interface MetricsSources {
  readonly store: ResourceStore;
  readonly raftStatus: () => Status;
  /** Work queue length per controller (leader-only controllers and the agent). */
  readonly queueDepths: () => Iterable<[string, number]>;
  /** Runs per phase in this node's store, kept as they change (run-phases.ts). */
  readonly runPhases: () => Iterable<[string, number]>;
}

/** Short label values for the scheduler's fit reasons ("insufficient cpu" -> "Cpu"). */
const FIT_REASON_LABEL = new Map<string, string>(Object.entries(FitReason).map(([k, v]) => [v, k]));

const diskBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const apiBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const reconcileBuckets = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10];
const startBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const placementBuckets = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class NodeMetrics {
  readonly registry = new Registry();
  readonly raft: RaftMetricsSink;
  readonly wal: WalMetricsSink;
  readonly api: ApiObserver;
  readonly reconcile: ReconcileMetrics;
  readonly scheduler: SchedulerMetrics;
  readonly agent: AgentMetrics;
  private sources: MetricsSources | undefined;
  private readonly leaderChanges: Counter;

  constructor(opts: { process?: boolean } = {}) {
    const r = [this.registry];
    if (opts.process !== false) {
      // prom-client's event-loop delay figures give way to ours
      // (event-loop-lag.ts: sampled every 100 ms, no NaN for an empty window);
      // its own histogram is left at one sample a second, read by nothing.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
      for (const name of EVENT_LOOP_FIGURE_NAMES) this.registry.removeSingleMetric(name);
      registerEventLoopLag(this.registry);
    }
    const self = (): MetricsSources | undefined => this.sources;

    // --- store (read at scrape time)
    new Gauge({
      name: 'jobctl_store_objects',
      help: 'Objects stored, per kind.',
      labelNames: ['kind'],
      registers: r,
      collect() {
        const s = self();
        if (!s) return;
        this.reset();
        for (const [kind, n] of Object.entries(s.store.stats().objects)) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: 'jobctl_store_revision',
      help: 'Store revision of the last change applied (one per change; not the Raft index).',
      registers: r,
      collect() {
        const s = self();
        if (s) this.set(s.store.stats().revision);
      },
    });
    new Gauge({
      name: 'jobctl_store_watchers',
      help: 'Open watches on this node (API watches, informers and the agent).',
      registers: r,
      collect() {
        const s = self();
        if (s) this.set(s.store.stats().watchers);
      },
    });
    new Gauge({
      name: 'jobctl_runs',
      help: 'Runs in the cluster by phase (as this node has applied them).',
      labelNames: ['phase'],
      registers: r,
      collect() {
        const s = self();
        if (!s) return;
        this.reset();
        for (const [phase, n] of s.runPhases()) this.set({ phase }, n);
      },
    });

    // --- raft
    const raftGauge = (name: string, help: string, pick: (st: Status) => number): void => {
      new Gauge({
        name,
        help,
        registers: r,
        collect() {
          const s = self();
          if (s) this.set(pick(s.raftStatus()));
        },
      });
    };
    raftGauge('jobctl_raft_term', 'Current Raft term.', (st) => st.term);
    raftGauge('jobctl_raft_commit_index', 'Highest log index known committed.', (st) => st.commit);
    raftGauge('jobctl_raft_applied_index', 'Highest log index applied.', (st) => st.applied);
    raftGauge('jobctl_raft_last_index', 'Last index in the local log.', (st) => st.lastIndex);
    raftGauge('jobctl_raft_is_leader', '1 if this node is the leader.', (st) =>
      st.role === 'leader' ? 1 : 0,
    );
    new Gauge({
      name: 'jobctl_raft_role',
      help: 'This node’s Raft role (1 for the current one).',
      labelNames: ['role'],
      registers: r,
      collect() {
        const s = self();
        if (!s) return;
        const role = s.raftStatus().role;
        for (const x of Object.values(Role)) this.set({ role: x }, x === role ? 1 : 0);
      },
    });
    this.leaderChanges = new Counter({
      name: 'jobctl_raft_leader_changes_total',
      help: 'Times the leader this node knows changed (including to none).',
      registers: r,
    });
    const proposalsCommitted = new Counter({
      name: 'jobctl_raft_proposals_committed_total',
      help: 'Proposals made on this node that were committed and applied.',
      registers: r,
    });
    const proposalsFailed = new Counter({
      name: 'jobctl_raft_proposals_failed_total',
      help: 'Proposals made on this node that failed, by reason (Timeout, TooManyRequests, Unavailable...).',
      labelNames: ['reason'],
      registers: r,
    });
    const appendSeconds = new Histogram({
      name: 'jobctl_raft_append_duration_seconds',
      help: 'Time to make one Ready durable (log entries and/or hard state, fsync included).',
      buckets: diskBuckets,
      registers: r,
    });
    const appendedEntries = new Counter({
      name: 'jobctl_raft_appended_entries_total',
      help: 'Log entries written to this node’s WAL.',
      registers: r,
    });
    const fsyncSeconds = new Histogram({
      name: 'jobctl_raft_wal_fsync_duration_seconds',
      help: 'Write and fdatasync of one WAL group-commit batch.',
      buckets: diskBuckets,
      registers: r,
    });
    const walBytes = new Counter({
      name: 'jobctl_raft_wal_written_bytes_total',
      help: 'Bytes written to the WAL.',
      registers: r,
    });
    const snapshots = new Counter({
      name: 'jobctl_raft_snapshots_total',
      help: 'State machine snapshots written by this node.',
      registers: r,
    });
    const snapshotBytes = new Gauge({
      name: 'jobctl_raft_snapshot_size_bytes',
      help: 'Size of the last snapshot this node wrote.',
      registers: r,
    });
    this.raft = {
      persisted: (seconds, entries) => {
        appendSeconds.observe(seconds);
        if (entries > 0) appendedEntries.inc(entries);
      },
      proposalCommitted: () => proposalsCommitted.inc(),
      proposalFailed: (reason) => proposalsFailed.inc({ reason }),
      snapshotTaken: (bytes) => {
        snapshots.inc();
        snapshotBytes.set(bytes);
      },
    };
    this.wal = {
      fsynced: (seconds, bytes) => {
        fsyncSeconds.observe(seconds);
        walBytes.inc(bytes);
      },
    };

    // --- API (both adapters)
    const requests = new Counter({
      name: 'jobctl_api_requests_total',
      help: 'API requests by transport, verb, resource and outcome code (OK or the error reason).',
      labelNames: ['transport', 'verb', 'resource', 'code'],
      registers: r,
    });
    const requestSeconds = new Histogram({
      name: 'jobctl_api_request_duration_seconds',
      help: 'API request latency (watches excluded), by transport, verb and resource.',
      labelNames: ['transport', 'verb', 'resource'],
      buckets: apiBuckets,
      registers: r,
    });
    const inFlight = new Gauge({
      name: 'jobctl_api_requests_in_flight',
      help: 'API requests being served (watches excluded).',
      labelNames: ['transport'],
      registers: r,
    });
    const watches = new Gauge({
      name: 'jobctl_api_watches',
      help: 'Open API watch streams by transport and resource.',
      labelNames: ['transport', 'resource'],
      registers: r,
    });
    this.api = {
      begin(transport: ApiTransport, verb: string, resource: string) {
        if (verb === 'watch') {
          return (code) => requests.inc({ transport, verb, resource, code });
        }
        inFlight.inc({ transport });
        const end = requestSeconds.startTimer({ transport, verb, resource });
        return (code) => {
          end();
          inFlight.dec({ transport });
          requests.inc({ transport, verb, resource, code });
        };
      },
      watchOpened(transport: ApiTransport, resource: string) {
        watches.inc({ transport, resource });
        return () => watches.dec({ transport, resource });
      },
    };

    // --- controllers (leader-only ones and the agent's loop)
    const reconciles = new Counter({
      name: 'jobctl_controller_reconcile_total',
      help: 'Reconciles by controller and result (success, requeue, error, terminal).',
      labelNames: ['controller', 'result'],
      registers: r,
    });
    const reconcileErrors = new Counter({
      name: 'jobctl_controller_reconcile_errors_total',
      help: 'Reconciles that failed (retried with back-off, or terminal).',
      labelNames: ['controller'],
      registers: r,
    });
    const reconcileSeconds = new Histogram({
      name: 'jobctl_controller_reconcile_duration_seconds',
      help: 'Time of one reconcile, by controller.',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
      registers: r,
    });
    new Gauge({
      name: 'jobctl_controller_queue_depth',
      help: 'Keys waiting in each controller’s work queue.',
      labelNames: ['controller'],
      registers: r,
      collect() {
        const s = self();
        if (!s) return;
        this.reset();
        for (const [controller, n] of s.queueDepths()) this.set({ controller }, n);
      },
    });
    this.reconcile = {
      reconciled(controller: string, seconds: number, outcome: ReconcileOutcome) {
        reconcileSeconds.observe({ controller }, seconds);
        reconciles.inc({ controller, result: outcome });
        if (outcome === 'error' || outcome === 'terminal') reconcileErrors.inc({ controller });
      },
    };

    // --- scheduler (leader only)
    const pendingRuns = new Gauge({
      name: 'jobctl_scheduler_pending_runs',
      help: 'Runs waiting for a node after the last scheduling pass (leader only).',
      registers: r,
    });
    const unschedulable = new Gauge({
      name: 'jobctl_scheduler_unschedulable_runs',
      help: 'Runs that fit no node in the last pass, by reason (a Run counts once per reason).',
      labelNames: ['reason'],
      registers: r,
    });
    const placementSeconds = new Histogram({
      name: 'jobctl_scheduler_placement_duration_seconds',
      help: 'From a Run’s creation to its binding to a node.',
      buckets: placementBuckets,
      registers: r,
    });
    this.scheduler = {
      placed: (seconds) => placementSeconds.observe(seconds),
      passDone: (pending, reasons) => {
        pendingRuns.set(pending);
        unschedulable.reset();
        for (const [reason, n] of reasons) {
          unschedulable.set({ reason: FIT_REASON_LABEL.get(reason) ?? reason }, n);
        }
      },
    };

    // --- agent / runtime
    const startSeconds = new Histogram({
      name: 'jobctl_agent_container_start_duration_seconds',
      help: 'runtime.start() until the container runs (image pull included).',
      buckets: startBuckets,
      registers: r,
    });
    const startFailures = new Counter({
      name: 'jobctl_agent_container_start_failures_total',
      help: 'Container starts that failed for good, by reason (ImagePullFailed, Error).',
      labelNames: ['reason'],
      registers: r,
    });
    const runsFinished = new Counter({
      name: 'jobctl_agent_runs_finished_total',
      help: 'Runs this node’s agent reported final, by phase and reason.',
      labelNames: ['phase', 'reason'],
      registers: r,
    });
    const imagePulls = new Counter({
      name: 'jobctl_agent_image_pulls_total',
      help: 'Image pulls by stage (Pulling: started, Pulled: done).',
      labelNames: ['stage'],
      registers: r,
    });
    const reconcile = this.reconcile;
    this.agent = {
      reconciled: (controller, seconds, outcome) =>
        reconcile.reconciled(controller, seconds, outcome),
      containerStarted: (seconds) => startSeconds.observe(seconds),
      containerStartFailed: (reason) => startFailures.inc({ reason }),
      runFinished: (phase, reason) => runsFinished.inc({ phase, reason: reason || 'none' }),
      imagePull: (stage) => imagePulls.inc({ stage }),
    };
  }

  /** Connects the scrape-time collectors to the node's parts. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** Call on every leader change this node sees. */
  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  /** The Prometheus text exposition (GET /metrics). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
